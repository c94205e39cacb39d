"""Reads about clips, each with the channel's one visibility rule (streams.selectors.find_host):
a clip, its broadcast and its channel's list are hidden from a viewer the host blocked, as
the channel is (a page answers 404, the JSON API 403 `blocked`)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from streams.selectors import find_host
from videos.models import Broadcast, Clip


def visible_broadcast(viewer, broadcast_id: int) -> Broadcast:
    """The broadcast, with its stream; Http404 (HiddenHost when blocked) otherwise."""
    broadcast = get_object_or_404(Broadcast.objects.select_related("stream"), pk=broadcast_id)
    find_host(viewer, pk=broadcast.stream.user_id)
    return broadcast


def visible_clip(viewer, slug: str) -> Clip:
    """The clip, with its channel, clipper and broadcast; Http404 (HiddenHost) otherwise."""
    clip = get_object_or_404(
        Clip.objects.select_related("stream__user", "clipper", "broadcast"), slug=slug
    )
    find_host(viewer, pk=clip.stream.user_id)
    return clip


def deletable_clip(viewer, slug: str) -> Clip:
    """The clip if `viewer` is the host of its channel; PermissionDenied for anyone else who
    may see it."""
    clip = visible_clip(viewer, slug)
    if not (viewer.is_authenticated and viewer.pk == clip.stream.user_id):
        raise PermissionDenied("Only the channel's host deletes its clips.")
    return clip


def channel_clips(host) -> QuerySet[Clip]:
    """A channel's clips, newest first (the host is one find_host gave the viewer)."""
    return Clip.objects.filter(stream=host.stream).select_related("clipper")
