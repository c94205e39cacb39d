"""Reads for the dashboard's Analytics page: a channel's broadcasts with their figures, and
its totals over the last days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from analytics.models import BroadcastStats
from analytics.stats import FIELDS, Figures
from social.models import Follow
from streams.models import Stream
from videos.models import Broadcast

TOTAL_PERIODS = (7, 30)  # days


def channel_broadcasts(stream: Stream) -> QuerySet[Broadcast]:
    """Every broadcast of the channel, newest first, with its stored figures."""
    return (
        Broadcast.objects.filter(stream=stream)
        .select_related("stats")
        .only(
            "pk",
            "stream_id",
            "title",
            "started_at",
            "ended_at",
            "state",
            *(f"stats__{name}" for name in FIELDS),
        )
        .order_by("-started_at", "-pk")
    )


@dataclass(frozen=True)
class Totals:
    days: int
    broadcasts: int
    hours_streamed: float
    average_viewers: float  # over the time streamed: each broadcast weighs its duration
    followers_gained: int  # every follow of the channel made in the period, live or not


def channel_totals(
    stream: Stream, *, now: datetime | None = None, live: tuple[Broadcast, Figures] | None = None
) -> list[Totals]:
    """The channel's totals for each of TOTAL_PERIODS (the last N days, by when broadcasts
    started): ended broadcasts by their stored figures, plus the live one's figures so far
    when `live` gives them. Two queries whatever the number of broadcasts."""
    now = now or timezone.now()
    since = {days: now - timedelta(days=days) for days in TOTAL_PERIODS}
    stored = BroadcastStats.objects.filter(
        broadcast__stream=stream, broadcast__started_at__gte=since[max(TOTAL_PERIODS)]
    )
    sums = stored.aggregate(
        **{
            name: aggregate
            for days, start in since.items()
            for name, aggregate in {
                f"n{days}": Count("pk", filter=Q(broadcast__started_at__gte=start)),
                f"s{days}": Sum("duration", filter=Q(broadcast__started_at__gte=start)),
                f"v{days}": Sum(
                    F("average_viewers") * F("duration"),
                    filter=Q(broadcast__started_at__gte=start),
                ),
            }.items()
        }
    )
    follows = Follow.objects.filter(
        following_id=stream.user_id, created_at__gte=min(since.values())
    )
    gained = follows.aggregate(
        **{
            f"f{days}": Count("pk", filter=Q(created_at__gte=start))
            for days, start in since.items()
        }
    )
    totals = []
    for days, start in since.items():
        count, seconds, viewer_seconds = sums[f"n{days}"], sums[f"s{days}"] or 0.0, sums[f"v{days}"]
        viewer_seconds = viewer_seconds or 0.0
        if live is not None and live[0].started_at >= start:
            count += 1
            seconds += live[1].duration
            viewer_seconds += live[1].average_viewers * live[1].duration
        totals.append(
            Totals(
                days=days,
                broadcasts=count,
                hours_streamed=seconds / 3600,
                average_viewers=viewer_seconds / seconds if seconds else 0.0,
                followers_gained=gained[f"f{days}"],
            )
        )
    return totals
