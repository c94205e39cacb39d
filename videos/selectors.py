"""Reads about broadcasts: what a channel shows of its past broadcasts, and which ones have
outlived their channel's retention."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet

from streams.models import Stream
from videos.models import DEFAULT_RETENTION_DAYS, Broadcast, RecordingSettings


def channel_videos(stream: Stream) -> QuerySet[Broadcast]:
    """The past broadcasts anyone may watch on a channel, newest first."""
    return Broadcast.objects.watchable().filter(stream=stream).order_by("-started_at", "-pk")


def last_video(stream: Stream) -> Broadcast | None:
    return channel_videos(stream).only("pk", "title", "started_at").first()


def dashboard_broadcasts(stream: Stream) -> QuerySet[Broadcast]:
    """Every broadcast of the channel, whatever became of its recording, newest first."""
    return Broadcast.objects.filter(stream=stream).order_by("-started_at", "-pk")


def expired_broadcasts(now: datetime) -> QuerySet[Broadcast]:
    """Ended broadcasts older than their channel's retention (RecordingSettings, the
    default for a channel that never changed it), counted from when they ended. One
    condition per retention some channel chose: a few, whatever the number of channels."""
    expired = Q(
        stream__recording__isnull=True,
        ended_at__lt=now - timedelta(days=DEFAULT_RETENTION_DAYS),
    )
    chosen = RecordingSettings.objects.values_list("retention_days", flat=True).distinct()
    for days in chosen.order_by():
        expired |= Q(
            stream__recording__retention_days=days, ended_at__lt=now - timedelta(days=days)
        )
    return (
        Broadcast.objects.filter(expired, ended_at__isnull=False)
        .select_related("stream__user")
        .order_by("ended_at", "pk")
    )
