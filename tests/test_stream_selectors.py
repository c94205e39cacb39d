from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.utils import timezone

from social.models import Follow
from streams import selectors
from streams.models import Stream
from tests.factories import BlockFactory, FollowFactory, UserFactory

pytestmark = pytest.mark.django_db


def _set_stream(user, *, live: bool = False, minutes_ago: int = 0) -> None:
    """The user's stream went live `minutes_ago` (and is still live, with `live`)."""
    when = timezone.now() - timedelta(minutes=minutes_ago)
    Stream.objects.filter(user=user).update(is_live=live, updated_at=when, last_live_at=when)


def test_a_host_is_found_by_username_in_any_case(alice, bob):
    assert selectors.find_host(bob, username="ALICE") == alice


def test_a_host_who_blocked_the_viewer_is_hidden_like_an_unknown_user(alice, carol):
    with pytest.raises(selectors.HiddenHost):  # the JSON APIs answer it 403 `blocked`
        selectors.find_host(carol, username="alice")
    with pytest.raises(Http404) as unknown:
        selectors.find_host(carol, username="nobody")
    assert not isinstance(unknown.value, selectors.HiddenHost)
    assert issubclass(selectors.HiddenHost, Http404)  # pages answer both the same


def test_deactivated_hosts_are_not_found(alice, bob):
    alice.is_active = False
    alice.save()
    with pytest.raises(Http404):
        selectors.find_host(bob, pk=alice.pk)


def test_a_host_is_shown_to_guests(alice):
    assert selectors.find_host(AnonymousUser(), username="alice") == alice


def test_feed_puts_live_streams_first_then_the_most_recently_live(alice, bob):
    dave, erin = UserFactory(username="dave"), UserFactory(username="erin")
    _set_stream(alice, minutes_ago=30)
    _set_stream(bob, minutes_ago=5)
    _set_stream(dave, live=True, minutes_ago=60)
    _set_stream(erin, minutes_ago=10)
    names = [s.user.username for s in selectors.feed_for(AnonymousUser())]
    assert names == ["dave", "bob", "erin", "alice"]


def test_feed_hides_streams_of_hosts_who_blocked_the_viewer(alice, bob, carol):
    assert "alice" not in [s.user.username for s in selectors.feed_for(carol)]
    assert "alice" in [s.user.username for s in selectors.feed_for(bob)]


def test_search_matches_title_or_username_ignoring_case(alice, bob):
    Stream.objects.filter(user=bob).update(title="Lo-fi BEATS")
    assert [s.user.username for s in selectors.search_streams(AnonymousUser(), "beats")] == ["bob"]
    assert [s.user.username for s in selectors.search_streams(AnonymousUser(), "ALI")] == ["alice"]


def test_search_hides_hosts_who_blocked_the_viewer(alice, carol):
    assert list(selectors.search_streams(carol, "alice")) == []


def test_following_lists_live_first_then_most_recent_follow(alice, bob):
    dave, erin, fay = (UserFactory(username=n) for n in ["dave", "erin", "fay"])
    for host, minutes in [(dave, 30), (erin, 10), (fay, 20)]:
        follow = FollowFactory(follower=bob, following=host)
        Follow.objects.filter(pk=follow.pk).update(
            created_at=timezone.now() - timedelta(minutes=minutes)
        )
    Follow.objects.filter(follower=bob, following=alice).update(
        created_at=timezone.now() - timedelta(minutes=90)
    )
    _set_stream(dave, live=True)
    assert [u.username for u in selectors.following_for(bob)] == ["dave", "erin", "fay", "alice"]


def test_following_leaves_out_hosts_who_blocked_the_viewer(alice, bob):
    dave = UserFactory(username="dave")
    FollowFactory(follower=bob, following=dave)
    BlockFactory(blocker=dave, blocked=bob)
    assert [u.username for u in selectors.following_for(bob)] == ["alice"]


def test_following_is_empty_for_guests(alice):
    assert selectors.following_for(AnonymousUser()) == []


def test_recommended_leaves_out_self_followed_and_blocks_either_way(alice, bob, carol):
    dave, erin = UserFactory(username="dave"), UserFactory(username="erin")
    BlockFactory(blocker=bob, blocked=dave)  # bob blocked dave
    BlockFactory(blocker=erin, blocked=bob)  # erin blocked bob
    fay = UserFactory(username="fay")
    for minutes_ago, user in enumerate([bob, dave, erin, fay, carol]):
        _set_stream(user, minutes_ago=minutes_ago)
    names = [u.username for u in selectors.recommended_for(bob)]
    assert names == ["fay", "carol"]


def test_recommended_leaves_out_accounts_that_never_streamed(alice):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    for viewer in [AnonymousUser(), UserFactory(username="dave")]:
        assert [u.username for u in selectors.recommended_for(viewer)] == ["alice"]
        assert [s.user.username for s in selectors.feed_for(viewer)] == ["alice"]


def test_the_feed_leaves_out_the_viewers_own_stream_and_blocks_either_way(alice, bob, carol):
    _set_stream(bob)
    _set_stream(carol)
    assert [s.user.username for s in selectors.feed_for(alice)] == ["bob"]  # she blocked carol
    assert [s.user.username for s in selectors.feed_for(carol)] == ["bob"]


def test_recommended_puts_live_first_then_the_most_recently_live(alice, bob, carol):
    _set_stream(alice, live=True, minutes_ago=60)
    _set_stream(bob, minutes_ago=5)
    _set_stream(carol, minutes_ago=1)
    names = [u.username for u in selectors.recommended_for(AnonymousUser())]
    assert names == ["alice", "carol", "bob"]


def test_recommended_is_limited(db):
    for n in range(selectors.RECOMMENDED_LIMIT + 5):
        UserFactory(username=f"streamer{n}", streamed=True)
    assert len(selectors.recommended_for(AnonymousUser())) == selectors.RECOMMENDED_LIMIT


def test_ties_read_from_sqlite_naive_or_as_text_are_aware_so_followers_only_chat_works(alice, bob):
    """make run's SQLite keeps times as naive UTC, and a UNION's column may come back as
    text: the followers-only rule subtracts them from an aware now."""
    rows = [
        ("following", alice.pk.hex, "2026-12-03 10:00:00.000001"),
        ("blocking", bob.pk.hex, timezone.make_naive(timezone.now(), UTC)),
    ]
    ties = selectors._ties(carol := UserFactory(username="carol2"), rows)
    ((host, since),) = ties.following
    assert host == alice.pk and timezone.is_aware(since)
    assert since.isoformat() == "2026-12-03T10:00:00.000001+00:00"
    assert ties.blocking == (bob.pk,) and ties.viewer == str(carol.pk)
