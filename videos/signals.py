"""What past broadcasts hear from streams (a stream going live or offline), and what goes
with a deleted clip."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from streams.models import live_changed
from videos import services
from videos.models import Clip


@receiver(live_changed, dispatch_uid="videos_live_changed")
def _live_changed(sender, stream_ids: list, live: bool, at, cause: str = "", **kwargs) -> None:
    if live:
        services.streams_went_live(stream_ids=stream_ids, at=at)
    else:
        services.streams_went_offline(stream_ids=stream_ids, at=at, cause=cause)


@receiver(post_delete, sender=Clip, dispatch_uid="videos_clip_file")
def _clip_deleted(sender, instance: Clip, **kwargs) -> None:
    """A clip's files go with its row, however the row goes: deleted by the host or in the
    admin, or with its channel."""
    for name in filter(None, [instance.file, instance.thumbnail]):
        transaction.on_commit(lambda name=name: default_storage.delete(name))
