from django import template
from django.core.files.storage import default_storage

from videos.clips.services import clock

register = template.Library()


@register.filter(name="clock")
def clock_filter(seconds) -> str:
    """Seconds as "1:05" (or "1:02:03" from an hour on)."""
    try:
        return clock(float(seconds))
    except (TypeError, ValueError):
        return ""


@register.filter
def media_url(name: str, request=None) -> str:
    """The address of a file in media storage; absolute when given the request."""
    url = default_storage.url(name)
    return request.build_absolute_uri(url) if request is not None else url
