"""analytics.timeline: a broadcast's viewers and chat per minute and its moments, from the
rows the site keeps, and nothing from before, after or other channels."""

from __future__ import annotations

from datetime import timedelta

import pytest

from analytics.timeline import broadcast_timeline
from streams.models import ViewerSample
from tests.broadcast_rows import END, MINUTES, SILENT_MINUTE, START, at, charted_broadcast
from tests.recordings import BroadcastFactory
from videos.models import Broadcast

pytestmark = pytest.mark.django_db


@pytest.fixture
def charted(alice):
    return charted_broadcast(alice)


def test_every_minute_of_the_broadcast_is_there_with_the_most_viewers_counted_in_it(charted):
    timeline = broadcast_timeline(charted.broadcast)

    assert [minute.at for minute in timeline.minutes] == [at(m) for m in range(MINUTES)]
    for minute in timeline.minutes:
        counted = [n for when, n in charted.samples if when.replace(second=0) == minute.at]
        assert minute.viewers == (max(counted) if counted else None), minute.at
    assert next(m for m in timeline.minutes if m.at == SILENT_MINUTE).viewers is None
    assert timeline.minutes[0].viewers == 3  # 20:00:45 only: the one at 20:00:10 is before


def test_chat_is_counted_per_minute_hidden_messages_too_and_only_in_the_broadcast(charted):
    timeline = broadcast_timeline(charted.broadcast)

    assert {m.at: m.chat_messages for m in timeline.minutes if m.chat_messages} == (
        charted.chat_per_minute
    )
    assert timeline.figures.chat_messages == 10


def test_raids_and_title_changes_are_marked_when_they_happened(charted):
    timeline = broadcast_timeline(charted.broadcast)

    assert [(m.at, m.kind, m.label) for m in timeline.markers] == [
        (at(2, 10), "raid_in", "Raid from carol: 8 viewers, 5 arrived"),
        (at(4), "title", "Title: Boss fight <3"),
        # Sent two minutes after the stream ended (raids may go up to five after).
        (END + timedelta(minutes=2), "raid_out", "Raid to bob with 17 viewers"),
    ]
    assert (timeline.figures.raids_in, timeline.figures.raids_out) == (1, 1)


def test_the_figures_are_the_broadcasts_length_and_its_samples_peak_and_mean(charted):
    figures = broadcast_timeline(charted.broadcast).figures

    counted = [n for _, n in charted.samples]
    assert figures.duration == (END - START).total_seconds() == 580
    assert figures.peak_viewers == max(counted) == 21
    assert figures.average_viewers == pytest.approx(sum(counted) / len(counted))


def test_the_chart_data_puts_everything_on_one_axis_in_epoch_seconds(charted):
    data = broadcast_timeline(charted.broadcast).chart_data()

    assert data["start"] == START.timestamp() and data["end"] == END.timestamp()
    assert data["minutes"] == [at(m).timestamp() for m in range(MINUTES)]
    assert len(data["viewers"]) == len(data["chat"]) == MINUTES
    assert data["viewers"][3] is None and data["chat"][1] == 4
    assert [marker["at"] for marker in data["markers"]] == [
        at(2, 10).timestamp(),
        at(4).timestamp(),
        (END + timedelta(minutes=2)).timestamp(),
    ]


def test_a_live_broadcast_runs_until_now(alice):
    broadcast = BroadcastFactory(
        stream=alice.stream,
        started_at=START,
        ended_at=None,
        state=Broadcast.State.RECORDING,
        files=False,
    )
    ViewerSample.objects.create(stream=alice.stream, at=at(4, 30), viewers=7)

    timeline = broadcast_timeline(broadcast, now=at(4, 40))

    assert timeline.ended_at == at(4, 40)
    assert [m.viewers for m in timeline.minutes] == [None, None, None, None, 7]
    assert timeline.figures.duration == 250


def test_a_broadcast_without_viewers_or_chat_still_has_its_minutes(alice):
    broadcast = BroadcastFactory(
        stream=alice.stream, started_at=START, ended_at=START + timedelta(seconds=20), files=False
    )

    timeline = broadcast_timeline(broadcast)

    assert [(m.at, m.viewers, m.chat_messages) for m in timeline.minutes] == [(at(0), None, 0)]
    assert (timeline.figures.peak_viewers, timeline.figures.average_viewers) == (0, 0)
    assert timeline.markers == []


def test_the_timeline_takes_the_same_queries_however_long_the_broadcast(
    charted, django_assert_num_queries
):
    long = BroadcastFactory(
        stream=charted.broadcast.stream,
        started_at=END + timedelta(hours=1),
        ended_at=END + timedelta(hours=9),
        files=False,
    )
    ViewerSample.objects.bulk_create(
        ViewerSample(stream=long.stream, at=long.started_at + timedelta(seconds=15 * i), viewers=i)
        for i in range(8 * 240)
    )
    for broadcast in (charted.broadcast, long):
        with django_assert_num_queries(5):
            timeline = broadcast_timeline(broadcast)
    assert len(timeline.minutes) == 8 * 60 + 1
