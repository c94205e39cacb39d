"""Background tasks (django-tasks) about broadcasts, run by `manage.py db_worker`."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django_tasks import task

from streams.models import Stream
from videos import finalise, services
from videos.models import Broadcast

logger = logging.getLogger(__name__)

ABANDONED_STATES = (Broadcast.State.WAITING, Broadcast.State.RECORDING)


@task()
def finalise_broadcast(broadcast_id: int, only_if_abandoned: bool = False) -> str:
    """Make a recorded broadcast watchable. With `only_if_abandoned`, only when the recorder
    never said it closed the recording (it died with the stream): what is on disk is kept."""
    with transaction.atomic():
        broadcast = Broadcast.objects.select_for_update().filter(pk=broadcast_id).first()
        if broadcast is None or broadcast.state in (Broadcast.State.READY,):
            return "nothing to do"
        if broadcast.ended_at is None:
            return "still open"
        if only_if_abandoned and broadcast.state not in ABANDONED_STATES:
            return "left to the recorder"
        if broadcast.state in (Broadcast.State.FAILED, Broadcast.State.NOT_RECORDED):
            return broadcast.state
        try:
            finalise.finalise(broadcast)
        except finalise.NothingRecorded as error:
            logger.warning("Broadcast %s: %s", broadcast.pk, error)
            broadcast.state = Broadcast.State.FAILED
            broadcast.failure = "Nothing was recorded: the recorder did not receive the stream."
            broadcast.save(update_fields=["state", "failure"])
        return broadcast.state


@task()
def end_broadcast_if_offline(stream_id: str, at: str) -> bool:
    """A stream went offline in a way it may come back from (its room closed): end its
    broadcast at `at` unless it is live again."""
    stream = Stream.objects.filter(pk=stream_id).first()
    if stream is None:
        return False
    return services.broadcast_end_if_offline(stream=stream, at=datetime.fromisoformat(at))
