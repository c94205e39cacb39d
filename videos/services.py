"""Writes about broadcasts: a stream going live starts one, going offline ends it, and the
recorder's reports move its recording along."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from streams.models import Stream
from videos.models import Broadcast, RecordingSettings

logger = logging.getLogger(__name__)


def broadcast_start(*, stream: Stream, at: datetime) -> Broadcast:
    """The stream's open broadcast, begun at `at` if it had none (a repeated go-live, or a
    reconnect whose offline was lost, continues the open one)."""
    open_one = Broadcast.objects.open().filter(stream=stream).first()
    if open_one is not None:
        return open_one
    recorded = RecordingSettings.of(stream).save_past_broadcasts
    try:
        with transaction.atomic():
            return Broadcast.objects.create(
                stream=stream,
                title=stream.title,
                started_at=at,
                state=Broadcast.State.WAITING if recorded else Broadcast.State.NOT_RECORDED,
            )
    except IntegrityError:  # started at the same moment by another process
        return Broadcast.objects.open().get(stream=stream)


def broadcast_end(*, stream: Stream, at: datetime) -> None:
    """End the stream's open broadcast. Its recording is finalised when the recorder says it
    closed every part, or from what is on disk if it never says so (it crashed)."""
    from videos import tasks  # tasks import this module

    for broadcast in Broadcast.objects.open().filter(stream=stream):
        broadcast.ended_at = max(at, broadcast.started_at)
        broadcast.save(update_fields=["ended_at"])
        if broadcast.state in (Broadcast.State.WAITING, Broadcast.State.RECORDING):
            later = timezone.now() + timedelta(seconds=settings.RECORDING_FINALISE_AFTER)
            transaction.on_commit(
                lambda pk=broadcast.pk, later=later: tasks.finalise_broadcast.using(
                    run_after=later
                ).enqueue(pk, only_if_abandoned=True)
            )


def streams_went_live(*, stream_ids: list, at: datetime) -> None:
    for stream in Stream.objects.filter(pk__in=stream_ids, is_live=True):
        broadcast_start(stream=stream, at=at)


def streams_went_offline(*, stream_ids: list, at: datetime) -> None:
    for stream in Stream.objects.filter(pk__in=stream_ids, is_live=False):
        broadcast_end(stream=stream, at=at)


def recording_jobs() -> list[Broadcast]:
    """What the recorder should record now. A live stream without an open broadcast (its
    going live was written some other way, the admin for one) gets one here."""
    open_broadcast = Broadcast.objects.open().filter(stream=OuterRef("pk"))
    unbroadcast = Stream.objects.filter(is_live=True).exclude(Exists(open_broadcast))
    for stream in unbroadcast:
        broadcast_start(stream=stream, at=stream.last_live_at or timezone.now())
    return list(Broadcast.objects.to_record().select_related("stream"))


REPORTED_STATES = {
    Broadcast.State.RECORDING,
    Broadcast.State.PROCESSING,
    Broadcast.State.FAILED,
}


def recording_reported(*, broadcast: Broadcast, state: str, reason: str = "") -> Broadcast:
    """What the recorder says of a broadcast's recording. `processing` hands it to the
    worker; a finished recording is not set back by a late report."""
    from videos import tasks

    if broadcast.state in (Broadcast.State.READY, Broadcast.State.NOT_RECORDED):
        return broadcast
    if state == Broadcast.State.PROCESSING and broadcast.state == Broadcast.State.PROCESSING:
        return broadcast
    broadcast.state = state
    broadcast.failure = reason[: Broadcast._meta.get_field("failure").max_length]
    broadcast.save(update_fields=["state", "failure"])
    logger.info("Broadcast %s: recorder reports %s %s", broadcast.pk, state, reason)
    if state == Broadcast.State.PROCESSING:
        transaction.on_commit(lambda: tasks.finalise_broadcast.enqueue(broadcast.pk))
    return broadcast
