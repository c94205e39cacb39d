"""What a channel page asks for: a viewer token, the stream's info, and the chat; and what any
page asks for to keep its LIVE markers true: which of the channels it shows are live."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_http_methods

from accounts import cache as accounts_cache
from accounts import sessions
from streams import chat, livekit, metrics, moderation, page_cache, rooms, selectors
from streams.api import json_api, posted
from streams.errors import ApiError
from streams.models import Stream
from streams.public_cache import public_for_guests
from streams.selectors import find_host


@never_cache  # a credential for one connection: never kept by a browser or a proxy
# A guest's CSRF cookie comes from here, with the guest cookie their chat needs anyway: the
# pages guests share hold no token (streams/public_cache.py).
@ensure_csrf_cookie
@require_GET
@json_api
def viewer_token(request: HttpRequest, host_id: uuid.UUID) -> JsonResponse:
    _read_ahead(request, host_id)
    host = find_host(request.user, ties=selectors.viewer_ties(request), pk=host_id)
    person = rooms.person_watching(request, host)
    if person.role == "guest" and not rooms.is_new_guest(request):
        moderation.check_guest_not_banned(host, person.person)
    purpose = request.GET.get("for")
    # ?for=preview: the dashboard's preview of the host's own stream, theirs only.
    if purpose == "preview" and person.role != "host":
        raise ApiError(403, "not_your_stream", "Only the channel's owner can preview it.")
    identity = person.new_identity()
    token = livekit.create_viewer_token(
        room=rooms.room_name(host.pk),
        identity=identity,
        name=person.name,
        metadata=person.metadata(),
        # ?for=chat: the chat embed, in the room only to read the chat.
        reader=purpose == "chat",
        preview=purpose == "preview",
    )
    response = JsonResponse(
        {
            "token": token,
            "identity": identity,
            "person": person.person,
            "name": person.name,
            "ws_url": settings.LIVEKIT_WS_URL,
        }
    )
    rooms.remember_guest(request, response)
    return response


@require_GET
@public_for_guests
@json_api
def stream_info(request: HttpRequest, host_id: uuid.UUID) -> JsonResponse:
    _read_ahead(request, host_id)
    host = find_host(request.user, ties=selectors.viewer_ties(request), pk=host_id)
    stream = host.stream
    return JsonResponse(
        {
            "id": str(host.pk),
            "host": {"id": str(host.pk), "username": host.username},
            "title": stream.title,
            "thumbnail_url": stream.thumbnail.url if stream.thumbnail else None,
            "live_since": _iso(selectors.live_times(stream).live_since),
            **chat.settings_json(stream),
        }
    )


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


@require_http_methods(["GET", "POST"])
@public_for_guests
@json_api
def chat_messages(request: HttpRequest, host_id: uuid.UUID) -> JsonResponse:
    """GET: the last 50 messages, oldest first. POST `message` (and `reply_to`, the id of
    the message it answers): send one (201).

    A guest's GET is the same for every guest: a shared cache in front may keep it for
    PUBLIC_CACHE_SECONDS, so the page's catch-up after connecting to the room may get a copy
    taken just before. The page then catches up once more when that copy has expired
    (frontend/channel/chat.js), so that nothing said around its arrival is missed."""
    if request.method == "GET":
        # The channel's chat version (with the stream id this process last saw for the host)
        # read ahead too, with the answer kept under the version this process saw last; the
        # answer under another version, should it have moved, in a second round trip.
        stream_id = _stream_ids.get(host_id)
        if stream_id is None:
            _read_ahead(request, host_id)
        else:
            hint = page_cache.chat_answer_hint(stream_id)
            first = [page_cache.chat_version_key(stream_id), *([hint] if hint else [])]

            def answer() -> list[str]:
                key = page_cache.chat_answer_key(stream_id)  # from the version read ahead
                return [] if key == hint else [key]

            _read_ahead(request, host_id, first, answer)
        host = find_host(request.user, ties=selectors.viewer_ties(request), pk=host_id)
        _stream_ids[host_id] = host.stream.pk
        # The history is kept as JSON text: put in the answer as it is.
        body = f'{{"messages": {chat.history_json(host.stream)}}}'
        return HttpResponse(body, content_type="application/json")
    data = posted(request)
    # The rules are checked against the stream as saved now: with a cache every process
    # shares, the copy find_host reads from it (every save and live-status change replaces
    # it at once); with a cache per process, from the database (another process's cache can
    # be seconds behind a settings change). A viewer the host blocked is refused by
    # chat.check_can_chat.
    if settings.CACHE_IS_SHARED:
        # What the rules read from the cache, ahead: the host's moderators and bans in force
        # with the host, and the sender's ties.
        keys = [page_cache.moderators_key(host_id), page_cache.chat_bans_key(host_id)]
        _read_ahead(request, host_id, keys)
        stream = selectors.active_host(pk=host_id).stream
    else:
        stream = get_object_or_404(
            Stream.objects.select_related("user"), user_id=host_id, user__is_active=True
        )
    message = chat.send_message(
        stream=stream,
        sender=chat.sender_for(request),
        text=data.get("message"),
        reply_to=data.get("reply_to"),
    )
    metrics.chat_accepted()
    return JsonResponse(chat.message_json(message), status=201)


# Each host's stream id as this process last saw it (a host keeps their stream for good): a
# hint that lets the chat history's first round trip to the cache read the channel's chat
# version too. A wrong or missing hint costs a round trip, never a wrong answer.
_stream_ids: page_cache.ProcessMemo = page_cache.ProcessMemo()


def _read_ahead(
    request: HttpRequest,
    host_id: uuid.UUID,
    keys: list[str] = (),
    then: Callable[[], list[str]] | None = None,
) -> None:
    """With a cache every process shares, what a stream API reads from it, ahead
    (page_cache.preload_hinted): the streams version, the host kept under it, the session
    (with a cookie) and `keys` in one round trip; the viewer's user and ties (when the
    session names one) and `then()`'s keys in a second, when there are any. Before anything
    reads the session or the user."""
    if not settings.CACHE_IS_SHARED:
        return
    session_key = None
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        session_key = sessions.cache_key(request.session)

    def later() -> list[str]:
        user_id = request.session.get(SESSION_KEY) if session_key else None  # read ahead
        viewer = [accounts_cache.key(user_id), page_cache.ties_key(user_id)] if user_id else []
        return viewer + (then() if then is not None else [])

    first = [*keys, session_key] if session_key else list(keys)
    page_cache.preload_hinted([f"host:pk:{host_id}"], first, later)


MAX_LIVE_IDS = 100  # a page shows at most 50 followed and 10 recommended channels, 24 cards


@require_GET
@public_for_guests
@json_api
def live_channels(request: HttpRequest) -> JsonResponse:
    """GET ?ids=<host id>,...: {"live": {id: bool}}, leaving out hosts who blocked the viewer.
    Open pages poll it every 10 s, so it reads the live hosts from the page cache (kept under
    the streams version, which every live-status change replaces) and, for a signed-in
    viewer, the ties every page reads."""
    given = [part for part in request.GET.get("ids", "").split(",") if part]
    if not given or len(given) > MAX_LIVE_IDS:
        detail = f"Give ids: 1 to {MAX_LIVE_IDS} channel ids, comma-separated."
        raise ApiError(400, "bad_ids", detail)
    try:
        ids = {uuid.UUID(part) for part in given}
    except ValueError:
        raise ApiError(400, "bad_ids", "An id is not a channel id.") from None
    live = page_cache.cached("live-hosts", selectors.live_host_ids)
    hidden = set(selectors.viewer_ties(request).hidden_by)
    answer = {str(host): host in live for host in ids if host not in hidden}
    return JsonResponse({"live": answer})
