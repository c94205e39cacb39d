"""Receivers: a notification saved (made one at a time, or edited in the admin) or deleted
(one, a queryset's, or a cascade's) changes its recipient's unread count (social.unread)."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from social import unread
from social.models import Notification


def _notification_written(sender, instance: Notification, **kwargs) -> None:
    unread.changed([instance.recipient_id])


post_save.connect(
    _notification_written, sender=Notification, dispatch_uid="social_notification_saved"
)
post_delete.connect(
    _notification_written, sender=Notification, dispatch_uid="social_notification_deleted"
)
