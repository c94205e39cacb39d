"""Past broadcasts in templates: a video's length as a player shows it, and the channel
page's link to the last broadcast (templates/streams/_channel_body.html: streams' templates
may load this library, while streams' Python knows nothing of videos)."""

from __future__ import annotations

from django import template
from django.core.files.storage import default_storage

from streams import page_cache
from videos import selectors

register = template.Library()


@register.filter
def clock(seconds: float | None) -> str:
    """3725.4 -> "1:02:05", 65 -> "1:05": the length of a video."""
    if seconds is None:
        return ""
    whole = int(seconds)
    hours, minutes, rest = whole // 3600, whole % 3600 // 60, whole % 60
    return f"{hours}:{minutes:02d}:{rest:02d}" if hours else f"{minutes}:{rest:02d}"


@register.filter
def media_url(name: str) -> str:
    """The URL of a file in media storage, by its name (Broadcast.thumbnail)."""
    return default_storage.url(name) if name else ""


@register.simple_tag
def last_video(stream) -> dict:
    """{"id", "title"} of the channel's newest watchable broadcast, or {} when it has none.
    Kept for the page cache's few seconds, like the rest of a channel page."""

    def newest() -> dict:
        broadcast = selectors.last_video(stream)
        return {"id": broadcast.pk, "title": broadcast.title} if broadcast else {}

    return page_cache.cached(f"last-video:{stream.pk}", newest)
