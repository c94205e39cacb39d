"""The site's API for the recorder (docs/recording.md): what to record, and what became of
each recording. Every request carries the recorder's service token."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from streams import livekit, rooms
from streams.api import json_api, posted
from streams.errors import ApiError
from videos import services
from videos.models import Broadcast

logger = logging.getLogger(__name__)


def recorder_only(view: Callable[..., JsonResponse]) -> Callable[..., JsonResponse]:
    @wraps(view)
    def checked(request: HttpRequest, *args, **kwargs) -> JsonResponse:
        try:
            livekit.verify_service_token(request.headers.get("Authorization"))
        except livekit.InvalidServiceToken as error:
            logger.warning("Refused a recorder request: %s", error)
            raise ApiError(401, "unauthorized", "A valid recorder token is required.") from None
        return view(request, *args, **kwargs)

    return checked


def _recorder_ws_url() -> str:
    """The recorder runs beside the site: it joins at the server API's address."""
    scheme, rest = settings.LIVEKIT_URL.split("://", 1)
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}"


@require_GET
@json_api
@recorder_only
def jobs(request: HttpRequest) -> JsonResponse:
    """Every broadcast to record now, with the room and a hidden subscribe-only token."""
    return JsonResponse(
        {
            "jobs": [
                {
                    "broadcast": str(broadcast.pk),
                    "room": rooms.room_name(broadcast.stream.user_id),
                    "ws_url": _recorder_ws_url(),
                    "token": livekit.create_recorder_token(
                        room=rooms.room_name(broadcast.stream.user_id),
                        identity=rooms.recorder_identity(str(broadcast.pk)),
                    ),
                }
                for broadcast in services.recording_jobs()
            ]
        }
    )


@csrf_exempt  # the recorder signs its requests; it has no session
@require_POST
@json_api
@recorder_only
def report(request: HttpRequest, broadcast_id: int) -> JsonResponse:
    """The recorder says what became of a broadcast's recording."""
    broadcast = Broadcast.objects.filter(pk=broadcast_id).first()
    if broadcast is None:
        raise ApiError(404, "not_found", "No such broadcast.")
    data = posted(request)
    state = data.get("state")
    if state not in services.REPORTED_STATES:
        allowed = ", ".join(sorted(services.REPORTED_STATES))
        raise ApiError(400, "bad_state", f"state must be one of {allowed}.")
    reason = data.get("reason", "")
    if not isinstance(reason, str):
        raise ApiError(400, "bad_reason", "reason must be text.")
    broadcast = services.recording_reported(broadcast=broadcast, state=state, reason=reason)
    return JsonResponse({"state": broadcast.state})
