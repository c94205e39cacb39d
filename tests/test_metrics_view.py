"""GET /metrics: Prometheus's view of the site, for whoever has METRICS_TOKEN."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from prometheus_client.parser import text_string_to_metric_families

from devservers.servers import ROOT
from raids.tasks import send_raid
from streams import livekit, viewer_counts
from streams.models import Stream
from tests.conftest import wait_for
from tests.factories import UserFactory
from tests.test_webhook_view import event, post, sign

pytestmark = pytest.mark.django_db

TOKEN = "a-long-random-scrape-token"


@pytest.fixture(autouse=True)
def _metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN


def scrape(client: Client | None = None) -> dict:
    """Every sample: (name, {label: value}) as a sorted tuple -> value."""
    response = (client or Client()).get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_are_off_without_a_token(settings, guest_client):
    settings.METRICS_TOKEN = ""
    assert guest_client.get("/metrics").status_code == 404
    assert guest_client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.parametrize(
    "authorization", [None, "", f"Basic {TOKEN}", "Bearer wrong", f"Bearer {TOKEN}x"]
)
def test_a_missing_or_wrong_token_is_403(guest_client, authorization):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    response = guest_client.get("/metrics", **headers)
    assert response.status_code == 403
    assert b"streamsite_" not in response.content


def test_requests_are_counted_and_timed_by_view_and_status(guest_client, alice):
    before = scrape()
    guest_client.get("/")
    guest_client.get("/alice/")
    guest_client.get("/nobody-here/")
    after = scrape()

    def grew(name: str, **labels) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("streamsite_http_requests_total", method="GET", view="home", status="200") == 1
    assert grew("streamsite_http_requests_total", method="GET", view="channel", status="200") == 1
    assert grew("streamsite_http_requests_total", method="GET", view="channel", status="404") == 1
    assert grew("streamsite_http_request_duration_seconds_count", method="GET", view="home") == 1
    assert grew("streamsite_http_request_duration_seconds_sum", method="GET", view="home") > 0


def test_the_cpu_each_view_takes_is_counted_by_view(guest_client, alice):
    before = scrape()
    guest_client.get("/alice/")
    after = scrape()

    def grew(view: str) -> float:
        name, labels = "streamsite_http_request_cpu_seconds_total", {"method": "GET", "view": view}
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("channel") > 0
    assert grew("home") == 0


def test_chat_messages_are_counted_accepted_or_refused_by_code(
    bob_client, carol_client, alice, bob
):
    Stream.objects.filter(user=alice).update(is_live=True)
    url = f"/api/stream/{alice.pk}/chat"
    before = scrape()
    assert bob_client.post(url, {"message": "hi"}).status_code == 201
    assert bob_client.post(url, {"message": "   "}).status_code == 400
    assert carol_client.post(url, {"message": "let me in"}).status_code == 403
    assert bob_client.get(url).status_code == 200  # reading is not sending
    after = scrape()
    for labels, grew in [
        ({"result": "accepted", "code": ""}, 1),
        ({"result": "refused", "code": "empty"}, 1),
        ({"result": "refused", "code": "blocked"}, 1),
    ]:
        name = "streamsite_chat_messages_total"
        assert value(after, name, **labels) - value(before, name, **labels) == grew
    refusals = "streamsite_api_refusals_total"
    labels = {"endpoint": "api_chat", "method": "POST", "code": "blocked"}
    assert value(after, refusals, **labels) - value(before, refusals, **labels) == 1


def test_webhook_outcomes_are_counted(alice):
    Stream.objects.filter(user=alice).update(ingress_id="IN_alice")
    started = event("ingress_started", "EV_m1", ingressInfo={"ingressId": "IN_alice"})
    before = scrape()
    post(started, sign(started))
    post(started, sign(started))
    post(started, "not-a-signature")
    odd = event("something_new", "EV_m2")
    post(odd, sign(odd))
    after = scrape()
    for labels in [
        {"event": "ingress_started", "outcome": "live"},
        {"event": "ingress_started", "outcome": "duplicate"},
        {"event": "unverified", "outcome": "invalid_signature"},
        {"event": "other", "outcome": "ignored"},
    ]:
        name = "streamsite_livekit_webhooks_total"
        assert value(after, name, **labels) - value(before, name, **labels) == 1, labels


def test_livekit_calls_are_timed_and_their_errors_counted(livekit_down):
    before = scrape()
    with pytest.raises(livekit.LiveKitError):
        livekit.ping()
    after = scrape()
    errors = "streamsite_livekit_call_errors_total"
    labels = {"call": "answer", "reason": "unreachable"}
    assert value(after, errors, **labels) - value(before, errors, **labels) == 1
    timed = "streamsite_livekit_call_duration_seconds_count"
    assert value(after, timed, call="answer") - value(before, timed, call="answer") == 1


def test_live_streams_and_the_people_watching_them_are_what_the_viewer_count_pass_stored(
    livekit_server, host_publisher, rtc_clients, bob_client, alice, bob
):
    UserFactory(username="dave", streamed=True)
    Stream.objects.filter(user__in=[alice, bob]).update(is_live=True)
    host_publisher(alice)  # the stream itself, not a viewer
    for _tab in range(2):
        rtc_clients(livekit_server.config.ws_url, bob_token(bob_client, alice))
    room = str(alice.pk)
    wait_for(
        lambda: livekit.room_sizes([room], timeout=5).get(room) == livekit.RoomSize(3, 0),
        "LiveKit to report bob's two tabs in alice's room",
        timeout=20,
    )
    viewer_counts.count_viewers()
    samples = scrape()
    assert value(samples, "streamsite_live_streams") == 2
    assert value(samples, "streamsite_stream_viewers", channel="alice") == 1  # one person
    assert value(samples, "streamsite_stream_viewers", channel="bob") == 0
    assert ("streamsite_stream_viewers", (("channel", "dave"),)) not in samples  # offline


def bob_token(client: Client, host) -> str:
    return client.get(f"/api/stream/token/{host.pk}").json()["token"]


def test_a_scrape_never_asks_livekit(livekit_down, alice):
    Stream.objects.filter(user=alice).update(is_live=True, viewer_count=3)
    before = scrape()
    samples = scrape()
    assert value(samples, "streamsite_live_streams") == 1
    assert value(samples, "streamsite_stream_viewers", channel="alice") == 3
    calls = "streamsite_livekit_call_duration_seconds_count"
    assert sum(v for (name, _), v in samples.items() if name == calls) == sum(
        v for (name, _), v in before.items() if name == calls
    )


def test_the_task_queue_shows_how_many_tasks_wait_and_for_how_long(db):
    samples = scrape()
    assert value(samples, "streamsite_tasks_ready", queue="default") == 0
    assert value(samples, "streamsite_tasks_oldest_ready_seconds", queue="default") == 0

    waiting = [send_raid.enqueue(raid_id) for raid_id in (1, 2)]
    DBTaskResult.objects.filter(pk=waiting[0].id).update(
        enqueued_at=timezone.now() - timedelta(minutes=10)
    )
    send_raid.using(run_after=timezone.now() + timedelta(minutes=5)).enqueue(3)  # not yet due
    done = send_raid.enqueue(4)
    DBTaskResult.objects.filter(pk=done.id).update(
        status="SUCCESSFUL", enqueued_at=timezone.now() - timedelta(hours=1)
    )
    samples = scrape()
    assert value(samples, "streamsite_tasks_ready", queue="default") == 2
    age = value(samples, "streamsite_tasks_oldest_ready_seconds", queue="default")
    assert 600 <= age < 660


def test_a_task_delayed_on_purpose_waits_from_when_it_was_due(db):
    due = send_raid.using(run_after=timezone.now() + timedelta(seconds=30)).enqueue(1)
    DBTaskResult.objects.filter(pk=due.id).update(
        enqueued_at=timezone.now() - timedelta(minutes=30),
        run_after=timezone.now() - timedelta(minutes=2),
    )
    samples = scrape()
    assert value(samples, "streamsite_tasks_ready", queue="default") == 1
    assert 120 <= value(samples, "streamsite_tasks_oldest_ready_seconds", queue="default") < 180


COUNT_IN_A_WORKER = """
import django
django.setup()
from streams import metrics
metrics.chat_accepted()
"""


def test_counts_of_several_worker_processes_add_up(tmp_path, monkeypatch, settings):
    """gunicorn's workers, with PROMETHEUS_MULTIPROC_DIR: any of them answers the scrape."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", COUNT_IN_A_WORKER], cwd=ROOT, env=env, check=True)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    samples = scrape()
    accepted = {"result": "accepted", "code": ""}
    assert value(samples, "streamsite_chat_messages_total", **accepted) == 2
    assert "streamsite_live_streams" in {name for name, _ in samples}
