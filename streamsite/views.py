"""Site-wide error pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views import defaults

from streams.api import NOT_FOUND


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The JSON API answers a URL that names nothing (a malformed stream id) in JSON like
    any unknown stream; everything else gets the 404 page."""
    if request.path.startswith("/api/"):
        return NOT_FOUND.response()
    return defaults.page_not_found(request, exception)
