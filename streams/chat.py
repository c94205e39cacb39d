"""Chat, enforced on the server: every rule is checked here, the message is saved, and only
then broadcast to the room with LiveKit's SendData (viewer tokens cannot publish data)."""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.avatars import avatar_hue
from social.models import Block, Follow
from streams import livekit, rooms
from streams.errors import ApiError
from streams.models import ChatMessage, Stream

logger = logging.getLogger(__name__)

MAX_LENGTH = 500
HISTORY_SIZE = 50
SLOW_MODE_SECONDS = 3
TOPIC = "chat"


class ChatRefused(ApiError):
    """A message that breaks a rule."""


@dataclass(frozen=True)
class Sender:
    """Who is chatting: a signed-in user, or a guest known by the identity in their session."""

    user: object | None
    guest_identity: str
    name: str


def sender_for(request) -> Sender | None:
    if request.user.is_authenticated:
        return Sender(request.user, "", request.user.username)
    guest = rooms.session_guest(request.session, create=False)
    if guest is None:
        return None
    return Sender(None, guest.person, guest.name)


def name_color(name: str) -> str:
    """A readable colour on the dark chat background, the same for a name everywhere."""
    return f"hsl({avatar_hue(name)}, 75%, 68%)"


def message_json(message: ChatMessage) -> dict:
    return {
        "id": message.pk,
        "text": message.text,
        "user": {
            "id": message.author_id,
            "name": message.author_name,
            "color": name_color(message.author_name),
        },
        "ts": message.created_at.isoformat(),
    }


def history(stream: Stream) -> list[ChatMessage]:
    """The last messages, oldest first."""
    recent = (
        ChatMessage.objects.filter(stream=stream, is_deleted=False)
        .select_related(None)
        .order_by("-created_at", "-pk")[:HISTORY_SIZE]
    )
    return list(reversed(recent))


def check_can_chat(stream: Stream, sender: Sender | None) -> None:
    """Raise ChatRefused unless `sender` may chat in `stream` now (text and slow mode aside)."""
    host = stream.user
    is_host = sender is not None and sender.user is not None and sender.user.pk == host.pk
    if not stream.is_chat_enabled:
        raise ChatRefused(403, "chat_disabled", "Chat is disabled.")
    if not stream.is_live:
        raise ChatRefused(403, "offline", f"{host.username} is offline: chat opens when live.")
    if sender is None:
        raise ChatRefused(403, "no_identity", "Open the channel page before chatting.")
    if Block.objects.hiding(host, sender.user).exists():
        raise ChatRefused(403, "blocked", "You cannot chat here.")
    followers_only = stream.is_chat_followers_only and not is_host
    if followers_only and not Follow.objects.of(sender.user, host).exists():
        raise ChatRefused(403, "followers_only", f"Only followers of {host.username} can chat.")


# NUL cannot be stored by PostgreSQL, and a lone surrogate (JSON can carry "\ud800") is
# not text at all: it cannot be encoded as UTF-8 for the database or the room.
UNSTORABLE_CHARACTERS = re.compile("[\x00\ud800-\udfff]")


def clean_text(text: object) -> str:
    text = text.strip() if isinstance(text, str) else ""
    if not text:
        raise ChatRefused(400, "empty", "Type a message first.")
    if UNSTORABLE_CHARACTERS.search(text):
        raise ChatRefused(
            400,
            "invalid_characters",
            "The message contains characters that cannot be sent "
            "(a NUL character or a broken emoji).",
        )
    if len(text) > MAX_LENGTH:
        raise ChatRefused(400, "too_long", f"Messages are at most {MAX_LENGTH} characters.")
    return text


def send_message(*, stream: Stream, sender: Sender | None, text: object) -> ChatMessage:
    check_can_chat(stream, sender)
    text = clean_text(text)
    is_host = sender.user is not None and sender.user.pk == stream.user_id
    with transaction.atomic():
        if stream.is_chat_delayed and not is_host:
            # One message per sender per cooldown, also across concurrent requests and
            # server processes: the stream row serialises senders of this stream.
            Stream.objects.select_for_update().filter(pk=stream.pk).first()
            _check_slow_mode(stream, sender)
        message = ChatMessage.objects.create(
            stream=stream,
            user=sender.user,
            guest_identity=sender.guest_identity,
            author_name=sender.name,
            text=text,
        )
    broadcast(stream, {"type": "message", **message_json(message)})
    return message


def _check_slow_mode(stream: Stream, sender: Sender) -> None:
    since = timezone.now() - timedelta(seconds=SLOW_MODE_SECONDS)
    mine = ChatMessage.objects.filter(stream=stream, created_at__gt=since)
    if sender.user is not None:
        mine = mine.filter(user=sender.user)
    else:
        mine = mine.filter(guest_identity=sender.guest_identity)
    last = mine.order_by("-created_at").values_list("created_at", flat=True).first()
    if last is not None:
        wait = SLOW_MODE_SECONDS - (timezone.now() - last).total_seconds()
        retry = max(1, math.ceil(wait))
        raise ChatRefused(
            429, "slow_mode", f"Slow mode is on: wait {retry} s between messages.", retry
        )


def delete_message(*, stream: Stream, message_id: int) -> bool:
    """Hide a message for everyone, live; False if there was no such message."""
    updated = ChatMessage.objects.filter(stream=stream, pk=message_id, is_deleted=False).update(
        is_deleted=True
    )
    if updated:
        broadcast(stream, {"type": "delete", "id": message_id})
    return bool(updated)


def settings_json(stream: Stream) -> dict:
    return {
        "is_live": stream.is_live,
        "is_chat_enabled": stream.is_chat_enabled,
        "is_chat_delayed": stream.is_chat_delayed,
        "is_chat_followers_only": stream.is_chat_followers_only,
    }


def broadcast_settings(stream: Stream) -> None:
    broadcast(stream, {"type": "settings", **settings_json(stream)})


def broadcast(stream: Stream, payload: dict) -> None:
    """Send to everyone in the room. The message is already saved: if LiveKit is down, the
    next page load still shows it, so a failure is logged rather than raised."""
    try:
        livekit.send_data(rooms.room_name(stream.user_id), payload, topic=TOPIC)
    except livekit.LiveKitError as error:
        logger.warning("Chat broadcast to %s failed: %s", stream.user.username, error)
