"""A broadcast of alice's as the site's rows record it, for the timeline and its chart: viewer
samples every 15 s (none during one minute, when the pass did not run), chat, raids in and
out, a title change, and rows just outside it or of other channels that must not count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from analytics.models import TitleChange
from raids.models import Raid
from streams.models import ViewerSample
from tests.analytics_rows import raid, said
from tests.factories import UserFactory
from tests.recordings import BroadcastFactory
from videos.models import Broadcast

START = datetime(2026, 11, 20, 20, 0, 30, tzinfo=UTC)
END = datetime(2026, 11, 20, 20, 10, 10, tzinfo=UTC)
MINUTES = 11  # 20:00 to 20:10
SILENT_MINUTE = datetime(2026, 11, 20, 20, 3, tzinfo=UTC)  # no viewer sample in it


def at(minute: int, second: int = 0) -> datetime:
    return datetime(2026, 11, 20, 20, minute, second, tzinfo=UTC)


def viewers_at(moment: datetime) -> int:
    """Viewers rise with the minutes and wobble within each."""
    return 2 * moment.minute + moment.second // 15


@dataclass
class Charted:
    broadcast: Broadcast
    samples: list[tuple[datetime, int]]  # those inside the broadcast
    chat_per_minute: dict[datetime, int]


def charted_broadcast(alice) -> Charted:
    bob, carol, dave = (UserFactory(username=name) for name in ("bob", "carol", "dave"))
    stream = alice.stream
    broadcast = BroadcastFactory(
        stream=stream,
        title="Speedrun night",
        started_at=START,
        ended_at=END,
        state=Broadcast.State.NOT_RECORDED,
        files=False,
    )
    samples = []
    moment = START + timedelta(seconds=15)
    while moment <= END:
        if moment.replace(second=0) != SILENT_MINUTE:
            samples.append((moment, viewers_at(moment)))
        moment += timedelta(seconds=15)
    ViewerSample.objects.bulk_create(
        [ViewerSample(stream=stream, at=when, viewers=n) for when, n in samples]
        + [
            ViewerSample(stream=stream, at=START - timedelta(seconds=20), viewers=99),
            ViewerSample(stream=stream, at=END + timedelta(seconds=20), viewers=99),
            ViewerSample(stream=bob.stream, at=at(5), viewers=500),
        ]
    )
    chat = {at(1): 4, at(5): 5, at(10): 1}
    for _ in range(3):
        said(stream, at(1, 20), user=bob)
    said(stream, at(1, 59), user=bob, hidden=True)  # hidden later: it was still said
    for second in range(5):
        said(stream, at(5, second * 10), user=carol)
    said(stream, at(10, 5), user=bob)
    said(stream, START - timedelta(seconds=10), user=bob)  # before: not this broadcast's
    said(stream, END + timedelta(seconds=10), user=bob)  # after
    said(bob.stream, at(2), user=alice)  # another channel's chat
    raid(carol, alice, at(2, 10), viewers=8, arrivals=5)
    raid(alice, bob, END + timedelta(minutes=2), viewers=17)  # just after the end: still its
    raid(alice, dave, at(6), state=Raid.State.CANCELLED)
    raid(carol, dave, at(7), viewers=3)  # another channel's raid
    raid(dave, alice, START - timedelta(minutes=1), viewers=4)  # before it began
    TitleChange.objects.create(stream=stream, at=START - timedelta(hours=1), title="Warming up")
    TitleChange.objects.create(stream=stream, at=at(4), title="Boss fight <3")
    return Charted(broadcast, samples, chat)
