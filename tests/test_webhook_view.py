"""POST /api/webhook/livekit with events signed the way livekit-server signs them."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.test import Client
from django_tasks_db.models import DBTaskResult
from livekit import api

from streams.models import Stream, WebhookEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/webhook/livekit"


def sign(body: str, *, secret: str | None = None, ttl: timedelta = timedelta(minutes=5)) -> str:
    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    return (
        api.AccessToken(settings.LIVEKIT_API_KEY, secret or settings.LIVEKIT_API_SECRET)
        .with_sha256(digest)
        .with_ttl(ttl)
        .to_jwt()
    )


def event(name: str, event_id: str, *, created_at: int | None = None, **fields) -> str:
    payload = {"event": name, "id": event_id, "createdAt": str(created_at or int(time.time()))}
    payload.update(fields)
    return json.dumps(payload)


def post(body: str, authorization: str | None):
    client = Client(enforce_csrf_checks=True)  # LiveKit sends no CSRF token
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    return client.post(URL, body, content_type="application/webhook+json", **headers)


@pytest.fixture
def alice_stream(alice) -> Stream:
    Stream.objects.filter(user=alice).update(ingress_id="IN_alice")
    return Stream.objects.get(user=alice)


def started(event_id: str = "EV_1", **kwargs) -> str:
    return event("ingress_started", event_id, ingressInfo={"ingressId": "IN_alice"}, **kwargs)


def ended(event_id: str = "EV_2", **kwargs) -> str:
    return event("ingress_ended", event_id, ingressInfo={"ingressId": "IN_alice"}, **kwargs)


def test_ingress_started_sets_the_stream_live(alice_stream):
    body = started()
    response = post(body, sign(body))
    assert response.status_code == 200
    assert response.json()["outcome"] == "live"
    alice_stream.refresh_from_db()
    assert alice_stream.is_live


def test_ingress_ended_sets_it_offline(alice_stream):
    now = int(time.time())
    for body in [started(created_at=now), ended(created_at=now + 1)]:
        assert post(body, sign(body)).status_code == 200
    alice_stream.refresh_from_db()
    assert not alice_stream.is_live


def test_room_finished_of_a_host_room_sets_it_offline(alice, alice_stream):
    Stream.objects.filter(pk=alice_stream.pk).update(is_live=True)
    body = event("room_finished", "EV_9", room={"name": str(alice.pk)})
    assert post(body, sign(body)).json()["outcome"] == "offline"
    alice_stream.refresh_from_db()
    assert not alice_stream.is_live


def published(room: str, identity: str, event_id: str = "EV_t") -> str:
    return event(
        "track_published", event_id, room={"name": room}, participant={"identity": identity}
    )


def test_the_streams_own_tracks_back_in_its_room_set_it_live_again(
    alice, alice_stream, django_capture_on_commit_callbacks
):
    """After a LiveKit restart the room closes (offline) and the ingress rejoins a new room
    with its tracks, without a new ingress_started."""
    now = int(time.time())
    closed = event("room_finished", "EV_9", created_at=now, room={"name": str(alice.pk)})
    assert post(closed, sign(closed)).json()["outcome"] == "offline"
    body = event(
        "track_published",
        "EV_t",
        created_at=now + 1,
        room={"name": str(alice.pk)},
        participant={"identity": str(alice.pk)},
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert post(body, sign(body)).json()["outcome"] == "live"
    alice_stream.refresh_from_db()
    assert alice_stream.is_live
    # Followers heard when it went live, not again.
    assert not DBTaskResult.objects.filter(task_path__contains="notification").exists()


@pytest.mark.parametrize("identity", ["someone-else", "recorder-1"])
def test_tracks_of_anyone_else_change_nothing(alice, alice_stream, identity):
    body = published(str(alice.pk), identity)
    assert post(body, sign(body)).json()["outcome"] == "ignored"
    assert not Stream.objects.get(pk=alice_stream.pk).is_live


def test_the_streams_tracks_while_it_is_live_change_nothing(alice, alice_stream):
    Stream.objects.filter(pk=alice_stream.pk).update(is_live=True)
    body = published(str(alice.pk), str(alice.pk))
    assert post(body, sign(body)).json()["outcome"] == "ignored"


def test_a_stream_that_went_live_is_recommended_once_it_ended(guest_client, db):
    dave = UserFactory(username="dave")
    Stream.objects.filter(user=dave).update(ingress_id="IN_dave")
    assert "dave" not in guest_client.get("/").content.decode()  # never streamed
    now = int(time.time())
    for name, at in [("ingress_started", now), ("ingress_ended", now + 1)]:
        body = event(name, f"EV_{name}", created_at=at, ingressInfo={"ingressId": "IN_dave"})
        assert post(body, sign(body)).status_code == 200
    stream = Stream.objects.get(user=dave)
    assert not stream.is_live
    assert stream.last_live_at == datetime.fromtimestamp(now, UTC)
    assert "dave" in guest_client.get("/").content.decode()


def test_a_room_closing_is_not_streaming(db):
    dave = UserFactory(username="dave")  # viewers came and left; he never went live
    body = event("room_finished", "EV_9", room={"name": str(dave.pk)})
    assert post(body, sign(body)).json()["outcome"] == "offline"
    assert Stream.objects.get(user=dave).last_live_at is None


@pytest.mark.parametrize(
    "authorization",
    [None, "", "not-a-jwt", "Bearer x.y.z"],
    ids=["missing", "empty", "garbage", "bearer-garbage"],
)
def test_a_missing_or_garbage_signature_is_401_and_changes_nothing(alice_stream, authorization):
    response = post(started(), authorization)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_signature"
    alice_stream.refresh_from_db()
    assert not alice_stream.is_live
    assert not WebhookEvent.objects.exists()


def test_a_forged_signature_is_401(alice_stream):
    body = started()
    response = post(body, sign(body, secret="a-different-secret-of-32-characters-at-least"))
    assert response.status_code == 401
    alice_stream.refresh_from_db()
    assert not alice_stream.is_live


def test_a_tampered_body_is_401(alice_stream):
    signature = sign(ended())
    response = post(started(), signature)
    assert response.status_code == 401
    alice_stream.refresh_from_db()
    assert not alice_stream.is_live


def test_an_expired_signature_is_401(alice_stream):
    body = started()
    response = post(body, sign(body, ttl=-timedelta(hours=1)))
    assert response.status_code == 401
    alice_stream.refresh_from_db()
    assert not alice_stream.is_live


def test_malformed_json_with_a_valid_signature_is_400(alice_stream):
    body = '{"event": "ingress_started", "id": '
    response = post(body, sign(body))
    assert response.status_code == 400
    assert response.json()["code"] == "malformed"
    assert not WebhookEvent.objects.exists()


def test_a_duplicate_event_id_is_applied_once(alice_stream):
    now = int(time.time())
    body = started("EV_dup", created_at=now)
    assert post(body, sign(body)).json()["outcome"] == "live"
    # The stream is taken offline by hand; the redelivered start must not set it live again.
    Stream.objects.filter(pk=alice_stream.pk).update(is_live=False)
    response = post(body, sign(body))
    assert response.status_code == 200
    assert response.json()["outcome"] == "duplicate"
    alice_stream.refresh_from_db()
    assert not alice_stream.is_live
    assert WebhookEvent.objects.filter(event_id="EV_dup").count() == 1


def test_an_older_event_arriving_late_does_not_override_a_newer_one(alice_stream):
    now = int(time.time())
    newer_end = ended("EV_end", created_at=now)
    older_start = started("EV_start", created_at=now - 30)
    assert post(newer_end, sign(newer_end)).json()["outcome"] == "offline"
    assert post(older_start, sign(older_start)).json()["outcome"] == "stale"
    alice_stream.refresh_from_db()
    assert not alice_stream.is_live


def test_a_start_stamped_in_the_same_second_as_new_keys_sets_the_stream_live(alice_stream):
    # Webhook times are whole seconds: keys generated at 12:00:00.6 and the new ingress
    # starting right after arrive as "12:00:00", which is not older than the keys.
    keys_at = datetime(2026, 1, 1, 12, 0, 0, 600_000, tzinfo=UTC)
    Stream.objects.filter(pk=alice_stream.pk).update(live_changed_at=keys_at)
    body = started("EV_same_second", created_at=int(keys_at.timestamp()))
    assert post(body, sign(body)).json()["outcome"] == "live"
    alice_stream.refresh_from_db()
    assert alice_stream.is_live


def test_a_start_from_a_second_before_new_keys_is_stale(alice_stream):
    keys_at = datetime(2026, 1, 1, 12, 0, 0, 600_000, tzinfo=UTC)
    Stream.objects.filter(pk=alice_stream.pk).update(live_changed_at=keys_at)
    body = started("EV_second_before", created_at=int(keys_at.timestamp()) - 1)
    assert post(body, sign(body)).json()["outcome"] == "stale"
    alice_stream.refresh_from_db()
    assert not alice_stream.is_live


def test_an_unknown_ingress_is_answered_200(alice_stream, caplog):
    body = event("ingress_started", "EV_x", ingressInfo={"ingressId": "IN_unknown"})
    response = post(body, sign(body))
    assert response.status_code == 200
    assert response.json()["outcome"] == "unknown_ingress"
    assert "IN_unknown" in caplog.text
    alice_stream.refresh_from_db()
    assert not alice_stream.is_live


def test_other_events_are_recorded_and_ignored(alice_stream):
    body = event("participant_joined", "EV_p", room={"name": "whatever"})
    assert post(body, sign(body)).json()["outcome"] == "ignored"


def test_events_that_change_nothing_stay_off_the_console(alice_stream, caplog):
    caplog.set_level(logging.INFO)
    body = event("participant_joined", "EV_p", room={"name": "whatever"})
    post(body, sign(body))
    post(body, sign(body))  # a duplicate
    assert "EV_p" not in caplog.text
    body = started()
    post(body, sign(body))
    assert "Webhook ingress_started EV_1: live" in caplog.text


def test_the_webhook_only_accepts_post():
    assert Client().get(URL).status_code == 405


def test_a_signed_event_with_odd_ids_is_answered_and_recorded(alice_stream):
    body = event("ingress_started", "EV_" + "x" * 200, ingressInfo={"ingressId": "IN_\x00"})
    response = post(body, sign(body))
    assert (response.status_code, response.json()["outcome"]) == (200, "unknown_ingress")
    assert len(WebhookEvent.objects.get().event_id) == 64


@pytest.mark.parametrize("created_at", ["-99999999999999", "9223372036854775807"])
def test_a_signed_event_from_an_impossible_time_is_400(alice_stream, created_at):
    body = json.dumps(
        {
            "event": "ingress_started",
            "id": "EV_1",
            "createdAt": created_at,
            "ingressInfo": {"ingressId": "IN_alice"},
        }
    )
    response = post(body, sign(body))
    assert (response.status_code, response.json()["code"]) == (400, "malformed")
    assert not WebhookEvent.objects.exists()


def test_a_body_that_is_not_utf8_is_401(alice_stream):
    client = Client()
    response = client.post(URL, b"\x80\xff", "application/webhook+json", HTTP_AUTHORIZATION="x")
    assert response.status_code == 401
