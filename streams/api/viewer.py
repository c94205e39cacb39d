"""What a channel page asks for: a viewer token, the stream's info, and the chat."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET, require_http_methods

from streams import chat, livekit, metrics, rooms
from streams.api import json_api, posted
from streams.models import Stream
from streams.selectors import find_host


@require_GET
@json_api
def viewer_token(request: HttpRequest, host_id: uuid.UUID) -> JsonResponse:
    host = find_host(request.user, pk=host_id)
    person = rooms.person_watching(request, host)
    identity = person.new_identity()
    token = livekit.create_viewer_token(
        room=rooms.room_name(host.pk),
        identity=identity,
        name=person.name,
        metadata=person.metadata(),
    )
    return JsonResponse(
        {
            "token": token,
            "identity": identity,
            "name": person.name,
            "ws_url": settings.LIVEKIT_WS_URL,
        }
    )


@require_GET
@json_api
def stream_info(request: HttpRequest, host_id: uuid.UUID) -> JsonResponse:
    host = find_host(request.user, pk=host_id)
    stream = host.stream
    return JsonResponse(
        {
            "id": str(host.pk),
            "host": {"id": str(host.pk), "username": host.username},
            "title": stream.title,
            "thumbnail_url": stream.thumbnail.url if stream.thumbnail else None,
            **chat.settings_json(stream),
        }
    )


@require_http_methods(["GET", "POST"])
@json_api
def chat_messages(request: HttpRequest, host_id: uuid.UUID) -> JsonResponse:
    """GET: the last 50 messages, oldest first. POST `message`: send one (201)."""
    host = find_host(request.user, pk=host_id)
    if request.method == "GET":
        return JsonResponse({"messages": [chat.message_json(m) for m in chat.history(host.stream)]})
    text = posted(request).get("message")
    # The rules are checked against the stream as saved now, not the copy find_host may
    # have from the cache (another process's cache can be seconds behind a settings change).
    stream = Stream.objects.select_related("user").get(pk=host.stream.pk)
    message = chat.send_message(stream=stream, sender=chat.sender_for(request), text=text)
    metrics.chat_accepted()
    return JsonResponse(chat.message_json(message), status=201)
