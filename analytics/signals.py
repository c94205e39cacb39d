"""What analytics hears from the other apps: a stream saved (its title may have changed)
and a broadcast ending (its figures are computed then). The one module with analytics'
signal receivers; LiveKit's webhooks come through streams.live_status.WEBHOOK_LISTENERS
(AnalyticsConfig.ready)."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from analytics import services
from streams.models import Stream
from videos.models import Broadcast


@receiver(post_save, sender=Stream, dispatch_uid="analytics_title_change")
def _stream_saved(sender, instance: Stream, raw: bool = False, update_fields=None, **kwargs):
    if raw or (update_fields is not None and "title" not in update_fields):
        return
    services.title_change_record(stream=instance)


@receiver(post_save, sender=Broadcast, dispatch_uid="analytics_broadcast_ended")
def _broadcast_saved(sender, instance: Broadcast, raw: bool = False, update_fields=None, **kwargs):
    """Once the end of a broadcast is committed, its figures are stored. `robust`: a failure
    is logged and does not fail what ended it (a webhook, the worker); `manage.py
    broadcast_stats` stores what is missing."""
    if raw or instance.ended_at is None:
        return
    if update_fields is not None and "ended_at" not in update_fields:
        return
    transaction.on_commit(lambda: services.broadcast_stats_store(broadcast=instance), robust=True)
