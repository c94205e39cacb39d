"""Who was in a live room and when: ViewerVisit rows from LiveKit's participant webhooks
(signed as livekit-server signs them), each viewer's tab once, never the stream itself, the
recorder or anyone hidden."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from analytics.models import ViewerVisit
from streams import live_status, rooms
from streams.models import WebhookEvent
from tests.test_webhook_view import URL, event, post, sign

pytestmark = pytest.mark.django_db

T0 = 1_790_000_000  # seconds since the epoch, as LiveKit stamps events


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(T0 + seconds, tz=UTC)


def deliver(name: str, event_id: str, room: str, identity: str = "", *, second: int, **extra):
    fields = {"room": {"name": room}}
    if identity:
        fields["participant"] = {"identity": identity, **extra}
    body = event(name, event_id, created_at=T0 + second, **fields)
    response = post(body, sign(body))
    assert response.status_code == 200, response.content
    return response.json()["outcome"]


def visits(stream) -> list[tuple]:
    rows = ViewerVisit.objects.filter(stream=stream).order_by("joined_at", "identity")
    return [(v.identity, v.person, v.joined_at, v.left_at) for v in rows]


def test_a_viewer_joining_and_leaving_is_one_visit_of_that_person(alice, bob):
    room, tab = rooms.room_name(alice.pk), f"{bob.pk}#a1b2c3"
    deliver("participant_joined", "EV_j", room, tab, second=0)
    assert visits(alice.stream) == [(tab, str(bob.pk), at(0), None)]

    deliver("participant_left", "EV_l", room, tab, second=95)
    assert visits(alice.stream) == [(tab, str(bob.pk), at(0), at(95))]


def test_an_event_delivered_twice_is_recorded_once(alice, bob):
    room, tab = rooms.room_name(alice.pk), f"{bob.pk}#a1b2c3"
    assert deliver("participant_joined", "EV_j", room, tab, second=0) == "ignored"
    assert deliver("participant_joined", "EV_j", room, tab, second=0) == "duplicate"
    deliver("participant_left", "EV_l", room, tab, second=10)
    deliver("participant_left", "EV_l", room, tab, second=10)
    assert len(visits(alice.stream)) == 1


def test_a_connection_that_aborted_ends_the_visit_like_leaving(alice):
    room, tab = rooms.room_name(alice.pk), "guest-" + "a" * 32 + "#ffffff"
    deliver("participant_joined", "EV_j", room, tab, second=0)
    deliver("participant_connection_aborted", "EV_a", room, tab, second=7)
    assert visits(alice.stream) == [(tab, "guest-" + "a" * 32, at(0), at(7))]


def test_the_stream_the_recorder_and_hidden_participants_are_not_viewers(alice, bob):
    room = rooms.room_name(alice.pk)
    deliver("participant_joined", "EV_1", room, rooms.publisher_identity(alice.pk), second=0)
    deliver("participant_joined", "EV_2", room, rooms.recorder_identity("42"), second=1)
    deliver(
        "participant_joined",
        "EV_3",
        room,
        f"{bob.pk}#aaaaaa",
        second=2,
        permission={"hidden": True},
    )
    assert visits(alice.stream) == []


def test_two_tabs_are_two_visits_of_one_person(alice, bob):
    room = rooms.room_name(alice.pk)
    deliver("participant_joined", "EV_1", room, f"{bob.pk}#aaaaaa", second=0)
    deliver("participant_joined", "EV_2", room, f"{bob.pk}#bbbbbb", second=3)
    assert [(identity, person) for identity, person, _, _ in visits(alice.stream)] == [
        (f"{bob.pk}#aaaaaa", str(bob.pk)),
        (f"{bob.pk}#bbbbbb", str(bob.pk)),
    ]


def test_a_leaving_delivered_before_its_joining_still_makes_one_visit(alice, bob):
    room, tab = rooms.room_name(alice.pk), f"{bob.pk}#a1b2c3"
    deliver("participant_left", "EV_l", room, tab, second=30)
    deliver("participant_joined", "EV_j", room, tab, second=5)
    assert visits(alice.stream) == [(tab, str(bob.pk), at(5), at(30))]


def test_the_room_closing_ends_every_visit_left_open(alice, bob):
    room = rooms.room_name(alice.pk)
    deliver("participant_joined", "EV_1", room, f"{bob.pk}#aaaaaa", second=0)
    deliver("room_finished", "EV_2", room, second=60)
    assert visits(alice.stream)[0][3] == at(60)


def test_rooms_that_are_no_hosts_are_ignored(db):
    assert deliver("participant_joined", "EV_1", "lobby", "someone#aaaaaa", second=0) == "ignored"
    assert not ViewerVisit.objects.exists()


def test_an_event_a_listener_failed_on_is_not_recorded_so_livekits_retry_applies_it(
    alice, bob, monkeypatch
):
    def broken(event, at):
        raise RuntimeError("the database went away")

    room, tab = rooms.room_name(alice.pk), f"{bob.pk}#a1b2c3"
    body = event(
        "participant_joined",
        "EV_j",
        created_at=T0,
        room={"name": room},
        participant={"identity": tab},
    )
    monkeypatch.setattr(live_status, "WEBHOOK_LISTENERS", [*live_status.WEBHOOK_LISTENERS, broken])
    client = Client(raise_request_exception=False)
    response = client.post(URL, body, "application/webhook+json", HTTP_AUTHORIZATION=sign(body))
    assert response.status_code == 500  # LiveKit delivers it again
    assert not WebhookEvent.objects.filter(event_id="EV_j").exists()
    assert visits(alice.stream) == []

    monkeypatch.undo()
    assert post(body, sign(body)).json()["outcome"] == "ignored"  # the retry: applied now
    assert visits(alice.stream) == [(tab, str(bob.pk), at(0), None)]
