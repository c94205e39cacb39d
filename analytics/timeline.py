"""One broadcast drawn over time, minute by minute: how many watched (from the viewer-count
pass's samples) and how many chat messages were sent, with the moments that explain the
curves (raids in and out, title changes) marked on the same time axis.

Minutes are clock minutes (UTC), from the one the broadcast started in to the one it ended in
(now, while it is live): the database groups samples and messages by minute, so a long
broadcast costs one row per minute whatever its chat did. A minute's viewers are the most
counted in it (None when the pass counted nothing then); its chat is every message sent in it,
those hidden later included, since they were part of how chat went."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Avg, Count, Max, Q
from django.db.models.functions import TruncMinute
from django.utils import timezone

from analytics.models import TitleChange
from raids.models import Raid
from raids.services import AFTER_END
from streams.models import ChatMessage, ViewerSample
from videos.models import Broadcast

MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Minute:
    at: datetime  # the minute's start
    viewers: int | None
    chat_messages: int


@dataclass(frozen=True)
class Marker:
    """A moment of the broadcast: a raid that came in or went out, or a new title."""

    at: datetime
    kind: str  # "raid_in", "raid_out" or "title"
    label: str


@dataclass(frozen=True)
class Figures:
    """A broadcast's headline figures, named as analytics.models.BroadcastStats names them:
    those the timeline can tell, and None for those it cannot (who watched or chatted, who
    followed), which the page leaves out."""

    duration: float  # seconds live
    peak_viewers: int
    average_viewers: float  # the mean of the samples: the pass counts at a steady pace
    chat_messages: int
    raids_in: int
    raids_out: int
    unique_viewers: int | None = None
    chatters: int | None = None
    new_followers: int | None = None


@dataclass(frozen=True)
class Timeline:
    started_at: datetime
    ended_at: datetime  # now, for a broadcast still live
    minutes: list[Minute]
    markers: list[Marker]
    figures: Figures

    def chart_data(self) -> dict:
        """What the chart script draws (json_script): times in seconds since the epoch."""
        return {
            "start": self.started_at.timestamp(),
            "end": self.ended_at.timestamp(),
            "minutes": [minute.at.timestamp() for minute in self.minutes],
            "viewers": [minute.viewers for minute in self.minutes],
            "chat": [minute.chat_messages for minute in self.minutes],
            "markers": [
                {"at": marker.at.timestamp(), "kind": marker.kind, "label": marker.label}
                for marker in self.markers
            ],
        }


def broadcast_timeline(broadcast: Broadcast, *, now: datetime | None = None) -> Timeline:
    """`broadcast`'s viewers and chat per minute and its moments: five queries (with its
    stream fetched), whatever its length."""
    start = broadcast.started_at
    end = broadcast.ended_at or now or timezone.now()
    stream_id = broadcast.stream_id
    samples = ViewerSample.objects.filter(stream_id=stream_id, at__gte=start, at__lte=end)
    messages = ChatMessage.objects.filter(
        stream_id=stream_id, created_at__gte=start, created_at__lte=end
    )
    viewers = dict(_per_minute(samples, "at").annotate(n=Max("viewers")).values_list("m", "n"))
    chat = dict(_per_minute(messages, "created_at").annotate(n=Count("pk")).values_list("m", "n"))
    totals = samples.aggregate(peak=Max("viewers"), average=Avg("viewers"))
    markers = _raid_markers(broadcast, start, end) + _title_markers(stream_id, start, end)
    markers.sort(key=lambda marker: marker.at)
    minutes = [
        Minute(at=at, viewers=viewers.get(at), chat_messages=chat.get(at, 0))
        for at in _minutes(start, end)
    ]
    figures = Figures(
        duration=(end - start).total_seconds(),
        peak_viewers=totals["peak"] or 0,
        average_viewers=float(totals["average"] or 0),
        chat_messages=sum(chat.values()),
        raids_in=sum(marker.kind == "raid_in" for marker in markers),
        raids_out=sum(marker.kind == "raid_out" for marker in markers),
    )
    return Timeline(start, end, minutes, markers, figures)


def _per_minute(rows, field: str):
    return rows.annotate(m=TruncMinute(field)).order_by().values("m")


def _minutes(start: datetime, end: datetime) -> list[datetime]:
    first = start.replace(second=0, microsecond=0)
    return [first + i * MINUTE for i in range(int((end - first) / MINUTE) + 1)]


def _raid_markers(broadcast: Broadcast, start: datetime, end: datetime) -> list[Marker]:
    """Raids sent while the broadcast was live, at the moment each went (its countdown's end).
    A raid out may go in the minutes after the stream ended (raids.services.AFTER_END): it
    still belongs to this broadcast."""
    host_id = broadcast.stream.user_id
    sent = Raid.objects.filter(state=Raid.State.SENT).select_related("source", "target")
    raids = sent.filter(
        Q(target_id=host_id, ends_at__gte=start, ends_at__lte=end)
        | Q(source_id=host_id, ends_at__gte=start, ends_at__lte=end + AFTER_END)
    ).order_by("ends_at")
    markers = []
    for raid in raids:
        people = _people(raid.viewers or 0)
        if raid.source_id == host_id:
            label = f"Raid to {raid.target.username} with {people}"
            markers.append(Marker(raid.ends_at, "raid_out", label))
        else:
            label = f"Raid from {raid.source.username}: {people}, {raid.arrivals} arrived"
            markers.append(Marker(raid.ends_at, "raid_in", label))
    return markers


def _title_markers(stream_id: int, start: datetime, end: datetime) -> list[Marker]:
    changes = TitleChange.objects.filter(stream_id=stream_id, at__gte=start, at__lte=end)
    return [
        Marker(change.at, "title", f"Title: {change.title}") for change in changes.order_by("at")
    ]


def _people(n: int) -> str:
    return f"{n} viewer{'' if n == 1 else 's'}"
