"""The creator dashboard: the Stream, Keys, Chat, Community and Moderation pages. Each form
on them posts to its own small view (its own URL), which redirects back to the page or, when
the form has errors, shows the page again with them. `own_stream_or_404`, `posted_to` and
`row_id` serve other apps' dashboard pages too (videos' Videos page)."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts.forms import ProfileForm
from social import selectors as social_selectors
from streams import chat, embed, health, moderation, selectors, services
from streams.api import json_api
from streams.errors import ApiError
from streams.forms import (
    ChatSettingsForm,
    GenerateConnectionForm,
    ModeratorForm,
    StreamTitleForm,
    ThumbnailForm,
)
from streams.livekit import LiveKitError
from streams.models import ChatBan, ModerationAction, Moderator, Stream
from streams.views import channel_context, channel_page_data

COMMUNITY_PAGE_SIZE = 20
MODERATION_LOG_PAGE_SIZE = 30


def posted_to(page: str):
    """A form's own URL: a POST does its work; anything else (a reload of the page a refused
    form was shown on, a link back to it) is sent to the dashboard `page` it belongs to."""

    def decorate(view):
        @wraps(view)
        def handle(request: HttpRequest, username: str) -> HttpResponse:
            if request.method != "POST":
                return redirect(page, username=username)
            return view(request, username)

        return handle

    return decorate


def own_stream_or_404(request: HttpRequest, username: str) -> Stream:
    """The dashboard belongs to its owner only; to anyone else it does not exist."""
    if request.user.username.lower() != username.lower():
        raise Http404("No such dashboard.")
    return Stream.objects.select_related("user").get(user=request.user)


# ------------------------------------------------------------------------------ Stream


@login_required
@require_GET
def dashboard_stream(request: HttpRequest, username: str) -> HttpResponse:
    stream = own_stream_or_404(request, username)
    return _stream_page(request, stream, _stream_forms(request, stream))


@never_cache
@login_required
@require_GET
@json_api
def dashboard_live_status(request: HttpRequest, username: str) -> JsonResponse:
    """The Stream page's live panel, polled every few seconds while the page is open:
    viewers, uptime, chat per minute, and the stream's health as LiveKit Ingress reports it
    (streams/health.py); `{"live": false}` while offline."""
    stream = own_stream_or_404(request, username)
    return JsonResponse(health.live_status(stream))


@login_required
@posted_to("dashboard_stream")
def dashboard_stream_title(request: HttpRequest, username: str) -> HttpResponse:
    return _save_stream_form(request, username, "title")


@login_required
@posted_to("dashboard_stream")
def dashboard_stream_thumbnail(request: HttpRequest, username: str) -> HttpResponse:
    return _save_stream_form(request, username, "thumbnail")


@login_required
@posted_to("dashboard_stream")
def dashboard_stream_thumbnail_remove(request: HttpRequest, username: str) -> HttpResponse:
    stream = own_stream_or_404(request, username)
    services.stream_remove_thumbnail(stream=stream)
    messages.success(request, "Thumbnail removed.")
    return redirect("dashboard_stream", username=stream.user.username)


@login_required
@posted_to("dashboard_stream")
def dashboard_stream_profile(request: HttpRequest, username: str) -> HttpResponse:
    return _save_stream_form(request, username, "profile")


_SAVED_MESSAGES = {
    "title": "Stream title saved.",
    "thumbnail": "Thumbnail uploaded.",
    "profile": "Profile saved.",
}


def _save_stream_form(request: HttpRequest, username: str, name: str) -> HttpResponse:
    stream = own_stream_or_404(request, username)
    forms = _stream_forms(request, stream, bound=name)
    form = forms[f"{name}_form"]
    if form.is_valid():
        form.save()
        messages.success(request, _SAVED_MESSAGES[name])
        return redirect("dashboard_stream", username=stream.user.username)
    # Show the unsaved form with its errors; the others keep the stored values.
    stream.refresh_from_db()
    stream.user.refresh_from_db()
    return _stream_page(request, stream, forms, status=400)


def _stream_forms(request: HttpRequest, stream: Stream, bound: str | None = None) -> dict:
    """The Stream page's three forms; the one named `bound` holds what was posted."""

    def data(name: str):
        return request.POST if name == bound else None

    def files(name: str):
        return request.FILES if name == bound else None

    return {
        "title_form": StreamTitleForm(data("title"), instance=stream, prefix="title"),
        "thumbnail_form": ThumbnailForm(
            data("thumbnail"), files("thumbnail"), instance=stream, prefix="thumbnail"
        ),
        "profile_form": ProfileForm(
            data("profile"), files("profile"), instance=stream.user, prefix="profile"
        ),
    }


def render_stream_page(
    request: HttpRequest, stream: Stream, extra: dict, status: int = 400
) -> HttpResponse:
    """The Stream page with its own forms unbound and `extra` in the context: for another
    app's form on it (the directory's category and tags) shown again with its errors."""
    return _stream_page(request, stream, {**_stream_forms(request, stream), **extra}, status)


def _stream_page(
    request: HttpRequest, stream: Stream, forms: dict, status: int = 200
) -> HttpResponse:
    context = {**channel_context(request, stream.user), **forms, "section": "stream"}
    # The preview is the channel's own player, so live state, viewers and uptime come from
    # the room as on the channel page.
    # The player in preview mode: muted, lowest video layer (frontend/channel/player.js),
    # with a hidden participant's token, so the host previewing is nobody's viewer.
    page_data = channel_page_data(request, context)
    page_data["urls"]["token"] += "?for=preview"
    context["page_data"] = {**page_data, "preview": True}
    context["is_preview"] = True
    context["live_status_url"] = reverse("dashboard_live_status", args=[stream.user.username])
    context["embed_codes"] = embed.iframe_codes(request, stream.user)
    return render(request, "dashboard/stream.html", context, status=status)


# -------------------------------------------------------------------------------- Keys


@login_required
@require_GET
def dashboard_keys(request: HttpRequest, username: str) -> HttpResponse:
    stream = own_stream_or_404(request, username)
    return _keys_page(request, stream, GenerateConnectionForm())


@login_required
@posted_to("dashboard_keys")
def dashboard_keys_generate(request: HttpRequest, username: str) -> HttpResponse:
    stream = own_stream_or_404(request, username)
    form = GenerateConnectionForm(request.POST)
    if not form.is_valid():
        return _keys_page(request, stream, form, status=400)
    try:
        services.connection_generate(stream=stream, kind=form.cleaned_data["kind"])
    except LiveKitError as error:
        return _keys_unchanged(request, stream, form, error)
    messages.success(request, "New connection generated. Paste it into OBS.")
    return redirect("dashboard_keys", username=stream.user.username)


@login_required
@posted_to("dashboard_keys")
def dashboard_keys_reset(request: HttpRequest, username: str) -> HttpResponse:
    stream = own_stream_or_404(request, username)
    try:
        services.connection_reset(stream=stream)
    except LiveKitError as error:
        return _keys_unchanged(request, stream, GenerateConnectionForm(), error)
    messages.success(request, "Connection reset. The old stream key no longer works.")
    return redirect("dashboard_keys", username=stream.user.username)


def _keys_unchanged(
    request: HttpRequest, stream: Stream, form: GenerateConnectionForm, error: LiveKitError
) -> HttpResponse:
    """LiveKit refused or was unreachable: the page shows the connection as it is stored."""
    stream.refresh_from_db()
    messages.error(request, f"{error} Your current connection was not changed.")
    return _keys_page(request, stream, form, status=503)


def _keys_page(
    request: HttpRequest, stream: Stream, form: GenerateConnectionForm, status: int = 200
) -> HttpResponse:
    context = {"stream": stream, "form": form, "section": "keys"}
    return render(request, "dashboard/keys.html", context, status=status)


# -------------------------------------------------------------------------------- Chat


@login_required
@require_http_methods(["GET", "POST"])
def dashboard_chat(request: HttpRequest, username: str) -> HttpResponse:
    stream = own_stream_or_404(request, username)
    form = ChatSettingsForm(request.POST or None, instance=stream)
    if request.method == "POST" and form.is_valid():
        chat.broadcast_settings(form.save())
        messages.success(request, "Chat settings saved.")
        return redirect("dashboard_chat", username=stream.user.username)
    return render(
        request,
        "dashboard/chat.html",
        {"stream": stream, "form": form, "section": "chat"},
        status=400 if form.errors else 200,
    )


# --------------------------------------------------------------------------- Community


@login_required
@require_GET
def dashboard_community(request: HttpRequest, username: str) -> HttpResponse:
    stream = own_stream_or_404(request, username)
    term = request.GET.get("q", "").strip()
    page = Paginator(
        social_selectors.blocked_users_of(stream.user, term), COMMUNITY_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "dashboard/community.html",
        {"stream": stream, "page": page, "term": term, "section": "community"},
    )


# -------------------------------------------------------------------------- Moderation


def _moderated_stream_or_404(request: HttpRequest, username: str) -> tuple[Stream, str]:
    """The stream whose Moderation page this is, and the viewer's role there: the host's
    own, or the channel's moderators' (timeouts and bans only); to anyone else it does not
    exist."""
    if request.user.username.lower() == username.lower():
        return own_stream_or_404(request, username), moderation.HOST
    host = selectors.find_host(request.user, username=username)
    if Moderator.objects.role_of(host, request.user) != moderation.MODERATOR:
        raise Http404("No such dashboard.")
    return Stream.objects.select_related("user").get(user=host), moderation.MODERATOR


@login_required
@require_GET
def dashboard_moderation(request: HttpRequest, username: str) -> HttpResponse:
    """The host's moderators (appointed by username), the timeouts and bans in force, and
    the moderation log. The channel's moderators see and lift the timeouts and bans."""
    stream, role = _moderated_stream_or_404(request, username)
    return _moderation_page(request, stream, role, ModeratorForm())


@login_required
@posted_to("dashboard_moderation")
def dashboard_moderator_add(request: HttpRequest, username: str) -> HttpResponse:
    """The host appoints a moderator by username (moderators cannot)."""
    stream = own_stream_or_404(request, username)
    host = stream.user
    form = ModeratorForm(request.POST)
    if form.is_valid():
        user = form.cleaned_data["username"]
        try:
            moderation.moderator_add(host=host, user=user)
        except moderation.ModerationRefused as error:
            form.add_error("username", str(error))
        else:
            messages.success(request, f"{user.username} is now a moderator.")
            return redirect("dashboard_moderation", username=host.username)
    return _moderation_page(request, stream, moderation.HOST, form, status=400)


@login_required
@posted_to("dashboard_moderation")
def dashboard_moderator_remove(request: HttpRequest, username: str) -> HttpResponse:
    """The host removes one of their moderators (moderators cannot)."""
    stream = own_stream_or_404(request, username)
    host = stream.user
    moderator = (
        Moderator.objects.filter(host=host, pk=row_id(request)).select_related("user").first()
    )
    if moderator is not None and moderation.moderator_remove(host=host, user=moderator.user):
        messages.success(request, f"{moderator.user.username} is no longer a moderator.")
    return redirect("dashboard_moderation", username=host.username)


@login_required
@posted_to("dashboard_moderation")
def dashboard_ban_lift(request: HttpRequest, username: str) -> HttpResponse:
    """The host or one of the channel's moderators lifts a timeout or ban early."""
    stream, _role = _moderated_stream_or_404(request, username)
    host = stream.user
    try:
        lifted = moderation.chat_ban_lift(host=host, actor=request.user, ban_id=row_id(request))
    except ApiError as error:
        messages.error(request, error.detail)
    else:
        if lifted is not None:
            messages.success(
                request, f"Lifted the {lifted.get_kind_display().lower()} of {lifted.name}."
            )
    return redirect("dashboard_moderation", username=host.username)


def row_id(request: HttpRequest) -> int:
    """The posted table row's id; 0 (no row) for anything that is not a bigint."""
    posted = request.POST.get("id", "")
    return int(posted) if posted.isdigit() and len(posted) < 19 else 0


def _moderation_page(
    request: HttpRequest, stream: Stream, role: str, form: ModeratorForm, status: int = 200
) -> HttpResponse:
    host = stream.user
    is_host = role == moderation.HOST
    context = {
        "stream": stream,
        "is_host": is_host,
        "moderating": not is_host,  # the dashboard's menu shows the host's pages to the host only
        "bans": ChatBan.objects.filter(host=host).active().order_by("-created_at"),
        "section": "moderation",
    }
    if is_host:
        context["form"] = form
        context["moderators"] = (
            Moderator.objects.filter(host=host).select_related("user").order_by("user__username")
        )
        context["page"] = Paginator(
            ModerationAction.objects.filter(host=host).order_by("-created_at", "-pk"),
            MODERATION_LOG_PAGE_SIZE,
        ).get_page(request.GET.get("page"))
    return render(request, "dashboard/moderation.html", context, status=status)
