"""Follow, unfollow, block and unblock: POST only, CSRF-protected, back to where you were."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from social import selectors, services
from streams import services as stream_services
from streams.livekit import LiveKitError

User = get_user_model()


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)


def _login_first(request: HttpRequest, username: str) -> HttpResponse:
    """Anonymous visitors log in, then land back on the channel (not on this POST URL)."""
    return redirect_to_login(reverse("channel", args=[username]))


@require_POST
def follow(request: HttpRequest, username: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login_first(request, username)
    host = selectors.visible_host_or_404(request.user, username=username)
    try:
        _, created = services.follow_create(follower=request.user, following=host)
    except services.SocialError as error:
        messages.error(request, str(error))
    else:
        if created:
            messages.success(request, f"You are now following {host.username}.")
        else:
            messages.info(request, f"You already follow {host.username}.")
    return _back(request, reverse("channel", args=[host.username]))


@require_POST
def unfollow(request: HttpRequest, username: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login_first(request, username)
    host = selectors.visible_host_or_404(request.user, username=username)
    if services.follow_delete(follower=request.user, following=host):
        messages.success(request, f"You unfollowed {host.username}.")
    else:
        messages.info(request, f"You were not following {host.username}.")
    return _back(request, reverse("channel", args=[host.username]))


@require_POST
def block(request: HttpRequest, username: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login_first(request, username)
    # Anyone can be blocked, even a user whose own channel is hidden from you.
    target = get_object_or_404(User, username__lower=username.lower())
    try:
        _, created = services.block_create(blocker=request.user, blocked=target)
    except services.SocialError as error:
        messages.error(request, str(error))
    else:
        if created:
            messages.success(request, f"Blocked {target.username}.")
        else:
            messages.info(request, f"{target.username} is already blocked.")
        _remove_from_live_room(request, target)
    return _back(request, reverse("dashboard_community", args=[request.user.username]))


def _remove_from_live_room(request: HttpRequest, target) -> None:
    """A blocked person watching right now is disconnected at once; their next token
    request is refused by the block itself."""
    try:
        stream_services.viewer_remove_from_room(host=request.user, viewer=target)
    except LiveKitError as error:
        messages.warning(
            request,
            f"{target.username} is blocked, but could not be removed from the room: {error}",
        )


@require_POST
def unblock(request: HttpRequest, username: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login_first(request, username)
    target = get_object_or_404(User, username__lower=username.lower())
    if services.block_delete(blocker=request.user, blocked=target):
        messages.success(request, f"Unblocked {target.username}.")
    else:
        messages.info(request, f"{target.username} was not blocked.")
    return _back(request, reverse("dashboard_community", args=[request.user.username]))
