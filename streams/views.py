"""Browse and channel pages."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.messages import get_messages
from django.core.cache.utils import make_template_fragment_key
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import RequestContext, engines
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.html import json_script
from django.views.decorators.http import require_GET

from accounts import cache as accounts_cache
from accounts import sessions
from social import selectors as social_selectors
from social import unread
from streams import chat, chat_markup, context_processors, moderation, page_cache, rooms, selectors
from streams.forms import SearchForm
from streams.models import Moderator
from streams.public_cache import public_for_guests
from streams.templatetags.chat_history import with_own_mentions

FEED_PAGE_SIZE = 24

# Extension point for the apps built on streams, which streams never imports: functions of
# the Stream returning a dict merged into the channel page's data (channel_page_data) for its
# script, added from their AppConfig.ready() (the emotes app adds the channel's emotes).
# The dict must be the same for every viewer: guests share one cached page.
CHANNEL_PAGE_DATA: list = []


@require_GET
@public_for_guests
def home(request: HttpRequest) -> HttpResponse:
    number = request.GET.get("page", "1")
    # Read only if the template does not find the feed in the cache (streams.page_cache).
    page = SimpleLazyObject(
        lambda: Paginator(selectors.feed_for(request.user), FEED_PAGE_SIZE).get_page(number)
    )

    def home_page(extra: dict) -> str:
        context = {"page": page, "page_number": number, **extra}
        return render_to_string("streams/home.html", context, request)

    preloaded = _preload_for_viewer(request, "home")
    if page_cache.for_guests(request):
        return page_cache.guest_page(request, f"home:{request.get_full_path()}", home_page)
    if get_messages(request):
        return HttpResponse(home_page({}))

    # The page as every signed-in viewer gets it, with holes for the header's account links,
    # the sidebar and the feed (fragments per viewer's ties), and the CSRF token.
    def fill() -> dict[str, str]:
        feed = {"page": page, "page_number": number}
        holes = render_holes(
            request,
            {
                "sidebar_html": ("includes/sidebar.html", {}),
                "feed_html": ("streams/_home_feed.html", feed),
            },
        )
        return {**holes, "account_nav_html": account_nav(request)}

    response = page_cache.viewer_page(request, f"home:{request.get_full_path()}", home_page, fill)
    if preloaded:
        page_cache.learn("home")
    return response


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    if not request.GET.get("term", "").strip():
        return redirect("home")
    if not form.is_valid():
        context = {"error": form.errors["term"][0], "term": request.GET["term"]}
        return render(request, "streams/search.html", context, status=400)
    term = form.cleaned_data["term"]
    page = Paginator(selectors.search_streams(request.user, term), FEED_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "streams/search.html", {"page": page, "term": term})


@require_GET
@public_for_guests
def channel(request: HttpRequest, username: str) -> HttpResponse:
    preloaded = _preload_for_viewer(request, f"channel:{username.lower()}")
    signed_in_and_shared = preloaded and request.user.is_authenticated
    ties = selectors.viewer_ties(request)
    host = selectors.find_host(request.user, ties=ties, username=username)
    stream = host.stream
    history = page_cache.chat_history(stream.pk, lambda: chat_history_html(stream))
    if not page_cache.for_guests(request):
        viewer = request.user.is_authenticated and request.user.pk != host.pk
        if viewer and not get_messages(request):
            return _viewer_channel_page(request, host, history, signed_in_and_shared)
        history = with_own_mentions(history, request.user.get_username())
        page = _channel_page(request, host, history)
        if signed_in_and_shared:
            page_cache.learn(f"channel:{username.lower()}")
        return HttpResponse(page)
    # Every guest gets the same page but for their CSRF token and the chat history, which
    # is kept on its own (page_cache.chat_history): a deleted message is gone on the next load.
    chat_hole = page_cache.hole("chat")
    name = f"channel:{host.pk}:{_follower_count(host)}:{request.get_full_path()}"
    return page_cache.guest_page(
        request,
        name,
        lambda extra: _channel_page(request, host, chat_hole, extra),
        fill={chat_hole: history},
    )


def _viewer_channel_page(request: HttpRequest, host, history: str, learn: bool) -> HttpResponse:
    """The channel page as every signed-in viewer but the host gets it, kept once (under the
    streams version, page_cache.viewer_page) with holes for what is the viewer's own: the
    header's account links and bell, the sidebar (a fragment per viewer's ties), the Follow
    and Block controls, the page's data for its script, the chat history with their own
    mentions marked, and their CSRF token."""

    context = channel_context(request, host)

    def fill() -> dict[str, str]:
        data = channel_page_data(request, context)
        return {
            "sidebar_html": sidebar_html(request),
            "controls_html": channel_controls(request, context),
            "account_nav_html": account_nav(request),
            "page_data_html": json_script(data, "channel-data"),
            "chat_history_html": with_own_mentions(history, request.user.get_username()),
        }

    name = f"channel:{host.pk}:{context['follower_count']}:{request.get_full_path()}"
    response = page_cache.viewer_page(
        request, name, lambda extra: _channel_page(request, host, "", extra, context), fill
    )
    if learn:
        page_cache.learn(f"channel:{host.username.lower()}")
    return response


def sidebar_html(request: HttpRequest) -> str:
    """The sidebar (includes/sidebar.html) as its `{% page_fragment %}` keeps it: when kept,
    taken as it is, with no template rendered; rendered (and kept) by the template otherwise."""
    keys = context_processors.sidebar(request)["page_cache"]
    kept = page_cache.kept_fragment(make_template_fragment_key("sidebar", [keys.sidebar]))
    if kept is not None:
        return kept
    return render_holes(request, {"sidebar": ("includes/sidebar.html", {})})["sidebar"]


# The Follow and Block controls as a signed-in viewer who is not the host sees them: the same
# for every such viewer with the same tie to the channel, but for the CSRF token, which is a
# hole there (filled by page_cache.viewer_page). Kept in this process: they show nothing that
# changes but what their key names.
_controls = page_cache.ProcessMemo()


def channel_controls(request: HttpRequest, context: dict) -> str:
    key = (context["host"].username, context["is_following"], context["is_blocking"])
    html = _controls.get(key)
    if html is None:
        extra = {**context, "csrf_token": page_cache.hole("csrf")}
        holes = render_holes(request, {"controls": ("streams/_channel_controls.html", extra)})
        html = _controls[key] = holes["controls"]
    return html


def account_nav(request: HttpRequest) -> str:
    """The header's account links of a signed-in viewer (their name, avatar and bell), kept
    for them apart (page_cache.viewer_fragment): the same on every page they load."""
    user, unread_label = request.user, social_selectors.unread_count_label(request.user)
    stamp = (user.username, user.avatar.name or "", unread_label)
    extra = {"csrf_token": page_cache.hole("csrf"), "unread_notifications": unread_label}

    def render() -> str:
        return render_holes(request, {"nav": ("includes/account_nav.html", extra)})["nav"]

    return page_cache.viewer_fragment(f"account-nav:{user.pk}", stamp, render)


def render_holes(request: HttpRequest, holes: dict[str, tuple[str, dict]]) -> dict[str, str]:
    """Each hole's template (name: (template, context)) rendered as render_to_string renders
    it with the request, in one context whose processors run once for all of them (as for a
    page and its includes) rather than once each."""
    engine = engines["django"].engine
    templates = {name: engine.get_template(template) for name, (template, _) in holes.items()}
    context = RequestContext(request)
    html = {}
    with context.bind_template(next(iter(templates.values()))):
        for name, (_, extra) in holes.items():
            with context.push(extra):
                html[name] = templates[name].render(context)
    return html


def _preload_for_viewer(request: HttpRequest, page: str) -> bool:
    """With a shared cache and a session cookie, a signed-in page's reads from the cache,
    ahead in two round trips (page_cache.preload_learned): their session and what the last
    request for `page` read (page_cache.learn), then their user, ties and bell count. Whether
    it read ahead. Before anything reads the session or the user."""
    if not settings.CACHE_IS_SHARED or settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return False
    session_key = sessions.cache_key(request.session)

    def viewer_keys() -> list[str]:
        user_id = request.session.get(SESSION_KEY)  # the session read ahead, if it was
        if user_id is None:
            return []
        nav = page_cache.viewer_fragment_key(f"account-nav:{user_id}")
        return [accounts_cache.key(user_id), page_cache.ties_key(user_id), unread.key(user_id), nav]

    page_cache.preload_learned(page, [session_key] if session_key else [], viewer_keys)
    _fill_ties_and_unread(request)
    return True


def _fill_ties_and_unread(request: HttpRequest) -> None:
    """A viewer's first page: when the cache held neither their ties nor their bell count,
    both are read in one query (selectors.ties_and_unread_of) and kept as each is."""
    user_id = request.session.get(SESSION_KEY)
    if user_id is None:
        return
    ties_key, unread_key = page_cache.ties_key(user_id), unread.key(user_id)
    if not (page_cache.missing(ties_key) and page_cache.missing(unread_key)):
        return
    user = request.user
    if not user.is_authenticated or str(user.pk) != str(user_id):
        return
    ties, count = selectors.ties_and_unread_of(user)
    if page_cache.TIES_TTL == unread.TTL:
        page_cache.provide({ties_key: ties, unread_key: count}, unread.TTL)
    else:
        page_cache.provide({ties_key: ties}, page_cache.TIES_TTL)
        page_cache.provide({unread_key: count}, unread.TTL)


def chat_history_html(stream) -> str:
    messages = [chat.message_json(m) for m in chat.history(stream)]
    context = {"chat_history": messages, "text_html": chat_markup.text_to_html(stream)}
    return render_to_string("streams/_chat_history.html", context)


def _channel_page(
    request: HttpRequest, host, history: str, extra: dict | None = None, base: dict | None = None
) -> str:
    base = base if base is not None else channel_context(request, host)
    context = {**base, "chat_history_html": history, **(extra or {})}
    context["page_data"] = channel_page_data(request, context)
    return render_to_string("streams/channel.html", context, request)


def channel_context(request: HttpRequest, host) -> dict:
    is_host = request.user.is_authenticated and request.user.pk == host.pk
    ties = selectors.viewer_ties(request)
    return {
        "host": host,
        "stream": host.stream,
        "is_host": is_host,
        # Read only by the channel page's data, for signed-in viewers (guests are not).
        "role": SimpleLazyObject(lambda: Moderator.objects.role_of(host, request.user)),
        "is_following": not is_host and ties.follows(host.pk),
        "is_blocking": not is_host and ties.blocks(host.pk),
        "follower_count": _follower_count(host),
        # How long live ("1:23:45", the page's script keeps it ticking), or when last live.
        "live_times": selectors.live_times(host.stream),
    }


def _follower_count(host) -> int:
    return page_cache.follower_count(host.pk, lambda: social_selectors.follower_count(host))


def channel_page_data(request: HttpRequest, context: dict) -> dict:
    """What the channel page's script needs, passed with json_script (never string-built)."""
    host, stream = context["host"], context["stream"]
    user = request.user
    role = (str(context["role"]) or "viewer") if user.is_authenticated else "guest"
    host_id = str(host.pk)
    extras = [add(stream) for add in CHANNEL_PAGE_DATA]
    return {
        **{key: value for extra in extras for key, value in extra.items()},
        "host": {"id": host_id, "username": host.username},
        # The participant that is the stream itself (Ingress joins as it).
        "publisher": rooms.publisher_identity(host.pk),
        "viewer": {
            "role": role,
            "id": str(user.pk) if user.is_authenticated else None,
            # Mentions of this name stand out (frontend/channel/mentions.js).
            "username": user.username if user.is_authenticated else None,
            "is_following": context["is_following"],
            # Whom the viewer blocked: a chatter's card offers Unblock for them.
            "blocking": [str(pk) for pk in selectors.viewer_ties(request).blocking],
        },
        # Whose messages moderators leave alone; kept live by the room's "moderator" events.
        "moderators": Moderator.objects.person_ids(host) if role in {"host", "moderator"} else [],
        "chat": chat.settings_json(stream),
        "timeouts": moderation.TIMEOUTS,
        "max_length": chat.MAX_LENGTH,
        # A copy: the dashboard's preview and the chat embed add to theirs.
        "urls": dict(
            _channel_urls(
                host_id, host.username, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF
            )
        ),
    }


@lru_cache(maxsize=4096)
def _channel_urls(host_id: str, username: str, prefix: str, urlconf: str) -> dict:
    """The channel page's URLs for its script: the same for every request for the channel
    (with the same script prefix and URLconf), worked out once per process rather than by
    each page."""
    return {
        "token": reverse("api_viewer_token", args=[host_id]),
        "info": reverse("api_stream_info", args=[host_id]),
        "chat": reverse("api_chat", args=[host_id]),
        "delete": reverse("api_chat_delete", args=[host_id, 0]).replace("/0/", "/{id}/"),
        "timeout": reverse("api_timeout", args=[host_id]),
        "ban": reverse("api_ban", args=[host_id]),
        # "-" is no username (they have 3 characters or more): only the placeholder.
        **{
            name: reverse(name, args=["-"]).replace("/-/", "/{username}/")
            for name in ("channel", "block", "unblock")
        },
        "login": reverse("account_login"),
        # Where the host and moderators see and lift the timeouts and bans.
        "moderation": reverse("dashboard_moderation", args=[username]),
    }


@require_GET
def robots_txt(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        "User-agent: *\nDisallow: /u/\nDisallow: /api/\n", content_type="text/plain"
    )
