"""Writes about broadcasts: a stream going live starts one, going offline ends it, the
recorder's reports move its recording along, and a broadcast is deleted with its files."""

from __future__ import annotations

import logging
import shutil
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from streams import page_cache
from streams.models import Stream
from videos import finalise
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
        if broadcast.state == Broadcast.State.PROCESSING:  # the recorder closed its parts
            transaction.on_commit(lambda pk=broadcast.pk: tasks.finalise_broadcast.enqueue(pk))
        elif broadcast.state in (Broadcast.State.WAITING, Broadcast.State.RECORDING):
            later = timezone.now() + timedelta(seconds=settings.RECORDING_FINALISE_AFTER)
            transaction.on_commit(
                lambda pk=broadcast.pk, later=later: tasks.finalise_broadcast.using(
                    run_after=later
                ).enqueue(pk, only_if_abandoned=True)
            )


def streams_went_live(*, stream_ids: list, at: datetime) -> None:
    for stream in Stream.objects.filter(pk__in=stream_ids, is_live=True):
        broadcast_start(stream=stream, at=at)


# Offline causes after which the stream is over; after any other (its room closed, the
# reconciliation found it gone: a LiveKit restart, say) it may be back in a moment, and a
# stream back within BROADCAST_RECONNECT_SECONDS goes on in the same broadcast.
ENDING_CAUSES = {"ingress_ended", "ended"}


def streams_went_offline(*, stream_ids: list, at: datetime, cause: str = "") -> None:
    from videos import tasks

    for stream in Stream.objects.filter(pk__in=stream_ids, is_live=False):
        if cause in ENDING_CAUSES:
            broadcast_end(stream=stream, at=at)
            continue
        later = timezone.now() + timedelta(seconds=settings.BROADCAST_RECONNECT_SECONDS)
        transaction.on_commit(
            lambda pk=stream.pk, later=later: tasks.end_broadcast_if_offline.using(
                run_after=later
            ).enqueue(str(pk), at.isoformat())
        )


def broadcast_end_if_offline(*, stream: Stream, at: datetime) -> bool:
    """End the stream's broadcast at `at` if the stream is still offline (it did not come
    back since); returns whether it did."""
    if stream.is_live:
        return False
    broadcast_end(stream=stream, at=max(at, stream.live_changed_at or at))
    return True


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
    if broadcast.state == Broadcast.State.FAILED and state != Broadcast.State.FAILED:
        return broadcast
    broadcast.state = state
    broadcast.failure = reason[: Broadcast._meta.get_field("failure").max_length]
    broadcast.save(update_fields=["state", "failure"])
    logger.info("Broadcast %s: recorder reports %s %s", broadcast.pk, state, reason)
    # Parts closed while the broadcast is still open: the stream may come back (a new part)
    # or end (then broadcast_end finalises it).
    if state == Broadcast.State.PROCESSING and broadcast.ended_at is not None:
        transaction.on_commit(lambda: tasks.finalise_broadcast.enqueue(broadcast.pk))
    return broadcast


class BroadcastStillOpen(Exception):
    """The stream is still live: its broadcast is being recorded."""


def broadcast_delete(*, broadcast: Broadcast) -> int:
    """Delete an ended broadcast: every file of its recording in media storage (the folder
    `broadcasts/<id>/`), what the recorder may have left in the spool, then the row.
    Returns the bytes its recording took in storage.

    The row is locked first, so a finaliser writing the recording finishes before it goes;
    a file that cannot be deleted leaves the row there (the host, or the next prune, tries
    again) rather than files nobody knows of. An open broadcast is refused: the live
    stream would start another at once (recording_jobs)."""
    with transaction.atomic():
        locked = Broadcast.objects.select_for_update().filter(pk=broadcast.pk).first()
        if locked is None:  # deleted meanwhile
            return 0
        if locked.ended_at is None:
            raise BroadcastStillOpen(f"Broadcast {locked.pk} is still live.")
        storage_delete_folder(locked.storage_folder)
        shutil.rmtree(finalise.spool_folder(locked), ignore_errors=True)
        freed = locked.bytes_stored
        locked.delete()
    # The channel page's "Watch the last broadcast" may have named it.
    page_cache.streams_changed()
    logger.info("Broadcast %s deleted (%d bytes)", broadcast.pk, freed)
    return freed


def storage_delete_folder(folder: str) -> int:
    """Delete every file under `folder` in media storage, then the folders themselves (on a
    file system; object storages have none). Returns how many files were deleted."""
    try:
        folders, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return 0
    deleted = 0
    for name in folders:
        deleted += storage_delete_folder(f"{folder}/{name}")
    for name in files:
        default_storage.delete(f"{folder}/{name}")
        deleted += 1
    default_storage.delete(folder)
    return deleted


def recording_settings_update(
    *, stream: Stream, save_past_broadcasts: bool, retention_days: int
) -> RecordingSettings:
    """What the channel keeps from now on: whether its next broadcasts are recorded, and
    how long ended ones stay (prune_broadcasts deletes the older ones)."""
    settings_row, _ = RecordingSettings.objects.update_or_create(
        stream=stream,
        defaults={"save_past_broadcasts": save_past_broadcasts, "retention_days": retention_days},
    )
    return settings_row
