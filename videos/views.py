"""Past broadcasts for viewers: a channel's videos, the player with its chat replay, and the
replay's messages. The channel's rules hold: a viewer the host blocked finds none of them
(streams.selectors.find_host, as on the channel page)."""

from __future__ import annotations

import math

from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from streams import chat
from streams.api import json_api
from streams.errors import ApiError
from streams.selectors import find_host
from videos import replay, selectors
from videos.models import Broadcast

VIDEOS_PAGE_SIZE = 24
# The player asks for the chat a window of video at a time (see video_chat).
CHAT_WINDOW_SECONDS = 60
CHAT_PAGE_SIZE = 500
MAX_CHAT_WINDOW_SECONDS = 600
SPEEDS = ["0.5", "0.75", "1", "1.25", "1.5", "2"]  # the player's playback rates


@require_GET
def channel_videos(request: HttpRequest, username: str) -> HttpResponse:
    """The channel's past broadcasts that can be watched, newest first."""
    host = find_host(request.user, username=username)
    page = Paginator(selectors.channel_videos(host.stream), VIDEOS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {"host": host, "stream": host.stream, "page": page}
    return render(request, "videos/channel_videos.html", context)


@require_GET
def video(request: HttpRequest, broadcast_id: int) -> HttpResponse:
    """A past broadcast's player, its chat replayed beside it."""
    broadcast = get_object_or_404(
        Broadcast.objects.watchable().select_related("stream"), pk=broadcast_id
    )
    host = find_host(request.user, pk=broadcast.stream.user_id)
    page_data = {
        "playlist": default_storage.url(broadcast.playlist),
        "duration": broadcast.duration,
        "chat": {
            "url": reverse("api_video_chat", args=[broadcast.pk]),
            "window": CHAT_WINDOW_SECONDS,
        },
    }
    context = {
        "host": host,
        "stream": host.stream,
        "broadcast": broadcast,
        "speeds": SPEEDS,
        "page_data": page_data,
    }
    return render(request, "videos/video.html", context)


@require_GET
@json_api
def video_chat(request: HttpRequest, broadcast_id: int) -> JsonResponse:
    """GET ?from=&to= (seconds of video) [&after=<message id>]: the chat messages shown in
    that stretch of the video, in order, each with `t`, its time on the video; at most
    CHAT_PAGE_SIZE, and `more` when the rest follows `after` the last one.

    The chat comes a window at a time rather than all in the page: a long broadcast with a
    busy chat has tens of thousands of messages, most of which a viewer never reaches. The
    windows are fixed stretches of video, so the player asks for the one it is in and the
    next, whatever the seeking, and each answer is one range read on the chat's (stream,
    created_at) index (videos.replay).
    """
    broadcast = (
        Broadcast.objects.watchable().select_related("stream").filter(pk=broadcast_id).first()
    )
    if broadcast is None:
        raise ApiError(404, "not_found", "No such video.")
    find_host(request.user, pk=broadcast.stream.user_id)
    start, end = _seconds(request, "from"), _seconds(request, "to")
    if not start < end <= start + MAX_CHAT_WINDOW_SECONDS:
        detail = f"Give 0 <= from < to, at most {MAX_CHAT_WINDOW_SECONDS} s apart."
        raise ApiError(400, "bad_window", detail)
    after = request.GET.get("after")
    if after is not None and not (after.isdigit() and len(after) < 19):
        raise ApiError(400, "bad_after", "after must be a message id.")
    messages, more = replay.replay_messages(
        broadcast,
        start=start,
        end=end,
        after=int(after) if after else None,
        limit=CHAT_PAGE_SIZE,
    )
    shown = [{**chat.message_json(m), "t": round(t, 3)} for m, t in messages]
    return JsonResponse({"messages": shown, "more": more})


def _seconds(request: HttpRequest, name: str) -> float:
    try:
        value = float(request.GET.get(name, ""))
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise ApiError(400, "bad_window", f"{name} must be a number of seconds, 0 or more.")
    return value
