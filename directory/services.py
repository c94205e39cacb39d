"""Writes to the directory: a stream's category and tags."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from directory.models import Category, Listing, Tag
from streams import page_cache
from streams.models import Stream


def listing_update(*, stream: Stream, category: Category | None, tag_names: list[str]) -> Listing:
    """Put `stream` in `category` (None: in none) with exactly the tags named (any case; a
    tag new to the site is made with the spelling given). The cards and channel pages show
    it at once, live or not."""
    with transaction.atomic():
        listing, _ = Listing.objects.select_for_update().get_or_create(stream=stream)
        listing.category = category
        listing.save()
        listing.tags.set([tag_get_or_create(name) for name in tag_names])
    page_cache.streams_changed()
    return listing


def tag_get_or_create(name: str) -> Tag:
    """The tag named `name` whatever the case; made with this spelling if there is none."""
    tag = Tag.objects.named(name).first()
    if tag is not None:
        return tag
    try:
        with transaction.atomic():  # another creator may make the same tag at this moment
            return Tag.objects.create(name=name)
    except IntegrityError:
        return Tag.objects.named(name).get()
