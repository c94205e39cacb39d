"""Writes about a creator's figures: who was in a live room and when (from LiveKit's
participant webhooks), each title change, and a broadcast's figures once it has ended."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Greatest, Least
from django.utils import timezone

from analytics import stats
from analytics.models import BroadcastStats, TitleChange, ViewerVisit
from streams import rooms
from streams.models import Stream
from videos.models import Broadcast

logger = logging.getLogger(__name__)

JOINED = "participant_joined"
# A participant who never fully connected (its connection aborted) is gone as one who left.
LEFT = {"participant_left", "participant_connection_aborted"}
ROOM_CLOSED = "room_finished"


def webhook_event_record(event, at: datetime) -> None:
    """What one LiveKit webhook event (verified, applied once by streams.live_status, which
    calls this as one of its WEBHOOK_LISTENERS) tells of viewers: a visit opened, closed, or
    every visit of a room that closed ended."""
    name = event.event
    if name != JOINED and name not in LEFT and name != ROOM_CLOSED:
        return
    host_id = rooms.host_id_of(event.room.name) if event.HasField("room") else None
    stream = Stream.objects.filter(user_id=host_id).only("pk").first() if host_id else None
    if stream is None:
        return
    if name == ROOM_CLOSED:
        visits_close_all(stream=stream, at=at)
        return
    if not event.HasField("participant"):
        return
    participant = event.participant
    # Only people watching: not the stream itself, not the recorder, nobody hidden.
    if participant.permission.hidden or not rooms.is_viewer(participant.identity, host_id):
        return
    if name == JOINED:
        visit_open(stream=stream, identity=participant.identity, at=at)
    else:
        visit_close(stream=stream, identity=participant.identity, at=at)


def _identity(identity: str) -> str:
    return identity[: ViewerVisit._meta.get_field("identity").max_length]


def _person(identity: str) -> str:
    return rooms.person_of(identity)[: ViewerVisit._meta.get_field("person").max_length]


def visit_open(*, stream: Stream, identity: str, at: datetime) -> ViewerVisit | None:
    """`identity` (one tab of a person) joined `stream`'s room at `at`; None when that
    visit is known already: open, or closed at or after `at` (its leaving was delivered
    first: webhooks have no order between deliveries), which then begins at `at`."""
    identity = _identity(identity)
    visits = ViewerVisit.objects.filter(stream=stream, identity=identity)
    if visits.filter(left_at__isnull=True).exists():
        return None
    if visits.filter(left_at__gte=at).update(joined_at=Least("joined_at", Value(at))):
        return None
    return ViewerVisit.objects.create(
        stream=stream, identity=identity, person=_person(identity), joined_at=at
    )


def visit_close(*, stream: Stream, identity: str, at: datetime) -> bool:
    """`identity` left `stream`'s room at `at`: its open visit ends (not before it began);
    returns whether one did. A leaving whose joining has not come is kept as a visit of no
    length, which the joining, when it comes, begins earlier."""
    identity = _identity(identity)
    with transaction.atomic():
        visit = (
            ViewerVisit.objects.select_for_update()
            .filter(stream=stream, identity=identity, left_at__isnull=True)
            .order_by("-joined_at")
            .first()
        )
        if visit is not None:
            visit.left_at = max(at, visit.joined_at)
            visit.save(update_fields=["left_at"])
            return True
        if not ViewerVisit.objects.filter(
            stream=stream, identity=identity, left_at__gte=at
        ).exists():
            ViewerVisit.objects.create(
                stream=stream, identity=identity, person=_person(identity), joined_at=at, left_at=at
            )
        return False


def visits_close_all(*, stream: Stream, at: datetime) -> int:
    """The room closed at `at`: whoever LiveKit did not say left is gone too (a lost
    participant_left must not keep a visit open into the next broadcast)."""
    open_visits = ViewerVisit.objects.filter(stream=stream, left_at__isnull=True)
    return open_visits.update(left_at=Greatest("joined_at", Value(at)))


def title_change_record(*, stream: Stream, at: datetime | None = None) -> TitleChange | None:
    """The stream's title from `at` (now) on, when it differs from the last one recorded."""
    last = TitleChange.objects.filter(stream=stream).order_by("-at", "-pk").first()
    if last is not None and last.title == stream.title:
        return None
    return TitleChange.objects.create(stream=stream, title=stream.title, at=at or timezone.now())


def broadcast_stats_store(*, broadcast: Broadcast) -> BroadcastStats | None:
    """Compute an ended broadcast's figures and store them (again, if asked twice); None
    for one still open, whose figures are computed each time they are shown."""
    if broadcast.ended_at is None:
        return None
    figures = stats.broadcast_figures(broadcast)
    row, _ = BroadcastStats.objects.update_or_create(
        broadcast=broadcast, defaults=figures.stored_fields()
    )
    logger.info("Broadcast %s: figures stored", broadcast.pk)
    return row
