"""Receivers: a saved or deleted user is dropped from the shared cache (accounts.cache)."""

from __future__ import annotations

from django.conf import settings
from django.db.models.signals import post_delete, post_save

from accounts.cache import user_changed


def _user_written(sender, instance, **kwargs) -> None:
    user_changed(instance.pk)


post_save.connect(
    _user_written, sender=settings.AUTH_USER_MODEL, dispatch_uid="accounts_user_saved"
)
post_delete.connect(
    _user_written, sender=settings.AUTH_USER_MODEL, dispatch_uid="accounts_user_deleted"
)
