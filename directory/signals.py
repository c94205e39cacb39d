"""The cached pages show categories (name, box art) under cards and on channel pages: an
edit in the admin shows at once, as a creator's change to their listing does
(directory.services)."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from directory.models import Category, Tag
from streams import page_cache


@receiver([post_save, post_delete], sender=Category)
@receiver([post_save, post_delete], sender=Tag)
def directory_changed(sender, **kwargs) -> None:
    page_cache.streams_changed()
