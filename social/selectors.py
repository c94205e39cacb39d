"""Reads for the feed, search, sidebar and channel visibility. Each runs a fixed number of
queries, whatever the number of streams, follows and blocks."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from social.models import Block, Follow
from streams.models import Stream

User = get_user_model()

RECOMMENDED_LIMIT = 10
FOLLOWING_LIMIT = 50


def _authenticated(viewer) -> bool:
    return viewer is not None and viewer.is_authenticated


def is_blocked_by(viewer, host) -> bool:
    """True when `host` has blocked `viewer`."""
    if not _authenticated(viewer):
        return False
    return Block.objects.filter(blocker=host, blocked=viewer).exists()


def visible_host_or_404(viewer, **lookup):
    """The host with its stream, or 404 when unknown or when the host blocked the viewer.

    The one visibility rule for the channel page, stream info, token and chat: a blocked
    viewer gets exactly the response an unknown username gets.
    """
    if "username" in lookup:
        lookup["username__lower"] = lookup.pop("username").lower()
    queryset = User.objects.select_related("stream").filter(is_active=True, **lookup)
    if _authenticated(viewer):
        queryset = queryset.exclude(
            Exists(Block.objects.filter(blocker=OuterRef("pk"), blocked=viewer))
        )
    host = queryset.first()
    if host is None:
        raise Http404("No such channel.")
    return host


def feed_for(viewer) -> QuerySet[Stream]:
    """Home page: every stream the viewer may see, live first, then most recently updated."""
    return (
        Stream.objects.visible_to(viewer)
        .filter(user__is_active=True)
        .select_related("user")
        .live_first()
    )


def search_streams(viewer, term: str) -> QuerySet[Stream]:
    return feed_for(viewer).filter(Q(title__icontains=term) | Q(user__username__icontains=term))


def following_for(viewer) -> list:
    """Sidebar: the users `viewer` follows who have not blocked them; live first, then the
    most recent follow first. Each user comes with its stream loaded."""
    if not _authenticated(viewer):
        return []
    follows = (
        Follow.objects.filter(follower=viewer)
        .exclude(Exists(Block.objects.filter(blocker=OuterRef("following_id"), blocked=viewer)))
        .select_related("following__stream")
        .order_by("-following__stream__is_live", "-created_at", "-pk")[:FOLLOWING_LIMIT]
    )
    return [follow.following for follow in follows]


def recommended_for(viewer, limit: int = RECOMMENDED_LIMIT) -> QuerySet:
    """Sidebar: users the viewer does not follow and with no block either way; live first,
    then the newest users."""
    users = User.objects.filter(is_active=True).select_related("stream")
    if _authenticated(viewer):
        users = users.exclude(pk=viewer.pk).exclude(
            Exists(Follow.objects.filter(follower=viewer, following=OuterRef("pk")))
            | Exists(Block.objects.filter(blocker=OuterRef("pk"), blocked=viewer))
            | Exists(Block.objects.filter(blocker=viewer, blocked=OuterRef("pk")))
        )
    return users.order_by("-stream__is_live", "-date_joined", "-pk")[:limit]


def follower_count(user) -> int:
    return Follow.objects.filter(following=user).count()


def is_following(viewer, host) -> bool:
    if not _authenticated(viewer):
        return False
    return Follow.objects.filter(follower=viewer, following=host).exists()


def blocked_users_of(user, term: str = "") -> QuerySet[Block]:
    """Dashboard community page: the people `user` blocked, newest first."""
    blocks = Block.objects.filter(blocker=user).select_related("blocked")
    if term:
        blocks = blocks.filter(blocked__username__icontains=term)
    return blocks.order_by("-created_at", "-pk")
