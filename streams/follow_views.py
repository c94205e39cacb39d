"""Follow, unfollow, block and unblock: POST only, CSRF-protected, back to where you were.
Blocking also disconnects the person from your live room, so these live beside the streams."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from social import services
from streams.moderation import block_and_remove, unblock_and_lift
from streams.selectors import find_host

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
    host = find_host(request.user, username=username)
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
    host = find_host(request.user, username=username)
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
        outcome = block_and_remove(host=request.user, viewer=target)
    except services.SocialError as error:
        messages.error(request, str(error))
    else:
        if outcome.created:
            messages.success(request, f"Blocked {target.username}.")
        else:
            messages.info(request, f"{target.username} is already blocked.")
        if outcome.warning:
            messages.warning(request, outcome.warning)
    return _back(request, reverse("dashboard_community", args=[request.user.username]))


@require_POST
def unblock(request: HttpRequest, username: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login_first(request, username)
    target = get_object_or_404(User, username__lower=username.lower())
    if unblock_and_lift(host=request.user, user=target):
        messages.success(request, f"Unblocked {target.username}.")
    else:
        messages.info(request, f"{target.username} was not blocked.")
    return _back(request, reverse("dashboard_community", args=[request.user.username]))
