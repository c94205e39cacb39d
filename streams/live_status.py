"""Live status: applying LiveKit webhooks, and reconciling with the ingress states LiveKit
reports (webhooks are best effort, so a lost one must not leave a stream stuck live)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from social import tasks as social_tasks
from social.models import Notification
from streams import chat, livekit, rooms
from streams.models import Stream, WebhookEvent

logger = logging.getLogger(__name__)

LIVE_EVENTS = {
    "ingress_started": True,
    "ingress_ended": False,
    "room_finished": False,
    # The stream's own tracks published in the host's room: after a LiveKit restart the
    # ingress rejoins a new room without a new ingress_started.
    "track_published": True,
}

# LiveKit stamps webhook events in whole seconds.
WEBHOOK_TIME_RESOLUTION = timedelta(seconds=1)

# What else hears of LiveKit's webhooks: apps that streams knows nothing of add a function
# here (in their AppConfig.ready), called as `listener(event, at)` with each verified event
# the first time it comes (a repeated delivery of one event id is never passed on), once
# streams has applied it, inside the same transaction: an event is recorded as applied only
# when every listener took it, so one that fails answers 500 and LiveKit delivers it again.
WEBHOOK_LISTENERS: list[Callable[[Any, datetime], None]] = []


def set_live(
    streams, *, live: bool, at: datetime, resolution: timedelta = timedelta(0), cause: str = ""
) -> int:
    """`streams`' live status from an event at `at` (StreamQuerySet.set_live: not over a
    newer change, and the pages' cache told)."""
    return streams.set_live(live=live, at=at, resolution=resolution, cause=cause)


def apply_webhook_event(event) -> str:
    """Apply one verified webhook event once; returns what happened, for the response/log."""
    created_at = livekit.webhook_time(event)
    ingress_id = event.ingress_info.ingress_id if event.HasField("ingress_info") else ""
    ingress_id = _storable(ingress_id, "ingress_id")
    room = _storable(event.room.name if event.HasField("room") else "", "room")
    publisher = event.participant.identity if event.HasField("participant") else ""
    try:
        with transaction.atomic():
            record = WebhookEvent.objects.create(
                event_id=_storable(event.id, "event_id"),
                event=_storable(event.event, "event"),
                ingress_id=ingress_id,
                room=room,
                created_at=created_at,
            )
            outcome = _apply(event.event, ingress_id, room, created_at, publisher)
            record.outcome = outcome
            record.save(update_fields=["outcome"])
            for listener in WEBHOOK_LISTENERS:
                listener(event, created_at)
    except IntegrityError:
        return "duplicate"
    if outcome in {"live", "offline"}:
        stream = _stream_of(ingress_id=ingress_id, room=room)
        if stream is not None and outcome == "live" and event.event == "ingress_started":
            session = livekit.ingress_session(event.ingress_info)
            notify_followers(stream, broadcast=broadcast_name(session, created_at))
        _announce(stream)
    return outcome


def _storable(value: str, field: str) -> str:
    """LiveKit's ids fit the audit record's columns; anything longer, or with a NUL, that
    a signed event carries is cut to fit rather than refused."""
    max_length = WebhookEvent._meta.get_field(field).max_length
    return value.replace("\x00", "")[:max_length]


def _stream_of(*, ingress_id: str = "", room: str = "") -> Stream | None:
    streams = Stream.objects.select_related("user")
    if ingress_id:
        return streams.filter(ingress_id=ingress_id).first()
    return streams.filter(user_id=rooms.host_id_of(room)).first()


def _announce(stream: Stream | None) -> None:
    """Tell open channel pages that the stream went live or offline (chat opens/closes)."""
    if stream is not None:
        chat.broadcast_settings(stream)


def broadcast_name(session: str, live_at: datetime) -> str:
    """What names one broadcast for its go-live notifications: the ingress session LiveKit
    reports, the same in a repeated ingress_started and in what `reconcile` lists; without
    one (a webhook that carries no state), the time the stream went live."""
    name = f"session:{session}" if session else f"at:{live_at.isoformat()}"
    return name[: Notification._meta.get_field("broadcast").max_length]


def notify_followers(stream: Stream, *, broadcast: str) -> None:
    """Queue the go-live notifications for `stream`'s followers, once the change that set it
    live is committed. The worker (`manage.py db_worker`) delivers them: a webhook never
    waits for thousands of followers, and delivering twice makes nothing twice."""
    args = (str(stream.user_id), broadcast, stream.title)
    transaction.on_commit(lambda: social_tasks.deliver_live_notifications.enqueue(*args))


def _apply(name: str, ingress_id: str, room: str, at: datetime, participant: str = "") -> str:
    if name not in LIVE_EVENTS:
        return "ignored"
    live = LIVE_EVENTS[name]
    if name == "track_published":
        # Only the stream's own tracks, and only to bring back a stream marked offline.
        host_id = rooms.host_id_of(room)
        if host_id is None or participant != rooms.publisher_identity(host_id):
            return "ignored"
        streams = Stream.objects.filter(user_id=host_id, is_live=False)
        if not streams.exists():
            return "ignored"
    elif name.startswith("ingress_"):
        streams = Stream.objects.filter(ingress_id=ingress_id) if ingress_id else None
        if streams is None or not streams.exists():
            logger.info("Webhook %s for unknown ingress %r ignored", name, ingress_id)
            return "unknown_ingress"
    else:
        host_id = rooms.host_id_of(room)
        streams = Stream.objects.filter(user_id=host_id) if host_id else None
        if streams is None or not streams.exists():
            return "unknown_room"
    if set_live(streams, live=live, at=at, resolution=WEBHOOK_TIME_RESOLUTION, cause=name) == 0:
        logger.info("Webhook %s at %s is older than the stream's last change", name, at)
        return "stale"
    return "live" if live else "offline"


@dataclass(frozen=True)
class LiveChange:
    username: str
    was_live: bool
    now_live: bool


@dataclass(frozen=True)
class Reconciliation:
    changes: list[LiveChange]
    checked: int  # streams marked live here, or whose ingress LiveKit reports publishing
    publishing: int  # ingresses LiveKit reports publishing


def reconcile(*, dry_run: bool = False) -> Reconciliation:
    """Make is_live match what LiveKit reports; returns the changes and what was checked.

    A stream is live when its ingress says it is publishing AND the ingress participant is
    in the host's room: an ingress process that died keeps its last state in LiveKit's
    records, so the state alone could keep a dead stream live.
    """
    publishing = {i.ingress_id: i for i in livekit.list_ingresses() if i.is_publishing and i.room}
    changes = []
    now = timezone.now()
    streams = Stream.objects.select_related("user").filter(
        Q(is_live=True) | Q(ingress_id__in=publishing)
    )
    for stream in streams:
        should_be_live = stream.ingress_id in publishing and _publisher_present(stream)
        if stream.is_live == should_be_live:
            continue
        changes.append(LiveChange(stream.user.username, stream.is_live, should_be_live))
        if not dry_run:
            set_live(
                Stream.objects.filter(pk=stream.pk), live=should_be_live, at=now, cause="reconcile"
            )
            fresh = _stream_of(room=rooms.room_name(stream.user_id))
            if fresh is not None and should_be_live:  # its ingress_started webhook was lost
                session = publishing[stream.ingress_id].session
                notify_followers(fresh, broadcast=broadcast_name(session, now))
            _announce(fresh)
    return Reconciliation(changes, checked=len(streams), publishing=len(publishing))


def _publisher_present(stream: Stream) -> bool:
    publisher = rooms.publisher_identity(stream.user_id)
    participants = livekit.list_participants(rooms.room_name(stream.user_id))
    return any(p.identity == publisher for p in participants)
