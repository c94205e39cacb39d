"""Past broadcasts and clips in templates: a video's length as a player shows it, media
URLs, and the channel
page's link to the last broadcast (templates/streams/_channel_body.html: streams' templates
may load this library, while streams' Python knows nothing of videos)."""

from __future__ import annotations

from django import template
from django.core.files.storage import default_storage

from streams import page_cache
from videos import formats, selectors

register = template.Library()


@register.filter(name="clock")
def clock_filter(seconds) -> str:
    """A video's length or a place on it, as a player shows it ("1:05", "1:02:05")."""
    try:
        return formats.clock(float(seconds))
    except (TypeError, ValueError):  # None: not known yet
        return ""


@register.filter
def media_url(name: str, request=None) -> str:
    """The URL of a file in media storage, by its name (Broadcast.thumbnail, Clip.file);
    absolute when given the request."""
    if not name:
        return ""
    url = default_storage.url(name)
    return request.build_absolute_uri(url) if request is not None else url


@register.simple_tag
def last_video(stream) -> dict:
    """{"id", "title"} of the channel's newest watchable broadcast, or {} when it has none.
    Kept for the page cache's few seconds, like the rest of a channel page."""

    def newest() -> dict:
        broadcast = selectors.last_video(stream)
        return {"id": broadcast.pk, "title": broadcast.title} if broadcast else {}

    return page_cache.cached(f"last-video:{stream.pk}", newest)
