"""JSON endpoints: viewer tokens, stream info, the LiveKit webhook and the health check.
Errors are `{"code", "detail"}` with the matching status; no input gives a 500."""

from __future__ import annotations

import json
import logging
import random
import secrets
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from social import selectors
from social import services as social_services
from streams import chat, live_status, livekit
from streams.services import room_name, viewer_remove_from_room

logger = logging.getLogger(__name__)
User = get_user_model()


class ApiError(Exception):
    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail

    def response(self) -> JsonResponse:
        return JsonResponse({"code": self.code, "detail": self.detail}, status=self.status)


def api_visible_host(request: HttpRequest, host_id: str):
    """The host for these APIs: unknown or malformed id -> 404, blocked viewer -> 403."""
    try:
        host_uuid = uuid.UUID(host_id)
    except ValueError:
        raise ApiError(404, "not_found", "No such stream.") from None
    host = User.objects.select_related("stream").filter(pk=host_uuid, is_active=True).first()
    if host is None:
        raise ApiError(404, "not_found", "No such stream.")
    if selectors.is_blocked_by(request.user, host):
        raise ApiError(403, "blocked", "You cannot watch this stream.")
    return host


def viewer_identity(request: HttpRequest, host) -> tuple[str, str, dict]:
    """(identity, display name, metadata) of whoever is asking.

    A per-token suffix after '#' lets two tabs of one person join together (LiveKit drops
    the older participant of a repeated identity); the part before it names the person.
    """
    suffix = secrets.token_hex(3)
    user = request.user
    if user.is_authenticated and user.pk == host.pk:
        person, name, role = f"Host-{user.pk}", user.username, "host"
    elif user.is_authenticated:
        person, name, role = str(user.pk), user.username, "viewer"
    else:
        session = request.session
        if "guest_id" not in session:
            session["guest_id"] = uuid.uuid4().hex
            session["guest_name"] = f"guest-{random.randint(0, 99999):05d}"
        person, name, role = f"guest-{session['guest_id']}", session["guest_name"], "guest"
    user_id = str(user.pk) if user.is_authenticated else None
    metadata = {"user_id": user_id, "username": name, "role": role, "person": person}
    return f"{person}#{suffix}", name, metadata


@require_GET
def viewer_token(request: HttpRequest, host_id: str) -> JsonResponse:
    try:
        host = api_visible_host(request, host_id)
    except ApiError as error:
        return error.response()
    identity, name, metadata = viewer_identity(request, host)
    token = livekit.create_viewer_token(
        room=room_name(host), identity=identity, name=name, metadata=metadata
    )
    return JsonResponse(
        {"token": token, "identity": identity, "name": name, "ws_url": settings.LIVEKIT_WS_URL}
    )


@require_GET
def stream_info(request: HttpRequest, host_id: str) -> JsonResponse:
    try:
        host = api_visible_host(request, host_id)
    except ApiError as error:
        return error.response()
    stream = host.stream
    return JsonResponse(
        {
            "id": str(host.pk),
            "host": {"id": str(host.pk), "username": host.username},
            "title": stream.title,
            "is_live": stream.is_live,
            "thumbnail_url": stream.thumbnail.url if stream.thumbnail else None,
            "is_chat_enabled": stream.is_chat_enabled,
            "is_chat_delayed": stream.is_chat_delayed,
            "is_chat_followers_only": stream.is_chat_followers_only,
        }
    )


@csrf_exempt  # LiveKit signs its webhooks; a CSRF 403 would silently drop events.
@require_POST
def livekit_webhook(request: HttpRequest) -> JsonResponse:
    try:
        event = livekit.verify_webhook(request.body, request.headers.get("Authorization"))
    except livekit.InvalidWebhook as error:
        logger.warning("Rejected a LiveKit webhook: %s", error)
        return ApiError(401, "invalid_signature", "The webhook signature is not valid.").response()
    except livekit.MalformedWebhook as error:
        logger.warning("Malformed LiveKit webhook: %s", error)
        return ApiError(400, "malformed", "The webhook body is not a LiveKit event.").response()
    outcome = live_status.apply_webhook_event(event)
    logger.info("Webhook %s %s: %s", event.event, event.id, outcome)
    return JsonResponse({"event": event.event, "outcome": outcome})


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": "ok", "livekit": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        logger.exception("Health check: database unavailable")
        checks["database"] = "unavailable"
    try:
        livekit.ping()
    except livekit.LiveKitError:
        checks["livekit"] = "unreachable"
    healthy = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if healthy else "degraded", **checks}
    return JsonResponse(body, status=200 if healthy else 503)


def _posted(request: HttpRequest) -> dict:
    """Form fields or a JSON object, whichever the client sent."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except RequestDataTooBig:
            raise ApiError(413, "too_large", "The request body is too large.") from None
        except (ValueError, UnicodeDecodeError, RecursionError):
            # RecursionError: arrays nested thousands deep.
            raise ApiError(400, "bad_json", "The request body is not valid JSON.") from None
        if not isinstance(data, dict):
            raise ApiError(400, "bad_json", "Send a JSON object.")
        return data
    return request.POST


def _refused(refusal: chat.ChatRefused) -> JsonResponse:
    response = JsonResponse({"code": refusal.code, "detail": refusal.detail}, status=refusal.status)
    if refusal.retry_after is not None:
        response["Retry-After"] = str(refusal.retry_after)
    return response


@require_http_methods(["GET", "POST"])
def chat_messages(request: HttpRequest, host_id: str) -> JsonResponse:
    """GET: the last 50 messages, oldest first. POST `message`: send one (201)."""
    try:
        host = api_visible_host(request, host_id)
        if request.method == "GET":
            return JsonResponse(
                {"messages": [chat.message_json(m) for m in chat.history(host.stream)]}
            )
        text = _posted(request).get("message")
        message = chat.send_message(stream=host.stream, sender=chat.sender_for(request), text=text)
    except ApiError as error:
        return error.response()
    except chat.ChatRefused as refusal:
        return _refused(refusal)
    return JsonResponse(chat.message_json(message), status=201)


def _own_channel(request: HttpRequest, host_id: str):
    host = api_visible_host(request, host_id)
    if not request.user.is_authenticated or request.user.pk != host.pk:
        raise ApiError(403, "not_host", "Only the host can moderate this chat.")
    return host


@require_POST
def chat_delete(request: HttpRequest, host_id: str, message_id: int) -> JsonResponse:
    """The host deletes a message; it disappears for everyone."""
    try:
        host = _own_channel(request, host_id)
    except ApiError as error:
        return error.response()
    if not chat.delete_message(stream=host.stream, message_id=message_id):
        return ApiError(404, "not_found", "No such message.").response()
    return JsonResponse({"id": message_id, "deleted": True})


@require_POST
def block_participant(request: HttpRequest, host_id: str) -> JsonResponse:
    """The host blocks someone from the chat or the community tab: removed from the room at
    once, refused afterwards."""
    try:
        host = _own_channel(request, host_id)
        user_id = str(_posted(request).get("user_id", ""))
        try:
            target = User.objects.filter(pk=uuid.UUID(user_id)).first()
        except ValueError:
            target = None
        if target is None:
            raise ApiError(404, "not_found", "No such user (guests cannot be blocked).")
        social_services.block_create(blocker=host, blocked=target)
    except ApiError as error:
        return error.response()
    except social_services.SocialError as error:
        return ApiError(400, "invalid", str(error)).response()
    try:
        removed = viewer_remove_from_room(host=host, viewer=target)
    except livekit.LiveKitError as error:
        return JsonResponse(
            {"blocked": target.username, "removed": 0, "warning": str(error)}, status=200
        )
    return JsonResponse({"blocked": target.username, "removed": removed})
