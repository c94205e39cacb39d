"""One broadcast's figures, from what the site keeps while a stream is live.

The broadcast's window runs from its start to its end (now, for the one still live); an
ended one's window takes in the second its end is stamped in (LiveKit's webhooks give whole
seconds: a viewer sample or a message of 12:00:00.4 came before an end stamped 12:00:00):

- duration: the window's length;
- peak and average viewers: the highest and the mean of the viewer-count pass's samples
  (streams.models.ViewerSample) in the window. The pass samples every live stream every
  15 s whatever its audience, so the mean of the samples is the time average to within one
  interval; people are counted as the channel page counts them (rooms.people_watching: the
  host watching their own channel too, never the stream itself nor the recorder);
- unique viewers: the people (signed-in users, each guest) with a visit (ViewerVisit) in the
  room during the window, each once however many tabs or visits they had;
- chat messages and chatters: messages sent in the window, hidden ones included (they were
  sent), and the people who sent them (a user or a guest, not their tabs);
- new followers: follows of the channel made in the window that still exist;
- raids in and out: raids that went (Raid.State.SENT, at their ends_at) in the window, to
  the channel and from it.

Ended broadcasts store theirs (BroadcastStats) when they end; the live one is computed each
time it is shown, with the same five queries.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime

from django.db.models import Avg, Count, Max, Q, Subquery
from django.utils import timezone

from analytics.models import BroadcastStats, ViewerVisit
from raids.models import Raid
from social.models import Follow
from streams.live_status import WEBHOOK_TIME_RESOLUTION
from streams.models import ChatMessage, Stream, ViewerSample
from videos.models import Broadcast


@dataclass(frozen=True)
class Figures:
    duration: float  # seconds
    peak_viewers: int
    average_viewers: float
    unique_viewers: int
    chat_messages: int
    chatters: int
    new_followers: int
    raids_in: int
    raids_out: int

    def stored_fields(self) -> dict:
        """As BroadcastStats stores them."""
        return asdict(self)

    @classmethod
    def of_row(cls, row: BroadcastStats) -> Figures:
        return cls(**{field.name: getattr(row, field.name) for field in fields(cls)})


FIELDS = tuple(field.name for field in fields(Figures))


def broadcast_figures(broadcast: Broadcast, *, now: datetime | None = None) -> Figures:
    """Compute `broadcast`'s figures from the rows of its window (up to `now` while live)."""
    start = broadcast.started_at
    end = broadcast.ended_at or now or timezone.now()
    # What happened in the second LiveKit stamped the end with happened while live.
    until = end + WEBHOOK_TIME_RESOLUTION if broadcast.ended_at else end
    stream_id = broadcast.stream_id
    samples = ViewerSample.objects.filter(stream_id=stream_id, at__gte=start, at__lt=until)
    viewers = samples.aggregate(peak=Max("viewers"), average=Avg("viewers"))
    visits = ViewerVisit.objects.filter(stream_id=stream_id, joined_at__lt=until).filter(
        Q(left_at__isnull=True) | Q(left_at__gte=start)
    )
    chat = ChatMessage.objects.filter(
        stream_id=stream_id, created_at__gte=start, created_at__lt=until
    ).aggregate(
        messages=Count("pk"),
        users=Count("user", distinct=True),
        guests=Count("guest_identity", distinct=True, filter=Q(user__isnull=True)),
    )
    host = Subquery(Stream.objects.filter(pk=stream_id).values("user_id"))
    follows = Follow.objects.filter(following_id=host, created_at__gte=start, created_at__lt=until)
    raids = Raid.objects.filter(Q(source_id=host) | Q(target_id=host)).filter(
        state=Raid.State.SENT, ends_at__gte=start, ends_at__lt=until
    )
    raid_counts = raids.aggregate(
        raids_in=Count("pk", filter=Q(target_id=host)),
        raids_out=Count("pk", filter=Q(source_id=host)),
    )
    return Figures(
        duration=max(0.0, (end - start).total_seconds()),
        peak_viewers=viewers["peak"] or 0,
        average_viewers=round(viewers["average"] or 0.0, 2),
        unique_viewers=visits.values("person").distinct().count(),
        chat_messages=chat["messages"],
        chatters=chat["users"] + chat["guests"],
        new_followers=follows.count(),
        **raid_counts,
    )


def figures_of(broadcast: Broadcast, *, now: datetime | None = None) -> Figures | None:
    """What to show of `broadcast`: its stored figures once ended, computed now while it is
    live, None for an ended one whose figures are not stored yet (`manage.py
    broadcast_stats` stores them). Reads `broadcast.stats`: select it with the broadcast."""
    if broadcast.ended_at is None:
        return broadcast_figures(broadcast, now=now)
    try:
        return Figures.of_row(broadcast.stats)
    except BroadcastStats.DoesNotExist:
        return None
