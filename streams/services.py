"""Writes for streams: creation for new users, thumbnails, the stream connection (LiveKit
ingress) lifecycle, ending a stream, and removing someone from a live room. (Moderation's
actions are streams.moderation's.)"""

from __future__ import annotations

import logging

from django.utils import timezone

from streams import livekit, rooms
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

    The new ingress is created first; only then are the room's old ingresses stopped, the
    room ended if live, the old ingresses deleted once stopped (livekit.delete_ingresses)
    and the new details saved. If LiveKit fails on the way, the new ingress is discarded and
    the old details stay saved (an old ingress already disabled stays so: its key was being
    replaced anyway).
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
        old = [i for i in livekit.list_ingresses(room) if i.ingress_id != new.ingress_id]
        live = stream.is_live or any(ingress.is_publishing for ingress in old)
        livekit.delete_ingresses(old, room=room if live else None)
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
    ingresses = livekit.list_ingresses(room)
    if stream.ingress_id and all(i.ingress_id != stream.ingress_id for i in ingresses):
        ingresses += filter(None, [livekit.get_ingress(stream.ingress_id)])
    livekit.delete_ingresses(ingresses, room=room)
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
    Stream.objects.filter(pk=stream.pk).set_live(live=False, at=timezone.now(), cause="ended")


def viewer_remove_from_room(*, host, viewer) -> int:
    """Disconnect every tab `viewer` has open in `host`'s room; returns how many."""
    return person_remove_from_room(host=host, person=rooms.signed_in_person(viewer))


def person_remove_from_room(*, host, person: str) -> int:
    """Disconnect every tab of `person` (streams.rooms) in `host`'s room; returns how many."""
    room = rooms.room_name(host.pk)
    removed = 0
    for participant in livekit.list_participants(room):
        if rooms.person_of(participant.identity) == person:
            livekit.remove_participant(room, participant.identity)
            removed += 1
    return removed
