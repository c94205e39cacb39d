"""The viewer-count pass (streams.viewer_counts) against the real livekit-server: people, not
tabs, the stream or the recorder; what it stores; how few LiveKit calls it makes; and the
home feed sorted by the counts it stored."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from django.utils import timezone

from streams import livekit, page_cache, rooms, viewer_counts
from streams.models import Stream, ViewerSample
from tests.conftest import wait_for
from tests.factories import CategoryFactory, UserFactory, list_stream

pytestmark = pytest.mark.django_db


def viewer_token(client: Client, host) -> str:
    return client.get(f"/api/stream/token/{host.pk}").json()["token"]


@pytest.fixture
def watch(livekit_server, rtc_clients):
    """Join `host`'s room as the viewer `client` is (a token from the token API: a new tab)."""

    def join(client: Client, host):
        return rtc_clients(livekit_server.config.ws_url, viewer_token(client, host))

    return join


@pytest.fixture
def recorder(livekit_server, rtc_clients):
    """Join `host`'s room as the recorder does: hidden, with the recorder's identity."""

    def join(host):
        room = rooms.room_name(host.pk)
        token = livekit.create_recorder_token(room=room, identity=rooms.recorder_identity("1"))
        return rtc_clients(livekit_server.config.ws_url, token)

    return join


def wait_for_sizes(**expected: tuple[int, int]) -> None:
    """Until LiveKit reports each user's room with (participants, publishers): it refreshes
    what ListRooms says at most every 5 s."""
    users = {name: Stream.objects.get(user__username=name).user_id for name in expected}
    wanted = {
        rooms.room_name(users[name]): livekit.RoomSize(*size) for name, size in expected.items()
    }

    def reported() -> bool:
        sizes = livekit.room_sizes(list(wanted), timeout=5)
        return all(sizes.get(room) == size for room, size in wanted.items())

    wait_for(reported, f"LiveKit to report rooms of {expected}", timeout=20)


def set_live(*users) -> None:
    Stream.objects.filter(user__in=users).set_live(live=True, at=timezone.now())


def stream_of(user) -> Stream:
    return Stream.objects.get(user=user)


def test_two_tabs_of_one_person_count_once_and_a_guest_counts_but_not_the_stream_or_recorder(
    watch, recorder, host_publisher, bob_client, guest_client, alice, bob
):
    set_live(alice)
    host_publisher(alice, video=True)
    recorder(alice)
    watch(bob_client, alice)
    watch(bob_client, alice)
    watch(guest_client, alice)
    wait_for_sizes(alice=(4, 1))  # the stream and three tabs; LiveKit leaves out the recorder

    counted = viewer_counts.count_viewers()

    assert [(count.username, count.viewers) for count in counted.counts] == [("alice", 2)]
    assert counted.livekit_requests == 2  # ListRooms, then alice's participants
    alice_stream = stream_of(alice)
    assert alice_stream.viewer_count == 2
    assert alice_stream.viewers_counted_at == counted.at
    assert list(alice_stream.viewer_samples.values_list("viewers", "at")) == [(2, counted.at)]


def test_a_chat_embed_reading_beside_the_player_is_not_another_viewer(
    livekit_server, rtc_clients, watch, host_publisher, guest_client, alice
):
    set_live(alice)
    host_publisher(alice, video=True)
    watch(guest_client, alice)  # the player embed, or the channel page
    # The chat embed framed by another site: a new guest each time, joining as a reader.
    reader = Client().get(f"/api/stream/token/{alice.pk}?for=chat").json()["token"]
    rtc_clients(livekit_server.config.ws_url, reader)
    # LiveKit counts the hidden reader in the room's size (not the recorder, whose grant is
    # another kind): the pass lists the room's participants and leaves the reader out.
    wait_for_sizes(alice=(3, 1))

    counted = viewer_counts.count_viewers()

    assert [(count.username, count.viewers) for count in counted.counts] == [("alice", 1)]


def test_a_room_with_only_the_stream_and_the_recorder_has_no_viewers_and_costs_one_call(
    host_publisher, recorder, alice
):
    set_live(alice)
    host_publisher(alice, video=True)
    recorder(alice)
    wait_for_sizes(alice=(1, 1))

    counted = viewer_counts.count_viewers()

    assert [(count.username, count.viewers) for count in counted.counts] == [("alice", 0)]
    assert (counted.rooms_listed, counted.livekit_requests) == (0, 1)
    assert stream_of(alice).viewer_samples.get().viewers == 0


def test_an_offline_stream_shows_0_and_is_not_sampled(watch, guest_client, alice, bob):
    set_live(alice)
    watch(guest_client, alice)
    watch(guest_client, bob)  # people in the room of a stream that is offline
    wait_for_sizes(alice=(1, 0), bob=(1, 0))

    counted = viewer_counts.count_viewers()

    assert [count.username for count in counted.counts] == ["alice"]
    assert stream_of(bob).viewer_count == 0
    assert not ViewerSample.objects.filter(stream__user=bob).exists()
    assert stream_of(alice).viewer_count == 1
    Stream.objects.filter(user=alice).set_live(live=False, at=timezone.now())
    assert stream_of(alice).viewer_count == 0


def test_a_live_stream_without_a_room_counts_0_viewers(livekit_server, alice):
    set_live(alice)
    Stream.objects.filter(user=alice).update(viewer_count=7)  # from an earlier room
    counted = viewer_counts.count_viewers()
    assert [(count.viewers, count.before) for count in counted.counts] == [(0, 7)]
    assert stream_of(alice).viewer_count == 0


def test_every_pass_stores_a_sample_per_live_stream(watch, guest_client, alice, bob):
    set_live(alice, bob)
    watch(guest_client, alice)
    wait_for_sizes(alice=(1, 0))
    first = viewer_counts.count_viewers()
    second = viewer_counts.count_viewers(now=first.at + viewer_counts.INTERVAL)

    samples = ViewerSample.objects.order_by("at", "stream__user__username")
    assert [(s.stream.user.username, s.viewers, s.at) for s in samples] == [
        ("alice", 1, first.at),
        ("bob", 0, first.at),
        ("alice", 1, second.at),
        ("bob", 0, second.at),
    ]


def test_a_pass_sooner_than_15_s_after_the_last_does_nothing(livekit_server, alice, bob):
    set_live(alice)
    first = viewer_counts.count_viewers()
    set_live(bob)  # went live since: not counted yet, so due
    sooner = viewer_counts.count_viewers(now=first.at + timedelta(seconds=14))
    assert [count.username for count in sooner.counts] == ["bob"]
    again = viewer_counts.count_viewers(now=first.at + timedelta(seconds=14.5))
    assert (again.counts, again.livekit_requests) == ([], 0)
    assert ViewerSample.objects.count() == 2


def test_a_dry_run_counts_and_stores_nothing(watch, guest_client, alice):
    set_live(alice)
    watch(guest_client, alice)
    wait_for_sizes(alice=(1, 0))
    counted = viewer_counts.count_viewers(dry_run=True)
    assert [(count.username, count.viewers) for count in counted.counts] == [("alice", 1)]
    assert stream_of(alice).viewer_count == 0
    assert stream_of(alice).viewers_counted_at is None
    assert not ViewerSample.objects.exists()


def test_streams_of_deactivated_accounts_are_not_counted(livekit_server, alice):
    set_live(alice)
    alice.is_active = False
    alice.save()
    assert viewer_counts.count_viewers().counts == []


def test_when_livekit_is_unreachable_it_raises_and_stores_nothing(livekit_down, alice):
    set_live(alice)
    with pytest.raises(livekit.LiveKitError, match="not reachable"):
        viewer_counts.count_viewers()
    assert stream_of(alice).viewers_counted_at is None
    assert not ViewerSample.objects.exists()


def cards(html: str) -> list[tuple[str, str]]:
    """(username, viewers as the card says) of each card of the home feed, in order."""
    grid = html.split('<ul class="card-grid">', 1)[1].split("</ul>", 1)[0]
    return [
        (user, re.search(r'class="card-viewers"[^>]*>([^<]*)<', card)[1])
        for card, user in re.findall(
            r'(<li class="card".*?<p class="card-user">([^<]+)<)', grid, re.S
        )
    ]


def test_the_home_feed_puts_the_channel_most_watched_in_real_rooms_first(
    watch, client_for, guest_client, alice, bob
):
    dave = UserFactory(username="dave", streamed=True)
    set_live(alice, dave)
    watch(guest_client, alice)
    watch(client_for(bob), dave)
    watch(Client(), dave)  # another guest
    before = cards(guest_client.get("/").content.decode())  # and now cached for guests
    assert sorted(before) == [("alice", "0 viewers"), ("dave", "0 viewers")]
    wait_for_sizes(alice=(1, 0), dave=(2, 0))

    viewer_counts.count_viewers()

    # The guest page was cached: the pass's new counts show at once all the same.
    assert cards(guest_client.get("/").content.decode()) == [
        ("dave", "2 viewers"),
        ("alice", "1 viewer"),
    ]


def test_the_directory_sorts_a_category_by_the_people_in_its_real_rooms(
    watch, client_for, guest_client, alice, bob
):
    retro = CategoryFactory(name="Retro Games")
    dave = UserFactory(username="dave", streamed=True)
    for host in (alice, dave):
        list_stream(host, retro)
    set_live(alice, dave)
    watch(guest_client, dave)
    watch(client_for(bob), alice)
    watch(client_for(bob), alice)  # bob's second tab
    watch(Client(), alice)  # a guest
    wait_for_sizes(alice=(3, 0), dave=(1, 0))

    viewer_counts.count_viewers()

    page = guest_client.get("/directory/retro-games/").content.decode()
    assert cards(page) == [("alice", "2 viewers"), ("dave", "1 viewer")]
    directory = BeautifulSoup(guest_client.get("/directory/").content, "html.parser")
    assert "3 viewers" in directory.select_one(".category-grid li").get_text(" ", strip=True)


def test_a_stream_that_went_offline_during_a_pass_keeps_its_0(alice):
    stream = stream_of(alice)  # offline: set so between the pass's reading and its writing
    stored = Stream.objects.store_viewer_counts({stream.pk: 3}, at=timezone.now())
    assert stored == []
    assert stream_of(alice).viewer_count == 0
    assert not ViewerSample.objects.exists()


def test_counts_that_did_not_change_leave_the_cached_pages_alone(alice):
    set_live(alice)
    version = page_cache.streams_version()
    Stream.objects.store_viewer_counts({stream_of(alice).pk: 0}, at=timezone.now())
    assert page_cache.streams_version() == version
    Stream.objects.store_viewer_counts({stream_of(alice).pk: 1}, at=timezone.now())
    assert page_cache.streams_version() != version
