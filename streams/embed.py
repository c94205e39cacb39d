"""Embeds: a channel's player (/embed/<username>/) and chat (/embed/<username>/chat/) as
other sites frame them. They are views of the channel page, under its rules: find_host's
404 for a host who blocked the viewer, the chat API's rules for every message.

Only these two pages may be framed (`frame-ancestors *`, no X-Frame-Options); every other
page keeps X_FRAME_OPTIONS = "DENY". They change nothing themselves: a message goes through
the chat API, with the viewer's own session and CSRF token.

Framed by another site, the browser sends the frame none of the site's cookies (session,
CSRF and guest cookies are SameSite=Lax): the frame is a guest's, who watches (the token
view needs no cookie and no CSRF token: a guest without the cookie gets a new guest
identity) and reads the chat, and signs in on the site in a new tab. Framed by a page of
the site itself, a signed-in viewer's session reaches the frame, and they chat there as on
the channel page.
"""

from __future__ import annotations

import html
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from streams import chat, moderation, page_cache, rooms, selectors
from streams.templatetags.chat_history import with_own_mentions
from streams.views import channel_context, channel_page_data, chat_history_html


def frameable(view):
    """Let any site frame the view's page: the framing headers of the embeds."""

    @xframe_options_exempt
    @wraps(view)
    def framed(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = "frame-ancestors *"
        return response

    return framed


@frameable
@require_GET
def embed_player(request: HttpRequest, username: str) -> HttpResponse:
    host = selectors.find_host(request.user, ties=selectors.viewer_ties(request), username=username)
    banned = _is_banned_guest(request, host)

    def page(extra: dict) -> str:
        return _embed_page(request, host, "player", {"banned": banned, **extra})

    if page_cache.for_guests(request) and not banned:
        return page_cache.guest_page(request, f"embed:{host.pk}:{request.get_full_path()}", page)
    return HttpResponse(page({}))


@frameable
@require_GET
def embed_chat(request: HttpRequest, username: str) -> HttpResponse:
    host = selectors.find_host(request.user, ties=selectors.viewer_ties(request), username=username)
    stream = host.stream
    history = page_cache.chat_history(stream.pk, lambda: chat_history_html(stream))
    banned = _is_banned_guest(request, host)

    def page(history_html: str, extra: dict) -> str:
        extra = {"chat_history_html": history_html, "banned": banned, **extra}
        return _embed_page(request, host, "chat", extra)

    if page_cache.for_guests(request) and not banned:
        # As the channel page: the history is kept on its own and filled into every guest's page.
        chat_hole = page_cache.hole("chat")
        name = f"embed-chat:{host.pk}:{request.get_full_path()}"
        return page_cache.guest_page(
            request, name, lambda extra: page(chat_hole, extra), fill={chat_hole: history}
        )
    return HttpResponse(page(with_own_mentions(history, request.user.get_username()), {}))


def _embed_page(request: HttpRequest, host, kind: str, extra: dict) -> str:
    context = {**channel_context(request, host), "embed": kind, **extra}
    page_data = channel_page_data(request, context)
    if kind == "chat":  # a reader's token (streams.livekit.create_viewer_token)
        page_data["urls"]["token"] += "?for=chat"
    context["page_data"] = {**page_data, "embed": kind}
    return render_to_string(f"streams/embed_{kind}.html", context, request)


def _is_banned_guest(request: HttpRequest, host) -> bool:
    """Whether a guest whose cookie reaches the frame is banned from the channel: the embed
    says so, as the channel page's player and chat do. (A signed-in viewer's ban is the
    host's block: find_host has refused them already.)"""
    if request.user.is_authenticated:
        return False
    guest = rooms.request_guest(request, create=False)
    if guest is None:
        return False
    try:
        moderation.check_guest_not_banned(host, guest.person)
    except chat.ChatRefused:
        return True
    return False


def iframe_codes(request: HttpRequest, host) -> dict[str, str]:
    """The <iframe> codes the dashboard offers to copy (text, which the page escapes), with
    absolute URLs; the titles name the frames for screen readers."""
    player_extra = ' allow="autoplay; fullscreen" allowfullscreen'
    frames = {
        "player": ("embed_player", "stream", 640, 400, player_extra),
        "chat": ("embed_chat", "chat", 350, 500, ""),
    }
    codes = {}
    for kind, (view, what, width, height, extra) in frames.items():
        url = request.build_absolute_uri(reverse(view, args=[host.username]))
        title = f"{host.username}'s {what} on Streamsite"
        codes[kind] = (
            f'<iframe src="{html.escape(url)}" title="{html.escape(title)}" '
            f'width="{width}" height="{height}"{extra}></iframe>'
        )
    return codes
