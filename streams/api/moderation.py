"""Chat moderation by the host and their moderators (streams.moderation decides who may do
what): deleting messages, timing out and banning chatters."""

from __future__ import annotations

import uuid

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_POST

from streams import moderation
from streams.api import json_api, posted
from streams.selectors import find_host


def moderated_channel(request: HttpRequest, host_id: uuid.UUID):
    """The host whose chat the request's user may moderate, or ApiError 403."""
    host = find_host(request.user, pk=host_id)
    moderation.authorize(request.user, host)
    return host


@require_POST
@json_api
def chat_delete(request: HttpRequest, host_id: uuid.UUID, message_id: int) -> JsonResponse:
    """A message deleted; it disappears for everyone."""
    host = moderated_channel(request, host_id)
    moderation.message_delete(host=host, actor=request.user, message_id=message_id)
    return JsonResponse({"id": message_id, "deleted": True})


@require_POST
@json_api
def timeout(request: HttpRequest, host_id: uuid.UUID) -> JsonResponse:
    """`person` (a user id or a guest identity) may not chat for `seconds` (60, 600, 3600
    or 86400)."""
    host = moderated_channel(request, host_id)
    data = posted(request)
    try:
        seconds = int(data.get("seconds"))
    except (TypeError, ValueError, OverflowError):
        seconds = 0
    made = moderation.chatter_timeout(
        host=host, actor=request.user, person=data.get("person"), seconds=seconds
    )
    return JsonResponse(
        {"person": made.person, "name": made.name, "until": made.expires_at.isoformat()}
    )


@require_POST
@json_api
def ban(request: HttpRequest, host_id: uuid.UUID) -> JsonResponse:
    """`person` is banned: removed from the room at once, refused afterwards. `already`:
    they were banned (or blocked) before, and nothing changed."""
    host = moderated_channel(request, host_id)
    person = posted(request).get("person")
    outcome = moderation.chatter_ban(host=host, actor=request.user, person=person)
    body = {"banned": outcome.name, "removed": outcome.removed, "already": outcome.already}
    if outcome.warning:
        body["warning"] = outcome.warning
    return JsonResponse(body)
