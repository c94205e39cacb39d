"""How long a stream has been live, or when it last was, for cards and pages."""

from __future__ import annotations

from django import template

from streams import selectors

register = template.Library()


@register.filter
def live_times(stream) -> selectors.LiveTimes:
    return selectors.live_times(stream)
