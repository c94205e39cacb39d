"""The viewer-count pass: how many people watch each live stream, asked of LiveKit and
stored, so that pages never ask LiveKit themselves.

Each pass stores, for every live stream of an active account, `Stream.viewer_count` (what
cards show and the home feed and directory sort by) and a `ViewerSample` (the creator's
statistics over time). People are counted as the channel page counts them: each person
once however many tabs they have open, never the stream itself nor the recorder
(rooms.people_watching).

A stream is counted at most every INTERVAL: a pass that comes sooner after the last one
(`viewers_counted_at`) leaves it alone, so `count_viewers --loop 15` counts every live
stream every 15 s plus the time a pass takes, and a second process or a run by hand adds
no LiveKit calls and no samples.

LiveKit calls, whatever the number of live streams: one ListRooms for all their rooms (how
many participants and publishers each has; LiveKit leaves the hidden recorder out), then,
all at once, one ListParticipants per room where someone does not publish. A viewer cannot
publish, so a room that is gone, empty, or holds only the stream has no viewer and costs
no more. LiveKit refreshes the sizes ListRooms reports within 5 s: a viewer who has just
joined a room with nobody else watching is counted by the next pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from streams import livekit, rooms
from streams.models import Stream

INTERVAL = timedelta(seconds=15)
# The pass's LiveKit calls together (ListRooms, then every ListParticipants at once).
LIVEKIT_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Count:
    username: str
    viewers: int
    before: int  # the count stored until now


@dataclass
class Pass:
    """What one pass counted."""

    at: datetime
    counts: list[Count] = field(default_factory=list)  # one per live stream that was due
    rooms_listed: int = 0  # rooms whose participants were asked for
    livekit_requests: int = 0
    stored: int = 0  # streams whose count was stored (none in a dry run)

    @property
    def viewers(self) -> int:
        return sum(count.viewers for count in self.counts)

    @property
    def changed(self) -> list[Count]:
        return [count for count in self.counts if count.viewers != count.before]


def due(now: datetime):
    """The live streams of active accounts not counted in the last INTERVAL."""
    return Stream.objects.filter(is_live=True, user__is_active=True).exclude(
        viewers_counted_at__gt=now - INTERVAL
    )


def count_viewers(*, dry_run: bool = False, now: datetime | None = None) -> Pass:
    """Count the people watching every live stream that is due, and store the counts
    (unless `dry_run`). Raises livekit.LiveKitError when LiveKit does not answer; nothing
    is stored then."""
    result = Pass(at=now or timezone.now())
    streams = list(due(result.at).values_list("pk", "user_id", "user__username", "viewer_count"))
    if not streams:
        return result
    room_of = {stream_id: rooms.room_name(host_id) for stream_id, host_id, _, _ in streams}
    sizes = livekit.room_sizes(list(room_of.values()), timeout=LIVEKIT_TIMEOUT_SECONDS)
    # Someone in the room does not publish: a viewer, perhaps (or the stream, not yet sending).
    to_list = [room for room, size in sizes.items() if size.participants > size.publishers]
    identities = livekit.participant_identities(to_list, timeout=LIVEKIT_TIMEOUT_SECONDS)
    result.rooms_listed, result.livekit_requests = len(to_list), 1 + len(to_list)
    for stream_id, host_id, username, before in streams:
        viewers = rooms.people_watching(host_id, identities.get(room_of[stream_id], []))
        result.counts.append(Count(username, viewers, before))
    if not dry_run:
        counts = {
            stream[0]: count.viewers for stream, count in zip(streams, result.counts, strict=True)
        }
        result.stored = len(Stream.objects.store_viewer_counts(counts, at=result.at))
    return result
