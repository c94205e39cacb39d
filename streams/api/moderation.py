"""The host's moderation of their own chat: deleting messages and blocking people."""

from __future__ import annotations

import uuid

from django.contrib.auth import get_user_model
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_POST

from social.services import SocialError
from streams import chat, services
from streams.api import json_api, posted
from streams.errors import ApiError
from streams.selectors import find_host

User = get_user_model()


def own_channel(request: HttpRequest, host_id: uuid.UUID):
    host = find_host(request.user, pk=host_id)
    if not request.user.is_authenticated or request.user.pk != host.pk:
        raise ApiError(403, "not_host", "Only the host can moderate this chat.")
    return host


@require_POST
@json_api
def chat_delete(request: HttpRequest, host_id: uuid.UUID, message_id: int) -> JsonResponse:
    """The host deletes a message; it disappears for everyone."""
    host = own_channel(request, host_id)
    if not chat.delete_message(stream=host.stream, message_id=message_id):
        raise ApiError(404, "not_found", "No such message.")
    return JsonResponse({"id": message_id, "deleted": True})


@require_POST
@json_api
def block_participant(request: HttpRequest, host_id: uuid.UUID) -> JsonResponse:
    """The host blocks someone from the chat or the community tab: removed from the room at
    once, refused afterwards."""
    host = own_channel(request, host_id)
    target = _user_or_404(posted(request).get("user_id"))
    try:
        outcome = services.block_and_remove(host=host, viewer=target)
    except SocialError as error:
        raise ApiError(400, "invalid", str(error)) from None
    body = {"blocked": target.username, "removed": outcome.removed}
    if outcome.warning:
        body["warning"] = outcome.warning
    return JsonResponse(body)


def _user_or_404(user_id: object):
    try:
        target = User.objects.filter(pk=uuid.UUID(str(user_id))).first()
    except ValueError:
        target = None
    if target is None:
        raise ApiError(404, "not_found", "No such user (guests cannot be blocked).")
    return target
