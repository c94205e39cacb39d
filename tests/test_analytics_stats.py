"""A broadcast's figures from the rows of its window (analytics.stats), stored when it ends,
and `manage.py broadcast_stats` for those that have none."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from analytics import stats
from analytics.models import BroadcastStats
from analytics.stats import Figures
from streams.models import Stream
from tests.analytics_rows import broadcast_of, followed, raid, said, sample, visit
from tests.factories import UserFactory
from videos import services as video_services

pytestmark = pytest.mark.django_db

GUEST = "guest-" + "a" * 32


@pytest.fixture
def start():
    return timezone.now().replace(microsecond=0) - timedelta(days=2)


@pytest.fixture
def hour(alice, bob, carol, start):
    """alice's broadcast of one hour, two days ago, and what happened around it."""
    dave, eve = UserFactory(username="dave"), UserFactory(username="eve")
    stream, end, minute = alice.stream, start + timedelta(hours=1), timedelta(minutes=1)
    broadcast = broadcast_of(stream, start, end)
    for offset, viewers in [(-1, 50), (0, 2), (1, 4), (30, 6), (60, 0), (61, 99)]:
        sample(stream, start + offset * minute, viewers)
    visit(stream, f"{bob.pk}#aaaaaa", start + 2 * minute, start + 20 * minute)
    visit(stream, f"{bob.pk}#bbbbbb", start + 5 * minute, start + 50 * minute)  # a second tab
    visit(stream, f"{GUEST}#cccccc", start + 3 * minute, start + 4 * minute)
    visit(stream, f"{carol.pk}#dddddd", start - 30 * minute, start - 10 * minute)  # before
    visit(stream, f"{eve.pk}#eeeeee", start - 30 * minute, start + 5 * minute)  # overlaps
    visit(stream, f"{dave.pk}#ffffff", start + 50 * minute, None)  # still there
    said(stream, start + minute, user=bob)
    said(stream, start + 2 * minute, user=bob)
    said(stream, start + 3 * minute, guest=GUEST)
    said(stream, start + 4 * minute, user=dave, hidden=True)  # sent, then hidden
    said(stream, start - minute, user=eve)  # before
    followed(bob, alice, start - timedelta(days=30))
    followed(dave, alice, start + 20 * minute)
    followed(eve, alice, end + minute)  # after
    raid(dave, alice, start + 10 * minute)
    raid(eve, alice, start + 11 * minute, state="cancelled")
    raid(alice, eve, start + 59 * minute)
    raid(alice, dave, end + 30 * minute)  # after
    return broadcast


def test_the_figures_count_what_happened_in_the_broadcasts_window(hour):
    assert stats.broadcast_figures(hour) == Figures(
        duration=3600.0,
        peak_viewers=6,
        average_viewers=3.0,  # (2 + 4 + 6 + 0) / 4 samples
        unique_viewers=4,  # bob (two tabs), the guest, eve, dave; not carol
        chat_messages=4,
        chatters=3,  # bob, the guest, dave
        new_followers=1,
        raids_in=1,
        raids_out=1,
    )


def test_a_live_broadcast_counts_up_to_now(alice, start):
    broadcast = broadcast_of(alice.stream, start, None)
    sample(alice.stream, start + timedelta(minutes=1), 3)
    figures = stats.broadcast_figures(broadcast, now=start + timedelta(minutes=10))
    assert (figures.duration, figures.peak_viewers, figures.average_viewers) == (600.0, 3, 3.0)


def test_a_broadcast_with_nothing_in_it_has_zero_figures(alice, start):
    broadcast = broadcast_of(alice.stream, start, start + timedelta(seconds=30))
    assert stats.broadcast_figures(broadcast) == Figures(30.0, 0, 0.0, 0, 0, 0, 0, 0, 0)


def test_the_figures_are_stored_when_the_broadcast_ends(
    alice, start, django_capture_on_commit_callbacks
):
    stream = alice.stream
    broadcast = broadcast_of(stream, start, None)
    sample(stream, start + timedelta(minutes=1), 5)
    with django_capture_on_commit_callbacks(execute=True):
        video_services.broadcast_end(stream=stream, at=start + timedelta(minutes=2))
    row = BroadcastStats.objects.get(broadcast=broadcast)
    assert (row.duration, row.peak_viewers, row.average_viewers) == (120.0, 5, 5.0)
    broadcast.refresh_from_db()
    assert stats.figures_of(broadcast) == Figures.of_row(row)


def test_the_command_stores_the_figures_broadcasts_lack(alice, start, capsys):
    stored = broadcast_of(alice.stream, start, start + timedelta(hours=1))
    BroadcastStats.objects.create(broadcast=stored, duration=1.0)
    missing = broadcast_of(alice.stream, start + timedelta(hours=2), start + timedelta(hours=3))

    call_command("broadcast_stats", "--dry-run")
    assert "1 broadcast(s) would get their figures." in capsys.readouterr().out
    assert not BroadcastStats.objects.filter(broadcast=missing).exists()

    call_command("broadcast_stats")
    assert BroadcastStats.objects.get(broadcast=missing).duration == 3600.0
    assert BroadcastStats.objects.get(broadcast=stored).duration == 1.0  # left alone

    call_command("broadcast_stats", "--all")
    assert BroadcastStats.objects.get(broadcast=stored).duration == 3600.0


def test_an_ended_broadcast_without_stored_figures_shows_none(alice, start):
    broadcast = broadcast_of(alice.stream, start, start + timedelta(hours=1))
    assert stats.figures_of(broadcast) is None


def test_a_stream_going_live_and_ending_makes_a_broadcast_with_figures(
    alice, django_capture_on_commit_callbacks
):
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        Stream.objects.filter(user=alice).set_live(live=True, at=now - timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        Stream.objects.filter(user=alice).set_live(live=False, at=now, cause="ingress_ended")
    row = BroadcastStats.objects.get(broadcast__stream=alice.stream)
    assert row.duration == 300.0
