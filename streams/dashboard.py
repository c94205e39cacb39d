"""The creator dashboard: the Stream, Keys, Chat, Community and Moderation pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts.forms import ProfileForm
from social import selectors as social_selectors
from streams import chat, moderation, selectors, services
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


def _own_stream_or_404(request: HttpRequest, username: str) -> Stream:
    """The dashboard belongs to its owner only; to anyone else it does not exist."""
    if request.user.username.lower() != username.lower():
        raise Http404("No such dashboard.")
    return Stream.objects.select_related("user").get(user=request.user)


@login_required
@require_http_methods(["GET", "POST"])
def dashboard_stream(request: HttpRequest, username: str) -> HttpResponse:
    stream = _own_stream_or_404(request, username)
    user = stream.user
    action = request.POST.get("action") if request.method == "POST" else None
    forms = {
        "title_form": StreamTitleForm(
            request.POST if action == "title" else None, instance=stream, prefix="title"
        ),
        "thumbnail_form": ThumbnailForm(
            request.POST if action == "thumbnail" else None,
            request.FILES if action == "thumbnail" else None,
            instance=stream,
            prefix="thumbnail",
        ),
        "profile_form": ProfileForm(
            request.POST if action == "profile" else None,
            request.FILES if action == "profile" else None,
            instance=user,
            prefix="profile",
        ),
    }
    if action == "remove_thumbnail":
        services.stream_remove_thumbnail(stream=stream)
        messages.success(request, "Thumbnail removed.")
        return redirect("dashboard_stream", username=user.username)
    bound = {"title": "title_form", "thumbnail": "thumbnail_form", "profile": "profile_form"}
    if action in bound:
        form = forms[bound[action]]
        if form.is_valid():
            form.save()
            messages.success(request, _SAVED_MESSAGES[action])
            return redirect("dashboard_stream", username=user.username)
        # Show the unsaved form with its errors; the others keep the stored values.
        stream.refresh_from_db()
        user.refresh_from_db()
    context = {**channel_context(request, user), **forms, "section": "stream"}
    # The preview is the channel's own player, so live state, viewers and uptime come from
    # the room as on the channel page.
    context["page_data"] = channel_page_data(request, context)
    context["live_times"] = selectors.live_times(stream)
    return render(request, "dashboard/stream.html", context, status=400 if action else 200)


_SAVED_MESSAGES = {
    "title": "Stream title saved.",
    "thumbnail": "Thumbnail uploaded.",
    "profile": "Profile saved.",
}


@login_required
@require_http_methods(["GET", "POST"])
def dashboard_keys(request: HttpRequest, username: str) -> HttpResponse:
    stream = _own_stream_or_404(request, username)
    action = request.POST.get("action") if request.method == "POST" else None
    form = GenerateConnectionForm(request.POST if action == "generate" else None)
    status = 200
    if action in {"generate", "reset"} and (action == "reset" or form.is_valid()):
        try:
            if action == "generate":
                services.connection_generate(stream=stream, kind=form.cleaned_data["kind"])
                messages.success(request, "New connection generated. Paste it into OBS.")
            else:
                services.connection_reset(stream=stream)
                messages.success(request, "Connection reset. The old stream key no longer works.")
            return redirect("dashboard_keys", username=stream.user.username)
        except LiveKitError as error:
            stream.refresh_from_db()
            messages.error(request, f"{error} Your current connection was not changed.")
            status = 503
    elif action is not None:
        status = 400
    return render(
        request,
        "dashboard/keys.html",
        {"stream": stream, "form": form, "section": "keys"},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def dashboard_chat(request: HttpRequest, username: str) -> HttpResponse:
    stream = _own_stream_or_404(request, username)
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


@login_required
@require_GET
def dashboard_community(request: HttpRequest, username: str) -> HttpResponse:
    stream = _own_stream_or_404(request, username)
    term = request.GET.get("q", "").strip()
    page = Paginator(
        social_selectors.blocked_users_of(stream.user, term), COMMUNITY_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "dashboard/community.html",
        {"stream": stream, "page": page, "term": term, "section": "community"},
    )


MODERATION_LOG_PAGE_SIZE = 30


def _moderated_stream_or_404(request: HttpRequest, username: str) -> tuple[Stream, str]:
    """The stream whose Moderation page this is, and the viewer's role there: the host's
    own, or the channel's moderators' (timeouts and bans only); to anyone else it does not
    exist."""
    if request.user.username.lower() == username.lower():
        return _own_stream_or_404(request, username), moderation.HOST
    host = selectors.find_host(request.user, username=username)
    if moderation.role_of(host, request.user) != moderation.MODERATOR:
        raise Http404("No such dashboard.")
    return Stream.objects.select_related("user").get(user=host), moderation.MODERATOR


@login_required
@require_http_methods(["GET", "POST"])
def dashboard_moderation(request: HttpRequest, username: str) -> HttpResponse:
    """The host's moderators (appointed by username), the timeouts and bans in force, and
    the moderation log. The channel's moderators see and lift the timeouts and bans."""
    stream, role = _moderated_stream_or_404(request, username)
    host = stream.user
    is_host = role == moderation.HOST
    action = request.POST.get("action") if request.method == "POST" else None
    if action not in {None, "lift"} and not is_host:
        raise Http404("No such action.")
    form = ModeratorForm(request.POST if action == "add" else None)
    if action == "add" and form.is_valid():
        user = form.cleaned_data["username"]
        try:
            services.moderator_add(host=host, user=user)
        except services.ModerationRefused as error:
            form.add_error("username", str(error))
        else:
            messages.success(request, f"{user.username} is now a moderator.")
            return redirect("dashboard_moderation", username=host.username)
    row_id = request.POST.get("id", "")
    row_id = int(row_id) if row_id.isdigit() and len(row_id) < 19 else 0  # fits a bigint
    if action == "remove":
        moderator = Moderator.objects.filter(host=host, pk=row_id).select_related("user").first()
        if moderator is not None and services.moderator_remove(host=host, user=moderator.user):
            messages.success(request, f"{moderator.user.username} is no longer a moderator.")
        return redirect("dashboard_moderation", username=host.username)
    if action == "lift":
        try:
            lifted = services.chat_ban_lift(host=host, actor=request.user, ban_id=row_id)
        except ApiError as error:
            messages.error(request, error.detail)
        else:
            if lifted is not None:
                messages.success(
                    request, f"Lifted the {lifted.get_kind_display().lower()} of {lifted.name}."
                )
        return redirect("dashboard_moderation", username=host.username)
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
    return render(
        request, "dashboard/moderation.html", context, status=400 if action == "add" else 200
    )
