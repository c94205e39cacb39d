"""Reads over streams and the people behind them: the one channel lookup, the home feed,
search and the sidebar. Each runs a fixed number of queries, whatever the number of
streams, follows and blocks."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from social.models import Block, Follow
from streams.models import Stream

User = get_user_model()

RECOMMENDED_LIMIT = 10
FOLLOWING_LIMIT = 50


class HiddenHost(Http404):
    """The host has blocked the viewer. Pages answer it like any 404, so a blocked viewer
    cannot tell the channel exists; the JSON APIs answer 403 `blocked` (streams/api)."""


def find_host(viewer, **lookup):
    """The active host named by `lookup` (`pk=` or `username=`, any case), with its stream:
    the one lookup behind the channel page, the follow views and every stream API.

    Raises Http404 when there is no such active user, and HiddenHost (an Http404) when the
    host has blocked `viewer`.
    """
    if "username" in lookup:
        lookup["username__lower"] = lookup.pop("username").lower()
    host = (
        User.objects.select_related("stream")
        .filter(is_active=True, **lookup)
        .annotate(hides_viewer=Exists(Block.objects.hiding(OuterRef("pk"), viewer)))
        .first()
    )
    if host is None:
        raise Http404("No such channel.")
    if host.hides_viewer:
        raise HiddenHost("No such channel.")
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
    if not viewer.is_authenticated:
        return []
    follows = (
        Follow.objects.filter(follower=viewer)
        .exclude(Exists(Block.objects.hiding(OuterRef("following_id"), viewer)))
        .select_related("following__stream")
        .order_by("-following__stream__is_live", "-created_at", "-pk")[:FOLLOWING_LIMIT]
    )
    return [follow.following for follow in follows]


def recommended_for(viewer, limit: int = RECOMMENDED_LIMIT) -> QuerySet:
    """Sidebar: users the viewer does not follow and with no block either way; live first,
    then the newest users."""
    users = User.objects.filter(is_active=True).select_related("stream")
    if viewer.is_authenticated:
        users = users.exclude(pk=viewer.pk).exclude(
            Exists(Follow.objects.of(viewer, OuterRef("pk")))
            | Exists(Block.objects.between(viewer, OuterRef("pk")))
        )
    return users.order_by("-stream__is_live", "-date_joined", "-pk")[:limit]
