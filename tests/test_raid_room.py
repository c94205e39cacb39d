"""A raid in real LiveKit rooms: every participant in the source's room hears the countdown
and, when the worker sends the raid after it, the go; the server counts the people (not the
tabs) and the target's chat announces them; a cancelled raid does not go."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from raids.models import Raid
from social.models import Notification
from streams.models import ChatMessage, Stream
from tests.conftest import wait_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def watch(livekit_server, rtc_clients):
    """Join `host`'s room as `client`'s person, with a token from the token API (a tab)."""

    def join(client: Client, host):
        token = client.get(f"/api/stream/token/{host.pk}").json()["token"]
        return rtc_clients(livekit_server.config.ws_url, token)

    return join


def set_live(*users) -> None:
    Stream.objects.filter(user__in=users).update(is_live=True, live_changed_at=timezone.now())


def heard(participant, kind: str) -> list[dict]:
    """The room events of type `kind` a participant received."""
    payloads = [json.loads(r.payload) for r in list(participant.received) if r.topic == "chat"]
    return [payload for payload in payloads if payload.get("type") == kind]


def run_worker() -> int:
    """What `manage.py db_worker` does with each task that is due, in this process."""
    due = list(DBTaskResult.objects.ready())
    for result in due:
        result.task.call(*result.task_result.args, **result.task_result.kwargs)
        result.delete()
    return len(due)


def test_everyone_in_the_room_counts_down_then_goes_and_the_target_hears_the_servers_count(
    alice,
    alice_client,
    bob_client,
    guest_client,
    client_for,
    host_publisher,
    watch,
    django_capture_on_commit_callbacks,
):
    dave = UserFactory(username="dave")
    erin_client = client_for(UserFactory(username="erin"))
    set_live(alice, dave)
    host_publisher(alice)
    tabs = [watch(bob_client, alice), watch(bob_client, alice)]  # bob, in two tabs
    tabs += [watch(erin_client, alice), watch(guest_client, alice)]
    tabs.append(watch(alice_client, alice))  # the host's own page: not an audience
    in_dave_room = watch(Client(), dave)

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            f"/api/raids/{alice.pk}/start", {"target": "dave"}, content_type="application/json"
        )
    assert response.status_code == 201
    raid = Raid.objects.get()
    url = f"/dave/?raid={raid.pk}"
    wait_for(lambda: all(heard(tab, "raid") for tab in tabs), "every tab to hear the raid")
    for tab in tabs:
        (countdown,) = heard(tab, "raid")
        assert countdown["target"] == {"username": "dave", "url": url}
        assert countdown["seconds"] == 10
        assert countdown["ends_at"] == raid.ends_at.isoformat()

    # The worker's task is due only when the countdown ends.
    assert run_worker() == 0
    wait_for(lambda: run_worker() == 1, "the countdown to end", timeout=15)
    assert timezone.now() >= raid.ends_at
    wait_for(lambda: all(heard(tab, "raid_go") for tab in tabs), "every tab to hear the go")
    go = {"type": "raid_go", "id": raid.pk, "url": url}
    assert all(heard(tab, "raid_go") == [go] for tab in tabs)

    raid.refresh_from_db()
    assert (raid.state, raid.viewers) == (Raid.State.SENT, 3)  # bob, erin and the guest
    text = "alice is raiding with 3 viewers!"
    assert ChatMessage.objects.get(stream__user=dave).text == text
    wait_for(
        lambda: [m["text"] for m in heard(in_dave_room, "message")] == [text],
        "dave's room to hear the announcement",
    )
    notification = Notification.objects.get(recipient=dave)
    assert (notification.channel, notification.kind, notification.title) == (alice, "raid", text)

    # The pages go to dave's channel, whose page reports each person once.
    for client in (bob_client, bob_client, erin_client, guest_client):
        client.post(f"/api/raids/{raid.pk}/arrive")
    raid.refresh_from_db()
    assert raid.arrivals == 3


def test_a_cancelled_raid_tells_the_room_and_does_not_go(
    alice, alice_client, bob_client, host_publisher, watch, django_capture_on_commit_callbacks
):
    dave = UserFactory(username="dave")
    set_live(alice, dave)
    host_publisher(alice)
    tab = watch(bob_client, alice)
    with django_capture_on_commit_callbacks(execute=True):
        raid_id = alice_client.post(
            f"/api/raids/{alice.pk}/start", {"target": "dave"}, content_type="application/json"
        ).json()["id"]
    wait_for(lambda: heard(tab, "raid"), "the countdown")
    assert alice_client.post(f"/api/raids/{alice.pk}/{raid_id}/cancel").status_code == 200
    wait_for(lambda: heard(tab, "raid_cancelled"), "the cancellation")
    assert heard(tab, "raid_cancelled") == [{"type": "raid_cancelled", "id": raid_id}]
    wait_for(lambda: run_worker() == 1, "the countdown's task", timeout=15)
    assert Raid.objects.get().state == Raid.State.CANCELLED
    assert not heard(tab, "raid_go")
    assert not ChatMessage.objects.filter(stream__user=dave).exists()
