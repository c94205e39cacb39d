"""Writes for streams: creation for new users, thumbnails, and the stream connection
(LiveKit ingress) lifecycle."""

from __future__ import annotations

import logging

from django.utils import timezone

from streams import livekit
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


def room_name(user) -> str:
    return str(user.pk)


def connection_generate(*, stream: Stream, kind: str) -> Stream:
    """Replace the stream's connection with a new RTMP or WHIP ingress.

    The new ingress is created first; only then are the room's old ingresses deleted (and
    the room ended if live) and the new details saved. If LiveKit fails at any point the
    old connection keeps working and stays saved.
    """
    user = stream.user
    room = room_name(user)
    new = livekit.create_ingress(
        kind=kind, name=user.username, room=room, identity=room, participant_name=user.username
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
    room = room_name(stream.user)
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
    livekit.delete_room(room_name(stream.user))
    Stream.objects.filter(pk=stream.pk).update(
        is_live=False, live_changed_at=timezone.now(), updated_at=timezone.now()
    )


def viewer_remove_from_room(*, host, viewer) -> int:
    """Disconnect every participant of `viewer` from `host`'s room; returns how many."""
    room = room_name(host)
    removed = 0
    for participant in livekit.list_participants(room):
        if participant.identity.split("#", 1)[0] == str(viewer.pk):
            livekit.remove_participant(room, participant.identity)
            removed += 1
    return removed
