"""The clips' pages: a clip (/clips/<slug>/), a channel's clips (/<username>/clips/), and the
plain forms that make a clip (of a past broadcast, or the last 30 s of a live stream) and
that delete one. A form's refusal is its page again, with the error next to the field and
the refusal's status (400, 409, 429 with Retry-After)."""

from __future__ import annotations

import uuid

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from streams.models import Stream
from streams.selectors import find_host
from videos.clips import selectors, services

CLIPS_PAGE_SIZE = 24


class ClipForm(forms.Form):
    """What the clip forms send; services.clip_from_broadcast judges it, so the errors are
    the API's."""

    title = forms.CharField(required=False, strip=False)
    start = forms.CharField(required=False)
    end = forms.CharField(required=False)


@require_GET
def clip(request: HttpRequest, slug: str) -> HttpResponse:
    clip = selectors.visible_clip(request.user, slug)
    host = clip.stream.user
    context = {
        "clip": clip,
        "host": host,
        "is_host": request.user.pk == host.pk,
        "share_url": _absolute(request, clip.get_absolute_url()),
    }
    return render(request, "videos/clip.html", context)


def _absolute(request: HttpRequest, path: str) -> str:
    """The site's own address when it is configured, else the one the request came to."""
    return f"{settings.SITE_URL}{path}" if settings.SITE_URL else request.build_absolute_uri(path)


@require_GET
def channel_clips(request: HttpRequest, username: str) -> HttpResponse:
    host = find_host(request.user, username=username)
    page = Paginator(selectors.channel_clips(host), CLIPS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {"host": host, "page": page, "is_host": request.user.pk == host.pk}
    return render(request, "videos/channel_clips.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def clip_new(request: HttpRequest, broadcast_id: int) -> HttpResponse:
    """A clip of a past broadcast: the form (GET), or the clip made (POST)."""
    broadcast = selectors.visible_broadcast(request.user, broadcast_id)
    form = ClipForm(request.POST or None)
    context = {"broadcast": broadcast, "host": broadcast.stream.user, "clip_form": form}
    if request.method == "GET" or not form.is_valid():
        return render(request, "videos/clip_new.html", context)
    try:
        made = services.clip_from_broadcast(
            broadcast=broadcast, clipper=request.user, **form.cleaned_data
        )
    except services.ClipRefused as refusal:
        return _refused(request, context, refusal)
    return redirect(made)


@require_http_methods(["GET", "POST"])
@login_required
def clip_new_live(request: HttpRequest, host_id: uuid.UUID) -> HttpResponse:
    """A clip of the last 30 s of a live stream: the form (GET), or the clip made (POST)."""
    host = find_host(request.user, pk=host_id)
    form = ClipForm(request.POST or None)
    context = {"host": host, "clip_form": form, "seconds": services.LIVE_SECONDS}
    if request.method == "GET" or not form.is_valid():
        return render(request, "videos/clip_new.html", context)
    stream = Stream.objects.get(user_id=host.pk)  # live now, not as the cached host had it
    try:
        made = services.clip_from_live(
            stream=stream, clipper=request.user, title=form.cleaned_data["title"]
        )
    except services.ClipRefused as refusal:
        return _refused(request, context, refusal)
    return redirect(made)


def _refused(request: HttpRequest, context: dict, refusal: services.ClipRefused) -> HttpResponse:
    context["clip_form"].add_error(refusal.field, refusal.detail)
    response = render(request, "videos/clip_new.html", context, status=refusal.status)
    if refusal.retry_after is not None:
        response["Retry-After"] = str(refusal.retry_after)
    return response


@require_POST
@login_required
def clip_delete(request: HttpRequest, slug: str) -> HttpResponse:
    """The host deletes a clip of their channel, file and all."""
    clip = selectors.deletable_clip(request.user, slug)
    services.clip_delete(clip=clip)
    messages.success(request, f"Clip “{clip.title}” deleted.")
    return redirect("channel_clips", clip.stream.user.username)
