"""Every new user gets a stream, however the user was created (sign-up, admin,
createsuperuser, a factory, a shell): the one place that sees all of those is post_save."""

from __future__ import annotations

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from streams.services import stream_create_for_user


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="streams_create_for_user")
def create_stream_for_new_user(sender, instance, created: bool, raw: bool = False, **kwargs):
    if created and not raw:
        stream_create_for_user(user=instance)
