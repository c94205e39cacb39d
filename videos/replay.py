"""Chat replay: where on a past broadcast's video each chat message sent during it falls.

A recording is one or more parts (a part per run of the recorder's ffmpeg, docs/recording.md),
played one after the other. Broadcast.timeline says where each part sits on the video
(`offset`, `duration`, in seconds) and on the wall clock (`clock`: when its first frame was
captured). A message sent while a part was recording is shown `created_at - clock` seconds
into that part; one sent while nothing was recording (before the first frame, between two
parts, after the last frame) at the next moment there is video: the next part's start, or
the video's end.

That mapping never goes back in time: the later a message, the later on the video. So the
messages of a stretch of video [start, end) are exactly those sent in one stretch of wall
clock, [moment_at(start), moment_at(end)), which the database finds on its (stream,
created_at) index: the chat of a long broadcast is read a window at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet

from streams import chat
from streams.models import ChatMessage, ModerationAction
from videos.models import Broadcast


@dataclass(frozen=True)
class Span:
    """One part of the recording: where it is on the video and on the wall clock."""

    offset: float
    duration: float
    clock: datetime

    @property
    def clock_end(self) -> datetime:
        return self.clock + timedelta(seconds=self.duration)


@dataclass(frozen=True)
class Timeline:
    spans: tuple[Span, ...]

    @classmethod
    def of(cls, broadcast: Broadcast) -> Timeline:
        """The broadcast's parts in order. A part whose clock is unknown (its playlist had no
        #EXT-X-PROGRAM-DATE-TIME) is taken to follow the one before it without a gap, or
        to start with the broadcast."""
        spans: list[Span] = []
        for part in sorted(broadcast.timeline, key=lambda part: part["offset"]):
            if part.get("clock"):
                clock = datetime.fromisoformat(part["clock"])
            else:
                clock = spans[-1].clock_end if spans else broadcast.started_at
            spans.append(Span(float(part["offset"]), float(part["duration"]), clock))
        return cls(tuple(spans))

    @property
    def duration(self) -> float:
        return self.spans[-1].offset + self.spans[-1].duration if self.spans else 0.0

    def video_time(self, at: datetime) -> float:
        """Where on the video something that happened at `at` is shown, in seconds."""
        for span in self.spans:
            if at < span.clock:  # before this part began: at its start
                return span.offset
            if at <= span.clock_end:
                return span.offset + (at - span.clock).total_seconds()
        return self.duration

    def moment_at(self, seconds: float) -> datetime | None:
        """The earliest wall-clock moment shown at `seconds` or later on the video; None
        when that is no bound at all (the video's start, or past its end)."""
        if seconds <= 0:
            return None
        previous_end = None
        for span in self.spans:
            if seconds <= span.offset:  # a gap's messages are shown at the part's start
                return previous_end
            if seconds <= span.offset + span.duration:
                return span.clock + timedelta(seconds=seconds - span.offset)
            previous_end = span.clock_end
        return None


def replay_messages(
    broadcast: Broadcast, *, start: float, end: float, after: int | None = None, limit: int
) -> tuple[list[tuple[ChatMessage, float]], bool]:
    """The shown messages of the broadcast (ChatMessage.objects.shown(): none the host or a
    moderator deleted; none whose author was then timed out or banned) that fall in
    [start, end) of its video, in order, each with its video time; at most `limit`, after the
    message `after` (the last of the page before), and whether more follow."""
    timeline = Timeline.of(broadcast)
    messages = ChatMessage.objects.shown().filter(
        stream_id=broadcast.stream_id, created_at__gte=broadcast.started_at
    )
    if broadcast.ended_at is not None:  # the recorder may finish before the stream is ended
        messages = messages.filter(created_at__lte=broadcast.ended_at)
    if (since := timeline.moment_at(start)) is not None:
        messages = messages.filter(created_at__gte=since)
    if (until := timeline.moment_at(end)) is not None:
        messages = messages.filter(created_at__lt=until)
    if after is not None:
        messages = _after(messages, after)
    page = list(
        messages.select_related("reply_to")
        .only(*chat.MESSAGE_FIELDS)
        .order_by("created_at", "pk")[: limit + 1]
    )
    cleared = _cleared_by_moderation(broadcast)
    shown = [
        (message, timeline.video_time(message.created_at))
        for message in page[:limit]
        if message.author_id not in cleared or cleared[message.author_id] < message.created_at
    ]
    return shown, len(page) > limit


def _cleared_by_moderation(broadcast: Broadcast) -> dict[str, datetime]:
    """Who was timed out or banned by the host or a moderator during the broadcast, and
    when last: as on Twitch, that clears what they had said until then from the replay."""
    actions = ModerationAction.objects.filter(
        host_id=broadcast.stream.user_id,
        action__in=[ModerationAction.Action.TIMEOUT, ModerationAction.Action.BAN],
        created_at__gte=broadcast.started_at,
    ).exclude(target_person="")
    if broadcast.ended_at is not None:
        actions = actions.filter(created_at__lte=broadcast.ended_at)
    cleared: dict[str, datetime] = {}
    for person, at in actions.values_list("target_person", "created_at"):
        cleared[person] = max(at, cleared.get(person, at))
    return cleared


def _after(messages: QuerySet[ChatMessage], message_id: int) -> QuerySet[ChatMessage]:
    last = ChatMessage.objects.filter(pk=message_id).values_list("created_at", flat=True).first()
    if last is None:
        return messages.filter(pk__gt=message_id)
    return messages.filter(Q(created_at__gt=last) | Q(created_at=last, pk__gt=message_id))
