"""Writes about raids: start, cancel, send (the end of the countdown) and arrivals.

A raid starts with a countdown broadcast to the source's room (raids.events.raid); the
worker's task raids.tasks.send_raid, queued to run when the countdown ends, sends it:
counts the people in the room (streams.rooms.people_watching, as the viewer counts do),
broadcasts raid_go (pages that did not choose to stay go to the target), writes the
announcement in the target's chat and notifies the target's host. The worker runs in
`make run` (Procfile.dev) and in production (Procfile) and polls the queue every second;
it sends the raid whether or not the host's page is still open. Sending is a conditional
update (counting -> sent), so a task run twice, or a cancel racing it, acts once.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from raids import events
from raids.models import COUNTDOWN, Raid, RaidArrival, RaidSettings
from social import unread
from social.models import Block, Follow, Notification
from streams import chat, livekit, rooms
from streams.errors import ApiError
from streams.models import Stream

logger = logging.getLogger(__name__)

# "At the end of a stream": a host may still raid this long after going offline.
AFTER_END = timedelta(minutes=5)
# At most one raid per channel in this time (cancelled ones aside).
RATE = timedelta(minutes=10)
COUNT_TIMEOUT_SECONDS = 5.0


def target_url(raid: Raid) -> str:
    return f"{reverse('channel', args=[raid.target.username])}?raid={raid.pk}"


def check_target(*, source, target) -> None:
    """ApiError unless `source` may raid `target` now."""
    if target.pk == source.pk:
        raise ApiError(400, "self", "You cannot raid your own channel.")
    if Block.objects.between(source, target).exists():
        raise ApiError(403, "blocked", f"You cannot raid {target.username}.")
    if not target.is_active or not Stream.objects.filter(user=target, is_live=True).exists():
        raise ApiError(409, "offline", f"{target.username} is not live.")
    accept = (
        RaidSettings.objects.filter(user=target).values_list("accept_from", flat=True).first()
        or RaidSettings.Accept.ANYONE
    )
    if accept == RaidSettings.Accept.NOBODY:
        raise ApiError(403, "refuses_raids", f"{target.username} does not accept raids.")
    if accept == RaidSettings.Accept.FOLLOWED and not Follow.objects.of(target, source).exists():
        raise ApiError(
            403,
            "refuses_raids",
            f"{target.username} accepts raids only from channels they follow.",
        )


def check_source(*, stream: Stream, now: datetime) -> None:
    """ApiError unless `stream`'s channel may start a raid now: live or just ended, no raid
    counting down, none sent in the last RATE."""
    just_ended = stream.live_changed_at and stream.live_changed_at >= now - AFTER_END
    if not (stream.is_live or just_ended):
        raise ApiError(409, "not_live", "Raids start while you are live or in the 5 minutes after.")
    if Raid.objects.counting().filter(source_id=stream.user_id).exists():
        raise ApiError(409, "raid_in_progress", "A raid is already counting down.")
    last = (
        Raid.objects.filter(source_id=stream.user_id, state=Raid.State.SENT)
        .filter(started_at__gt=now - RATE)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    if last is not None:
        wait = max(1, math.ceil((last + RATE - now).total_seconds()))
        raise ApiError(
            429,
            "too_soon",
            f"One raid every {RATE.seconds // 60} minutes: wait {wait} s.",
            retry_after=wait,
        )


def raid_start(*, source, target, actor, now: datetime | None = None) -> Raid:
    """Start a raid from `source`'s channel to `target`'s; ApiError when it may not."""
    from raids import tasks

    now = now or timezone.now()
    try:
        with transaction.atomic():
            # Starts for one channel run one at a time: the checks hold until the insert.
            stream = Stream.objects.select_for_update().get(user=source)
            check_source(stream=stream, now=now)
            check_target(source=source, target=target)
            raid = Raid.objects.create(
                source=source,
                target=target,
                started_by=actor,
                started_at=now,
                ends_at=now + COUNTDOWN,
            )
            transaction.on_commit(
                lambda: tasks.send_raid.using(run_after=raid.ends_at).enqueue(raid.pk)
            )
    except IntegrityError:
        raise ApiError(409, "raid_in_progress", "A raid is already counting down.") from None
    chat.broadcast(stream, events.raid(raid, target_url(raid)))
    return raid


def raid_cancel(*, raid: Raid) -> bool:
    """Cancel a raid still counting down; False when it was not (sent, cancelled)."""
    cancelled = Raid.objects.counting().filter(pk=raid.pk).update(state=Raid.State.CANCELLED)
    if cancelled:
        chat.broadcast(raid.source.stream, events.raid_cancelled(raid))
    return bool(cancelled)


def raid_go(*, raid_id: int, now: datetime | None = None) -> Raid | None:
    """Send a raid whose countdown is over; None when there is nothing to send (cancelled,
    sent already, not due yet)."""
    now = now or timezone.now()
    claimed = (
        Raid.objects.counting().filter(pk=raid_id, ends_at__lte=now).update(state=Raid.State.SENT)
    )
    if not claimed:
        return None
    raid = Raid.objects.select_related("source__stream", "target__stream").get(pk=raid_id)
    raid.viewers = count_viewers(raid.source)
    raid.save(update_fields=["viewers"])
    chat.broadcast(raid.source.stream, events.raid_go(raid, target_url(raid)))
    announce(raid)
    return raid


def count_viewers(host) -> int:
    """People (not tabs) in `host`'s room now, as streams.viewer_counts counts them but for
    the host's own tabs; 0 when LiveKit does not answer (the raid still goes)."""
    room = rooms.room_name(host.pk)
    try:
        identities = livekit.participant_identities([room], timeout=COUNT_TIMEOUT_SECONDS)
    except livekit.LiveKitError as error:
        logger.warning("Counting %s's raid failed: %s", host.username, error)
        return 0
    # The host's own tabs are not an audience they bring.
    host_person = f"{rooms.HOST_PREFIX}{host.pk}"
    watching = [i for i in identities.get(room, []) if rooms.person_of(i) != host_person]
    return rooms.people_watching(host.pk, watching)


def announcement(raid: Raid) -> str:
    n = raid.viewers or 0
    return f"{raid.source.username} is raiding with {n} viewer{'' if n == 1 else 's'}!"


def announce(raid: Raid) -> None:
    """The target's chat says who raids with how many; the target's host is notified."""
    text = announcement(raid)
    chat.announce(stream=raid.target.stream, author=raid.source, text=text)
    Notification.objects.bulk_create(
        [
            Notification(
                recipient=raid.target,
                channel=raid.source,
                kind=Notification.Kind.RAID,
                broadcast=f"raid-{raid.pk}",
                title=text[: Notification._meta.get_field("title").max_length],
            )
        ],
        ignore_conflicts=True,
    )
    unread.changed([raid.target_id])  # in bulk: no signal tells the bell's count


def arrival_record(*, raid: Raid, person: str) -> bool:
    """`person` arrived at the target's channel through `raid`; counted once per person.
    False when they were counted already."""
    with transaction.atomic():
        _, made = RaidArrival.objects.get_or_create(raid=raid, person=person)
        if made:
            Raid.objects.filter(pk=raid.pk).update(arrivals=F("arrivals") + 1)
    return made


def settings_update(*, user, accept_from: str) -> RaidSettings:
    made, _ = RaidSettings.objects.update_or_create(
        user=user, defaults={"accept_from": accept_from}
    )
    return made
