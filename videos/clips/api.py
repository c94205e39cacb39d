"""The clips' JSON API: POST a clip of a past broadcast or of a live stream. Signed-in viewers
only (401 otherwise); CSRF-protected like every POST of the site's scripts (X-CSRFToken).
Answers 201 {slug, url, title, start, duration}; refusals are {code, detail} (streams.api)."""

from __future__ import annotations

import uuid

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_POST

from streams.api import json_api, posted
from streams.errors import ApiError
from streams.models import Stream
from streams.selectors import find_host
from videos.clips import selectors, services
from videos.models import Clip


def _signed_in(request: HttpRequest) -> None:
    if not request.user.is_authenticated:
        raise ApiError(401, "not_signed_in", "Sign in to make clips.")


@require_POST
@json_api
def broadcast_clips(request: HttpRequest, broadcast_id: int) -> JsonResponse:
    """JSON {title, start, end}: seconds into the broadcast (or "m:ss")."""
    _signed_in(request)
    broadcast = selectors.visible_broadcast(request.user, broadcast_id)
    data = posted(request)
    clip = services.clip_from_broadcast(
        broadcast=broadcast,
        clipper=request.user,
        title=data.get("title"),
        start=data.get("start"),
        end=data.get("end"),
    )
    return _created(clip)


@require_POST
@json_api
def live_clips(request: HttpRequest, host_id: uuid.UUID) -> JsonResponse:
    """JSON {title}: the last 30 s of the host's live stream."""
    _signed_in(request)
    host = find_host(request.user, pk=host_id)
    # Whether it is live now, not as the cached host had it.
    stream = Stream.objects.get(user_id=host.pk)
    clip = services.clip_from_live(
        stream=stream, clipper=request.user, title=posted(request).get("title")
    )
    return _created(clip)


def _created(clip: Clip) -> JsonResponse:
    body = {
        "slug": clip.slug,
        "url": clip.get_absolute_url(),
        "title": clip.title,
        "start": clip.start,
        "duration": clip.duration,
    }
    return JsonResponse(body, status=201)
