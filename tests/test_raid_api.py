"""The raid API (raids.views): who may raid whom, refusals as {code, detail} with the right
status, the countdown's task, cancelling, what is sent when it goes, and arrivals. The room's
side, against the real livekit-server, is in test_raid_room.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from raids import services
from raids.models import Raid, RaidArrival, RaidSettings
from social.models import Notification
from streams.models import ChatMessage, Stream
from tests.factories import BlockFactory, FollowFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dave(alice):
    """A live channel alice may raid."""
    dave = UserFactory(username="dave")
    set_live(dave)
    return dave


def set_live(*users, live: bool = True, changed_ago: timedelta = timedelta(minutes=30)) -> None:
    Stream.objects.filter(user__in=users).update(
        is_live=live, live_changed_at=timezone.now() - changed_ago
    )


def start(client: Client, host, target: str):
    return client.post(
        f"/api/raids/{host.pk}/start", {"target": target}, content_type="application/json"
    )


def refusal(response) -> tuple[int, str]:
    body = response.json()
    assert set(body) >= {"code", "detail"} and body["detail"]
    return response.status_code, body["code"]


def test_the_host_starts_a_raid_that_counts_down_ten_seconds_and_queues_its_end(
    alice, alice_client, dave, django_capture_on_commit_callbacks
):
    set_live(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = start(alice_client, alice, "dave")
    assert response.status_code == 201
    body = response.json()
    assert body["state"] == "counting"
    assert body["target"] == {"username": "dave", "url": f"/dave/?raid={body['id']}"}
    raid = Raid.objects.get()
    assert (raid.source, raid.target, raid.started_by) == (alice, dave, alice)
    assert raid.ends_at - raid.started_at == timedelta(seconds=10)
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "raids.tasks.send_raid"
    assert queued.run_after == raid.ends_at


def test_a_moderator_may_raid_but_a_viewer_or_a_guest_may_not(
    alice, mod_client, bob_client, guest_client, dave
):
    set_live(alice)
    assert refusal(start(bob_client, alice, "dave")) == (403, "not_moderator")
    assert refusal(start(guest_client, alice, "dave")) == (403, "not_moderator")
    assert start(mod_client, alice, "dave").status_code == 201


def test_starting_a_raid_needs_the_csrf_token(alice, dave):
    set_live(alice)
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert start(client, alice, "dave").status_code == 403
    assert not Raid.objects.exists()


def test_refusals_for_yourself_an_offline_channel_and_a_block_either_way(alice, alice_client, dave):
    set_live(alice)
    erin, frank = UserFactory(username="erin"), UserFactory(username="frank")
    UserFactory(username="gina")  # offline
    set_live(erin, frank)
    BlockFactory(blocker=alice, blocked=erin)
    BlockFactory(blocker=frank, blocked=alice)
    assert refusal(start(alice_client, alice, "alice")) == (400, "self")
    assert refusal(start(alice_client, alice, "gina")) == (409, "offline")
    assert refusal(start(alice_client, alice, "erin")) == (403, "blocked")
    # frank blocked alice: his channel is hidden from her, and the raid is refused.
    assert refusal(start(alice_client, alice, "frank")) == (403, "blocked")
    assert refusal(start(alice_client, alice, "nobody-here")) == (404, "not_found")
    assert not Raid.objects.exists()


def test_a_channel_refusing_raids_or_accepting_only_those_it_follows(alice, alice_client, dave):
    set_live(alice)
    RaidSettings.objects.create(user=dave, accept_from=RaidSettings.Accept.NOBODY)
    assert refusal(start(alice_client, alice, "dave")) == (403, "refuses_raids")
    RaidSettings.objects.filter(user=dave).update(accept_from=RaidSettings.Accept.FOLLOWED)
    assert refusal(start(alice_client, alice, "dave")) == (403, "refuses_raids")
    FollowFactory(follower=dave, following=alice)
    assert start(alice_client, alice, "dave").status_code == 201


def test_a_raid_starts_while_live_or_just_after_the_end_of_the_stream(alice, alice_client, dave):
    set_live(alice, live=False, changed_ago=timedelta(minutes=6))
    assert refusal(start(alice_client, alice, "dave")) == (409, "not_live")
    set_live(alice, live=False, changed_ago=timedelta(minutes=2))
    assert start(alice_client, alice, "dave").status_code == 201


def test_one_raid_at_a_time_and_one_every_ten_minutes(alice, alice_client, dave):
    set_live(alice)
    erin = UserFactory(username="erin")
    set_live(erin)
    first = start(alice_client, alice, "dave").json()
    assert refusal(start(alice_client, alice, "erin")) == (409, "raid_in_progress")
    raid = Raid.objects.get(pk=first["id"])
    assert services.raid_go(raid_id=raid.pk, now=raid.ends_at) is not None
    response = start(alice_client, alice, "erin")
    assert refusal(response) == (429, "too_soon")
    assert 580 <= int(response["Retry-After"]) <= 600


def test_a_cancelled_raid_does_not_go_and_does_not_count_against_the_limit(
    alice, alice_client, bob_client, dave
):
    set_live(alice)
    raid_id = start(alice_client, alice, "dave").json()["id"]
    assert refusal(bob_client.post(f"/api/raids/{alice.pk}/{raid_id}/cancel")) == (
        403,
        "not_moderator",
    )
    response = alice_client.post(f"/api/raids/{alice.pk}/{raid_id}/cancel")
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    assert refusal(alice_client.post(f"/api/raids/{alice.pk}/{raid_id}/cancel")) == (
        409,
        "not_counting",
    )
    raid = Raid.objects.get(pk=raid_id)
    assert services.raid_go(raid_id=raid_id, now=raid.ends_at) is None
    assert start(alice_client, alice, "dave").status_code == 201


def test_a_raid_goes_only_when_its_countdown_is_over_and_only_once(alice, alice_client, dave):
    set_live(alice)
    raid = Raid.objects.get(pk=start(alice_client, alice, "dave").json()["id"])
    assert services.raid_go(raid_id=raid.pk, now=raid.ends_at - timedelta(seconds=1)) is None
    sent = services.raid_go(raid_id=raid.pk, now=raid.ends_at)
    assert sent.state == Raid.State.SENT and sent.viewers == 0  # LiveKit is down here
    assert services.raid_go(raid_id=raid.pk, now=raid.ends_at) is None
    announcement = ChatMessage.objects.get(stream__user=dave)
    assert announcement.text == "alice is raiding with 0 viewers!"
    assert announcement.author_badge == "notice"
    notification = Notification.objects.get(recipient=dave)
    assert (notification.channel, notification.kind) == (alice, "raid")


def test_the_search_lists_only_live_channels_that_take_raids_from_this_one(
    alice, alice_client, dave
):
    set_live(alice)
    names = ["erin", "frank", "gina", "hank", "ivy"]
    erin, frank, gina, _hank, ivy = (UserFactory(username=name) for name in names)
    set_live(erin, frank, gina, ivy)  # hank is offline
    BlockFactory(blocker=alice, blocked=erin)
    BlockFactory(blocker=frank, blocked=alice)
    RaidSettings.objects.create(user=gina, accept_from=RaidSettings.Accept.NOBODY)
    RaidSettings.objects.create(user=ivy, accept_from=RaidSettings.Accept.FOLLOWED)
    listed = alice_client.get(f"/api/raids/{alice.pk}/targets").json()["channels"]
    assert [channel["username"] for channel in listed] == ["dave"]
    FollowFactory(follower=ivy, following=alice)
    listed = alice_client.get(f"/api/raids/{alice.pk}/targets?q=iv").json()["channels"]
    assert [channel["username"] for channel in listed] == ["ivy"]


def test_an_arrival_counts_once_per_person_however_many_tabs(
    alice, alice_client, bob_client, guest_client, dave
):
    set_live(alice)
    raid = Raid.objects.get(pk=start(alice_client, alice, "dave").json()["id"])
    arrive = f"/api/raids/{raid.pk}/arrive"
    assert refusal(bob_client.post(arrive)) == (404, "not_found")  # not sent yet
    services.raid_go(raid_id=raid.pk, now=raid.ends_at)
    assert bob_client.post(arrive).json() == {"counted": True}
    assert bob_client.post(arrive).json() == {"counted": False}
    guest_client.get(f"/api/stream/token/{alice.pk}")  # a guest who watched alice
    assert guest_client.post(arrive).json() == {"counted": True}
    assert guest_client.post(arrive).json() == {"counted": False}
    raid.refresh_from_db()
    assert raid.arrivals == 2 == RaidArrival.objects.filter(raid=raid).count()


def test_the_dashboard_sets_whom_the_channel_accepts_raids_from(alice, alice_client, bob_client):
    page = alice_client.get("/u/alice/raids/")
    assert page.status_code == 200 and "Accept raids from" in page.text
    response = alice_client.post("/u/alice/raids/", {"accept_from": "followed"})
    assert response.status_code == 302
    assert RaidSettings.objects.get(user=alice).accept_from == "followed"
    assert alice_client.post("/u/alice/raids/", {"accept_from": "pirates"}).status_code == 400
    assert bob_client.get("/u/alice/raids/").status_code == 404


def test_the_targets_chat_history_shows_the_announcement_as_a_notice_and_the_bell_says_who(
    alice, alice_client, dave, client_for
):
    set_live(alice)
    raid = Raid.objects.get(pk=start(alice_client, alice, "dave").json()["id"])
    services.raid_go(raid_id=raid.pk, now=raid.ends_at)
    page = Client().get("/dave/").text
    assert 'data-badge="notice"' in page and "alice is raiding with 0 viewers!" in page
    bell = client_for(dave).get("/notifications/").text
    assert "raided your channel: alice is raiding with 0 viewers!" in bell
