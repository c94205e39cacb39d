"""Writes for streams: creation for new users, thumbnails, the stream connection (LiveKit
ingress) lifecycle, and blocking someone out of a live room."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.utils import timezone

from social.services import block_create
from streams import livekit, page_cache, rooms
from streams.models import Stream

logger = logging.getLogger(__name__)


def default_title(user) -> str:
    return f"{user.username}'s stream"


def stream_create_for_user(*, user) -> Stream:
    stream, _ = Stream.objects.get_or_create(user=user, defaults={"title": default_title(user)})
    return stream


def stream_remove_thumbnail(*, stream: Stream) -> None:
    stream.thumbnail = ""  # the field deletes the old file once saved
    stream.save(update_fields=["thumbnail", "updated_at"])


def connection_generate(*, stream: Stream, kind: str) -> Stream:
    """Replace the stream's connection with a new RTMP or WHIP ingress.

    The new ingress is created first; only then are the room's old ingresses deleted (and
    the room ended if live) and the new details saved. If LiveKit fails at any point the
    old connection keeps working and stays saved.
    """
    user = stream.user
    room = rooms.room_name(user.pk)
    new = livekit.create_ingress(
        kind=kind,
        name=user.username,
        room=room,
        identity=rooms.publisher_identity(user.pk),
        participant_name=user.username,
    )
    try:
        for old in livekit.list_ingresses(room):
            if old.ingress_id != new.ingress_id:
                livekit.delete_ingress(old.ingress_id)
        if stream.is_live:
            livekit.delete_room(room)
    except livekit.LiveKitError:
        _discard_ingress(new.ingress_id)
        raise
    now = timezone.now()
    stream.ingress_id = new.ingress_id
    stream.server_url = new.url
    stream.stream_key = new.stream_key
    stream.ingress_type = kind
    stream.is_live = False
    stream.live_changed_at = now
    stream.save()
    logger.info("New %s connection %s for %s", kind, new.ingress_id, user.username)
    return stream


def _discard_ingress(ingress_id: str) -> None:
    try:
        livekit.delete_ingress(ingress_id)
    except livekit.LiveKitError:
        logger.warning("Could not delete the unused ingress %s", ingress_id)


def connection_reset(*, stream: Stream) -> Stream:
    """Delete every ingress of the stream's room, end the room, and clear the fields."""
    room = rooms.room_name(stream.user_id)
    for ingress in livekit.list_ingresses(room):
        livekit.delete_ingress(ingress.ingress_id)
    if stream.ingress_id:
        livekit.delete_ingress(stream.ingress_id)
    livekit.delete_room(room)
    stream.ingress_id = None
    stream.server_url = ""
    stream.stream_key = ""
    stream.ingress_type = ""
    stream.is_live = False
    stream.live_changed_at = timezone.now()
    stream.save()
    return stream


def stream_end(*, stream: Stream) -> None:
    """End the live room now: everyone is disconnected and the stream shows offline."""
    livekit.delete_room(rooms.room_name(stream.user_id))
    Stream.objects.filter(pk=stream.pk).update(
        is_live=False, live_changed_at=timezone.now(), updated_at=timezone.now()
    )
    page_cache.streams_changed()


def viewer_remove_from_room(*, host, viewer) -> int:
    """Disconnect every tab `viewer` has open in `host`'s room; returns how many."""
    room = rooms.room_name(host.pk)
    person = rooms.signed_in_person(viewer)
    removed = 0
    for participant in livekit.list_participants(room):
        if rooms.person_of(participant.identity) == person:
            livekit.remove_participant(room, participant.identity)
            removed += 1
    return removed


@dataclass(frozen=True)
class BlockOutcome:
    created: bool  # False: already blocked
    removed: int  # tabs disconnected from the live room
    warning: str = ""  # why nobody could be removed, when LiveKit failed


def block_and_remove(*, host, viewer) -> BlockOutcome:
    """`host` blocks `viewer` (social.services.block_create: follows dropped both ways,
    SocialError for a self-block), and every tab `viewer` has open in `host`'s room is
    disconnected at once; their next token request is refused by the block itself. The block
    stands even when LiveKit fails: the outcome then says why nobody was removed."""
    _, created = block_create(blocker=host, blocked=viewer)
    try:
        removed = viewer_remove_from_room(host=host, viewer=viewer)
    except livekit.LiveKitError as error:
        warning = f"{viewer.username} is blocked, but could not be removed from the room: {error}"
        return BlockOutcome(created, 0, warning)
    return BlockOutcome(created, removed)
