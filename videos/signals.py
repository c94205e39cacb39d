"""What past broadcasts hear from streams: a stream going live or offline."""

from __future__ import annotations

from django.dispatch import receiver

from streams.models import live_changed
from videos import services


@receiver(live_changed, dispatch_uid="videos_live_changed")
def _live_changed(sender, stream_ids: list, live: bool, at, **kwargs) -> None:
    if live:
        services.streams_went_live(stream_ids=stream_ids, at=at)
    else:
        services.streams_went_offline(stream_ids=stream_ids, at=at)
