"""Reads of follows and blocks. Queries that also need streams (the feed, search, the
sidebar, the channel lookup) live in streams/selectors.py."""

from __future__ import annotations

from django.db.models import QuerySet

from social.models import Block, Follow


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
