"""Reads of follows, blocks and notifications. Queries that also need streams (the feed, search, the
sidebar, the channel lookup) live in streams/selectors.py."""

from __future__ import annotations

from django.db.models import QuerySet

from social import unread
from social.models import Block, Follow, Notification

# The bell shows at most this many, then "99+": its count stops there.
UNREAD_SHOWN = 99


def is_following(viewer, host) -> bool:
    return Follow.objects.of(viewer, host).exists()


def follower_count(user) -> int:
    return Follow.objects.filter(following=user).count()


def blocked_users_of(user, term: str = "") -> QuerySet[Block]:
    """Dashboard community page: the people `user` blocked, newest first."""
    blocks = Block.objects.filter(blocker=user).select_related("blocked")
    if term:
        blocks = blocks.filter(blocked__username__icontains=term)
    return blocks.order_by("-created_at", "-pk")


def notifications_for(user) -> QuerySet[Notification]:
    """The notifications page: newest first, with the channel each is about."""
    return (
        Notification.objects.filter(recipient=user)
        .select_related("channel")
        .order_by("-created_at", "-pk")
    )


def unread_count_label(user) -> str:
    """The bell's badge: "" with nothing unread, else the count, "99+" above UNREAD_SHOWN.
    One COUNT over the unread index, which stops after UNREAD_SHOWN + 1 rows."""
    if not user.is_authenticated:
        return ""
    count = unread.unread_count(
        user.pk,
        lambda: Notification.objects.filter(recipient=user).unread()[: UNREAD_SHOWN + 1].count(),
    )
    if count > UNREAD_SHOWN:
        return f"{UNREAD_SHOWN}+"
    return str(count) if count else ""
