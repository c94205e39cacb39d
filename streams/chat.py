"""Chat, enforced on the server: every rule is checked here, the message is saved, and only
then broadcast to the room with LiveKit's SendData (viewer tokens cannot publish data)."""

from __future__ import annotations

import contextlib
import json
import logging
import math
import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from accounts.avatars import avatar_hue
from streams import events, flood, livekit, moderation, page_cache, rooms, selectors
from streams.client_address import client_network
from streams.errors import ApiError
from streams.models import ChatMessage, Moderator, Stream

logger = logging.getLogger(__name__)

MAX_LENGTH = 500
HISTORY_SIZE = 50
TOPIC = "chat"


class ChatRefused(ApiError):
    """A message that breaks a rule."""


@dataclass(frozen=True)
class Sender:
    """Who is chatting: a signed-in user, or a guest known by the identity in their cookie."""

    user: object | None
    guest_identity: str
    name: str
    network: str = ""  # a guest's (streams.client_address); limits and bans hold on it

    @property
    def person(self) -> str:
        return rooms.person_named(self.user and self.user.pk, self.guest_identity)


def sender_for(request) -> Sender | None:
    if request.user.is_authenticated:
        return Sender(request.user, "", request.user.username)
    guest = rooms.request_guest(request, create=False)
    if guest is None:
        return None
    return Sender(None, guest.person, guest.name, client_network(request))


def name_color(name: str) -> str:
    """A readable colour on the dark chat background, the same for a name everywhere: at 72%
    lightness the darkest hue (blue) keeps 4.5:1 on the panel, also behind a message that
    mentions the viewer (site.css .chat-message:has(.chat-mention-me))."""
    return f"hsl({avatar_hue(name)}, 75%, 72%)"


# "@name" in a message: a site username (accounts.validators), not inside a word or an address.
MENTION = re.compile(r"(?<![A-Za-z0-9_@-])@([A-Za-z0-9_-]{3,30})(?![A-Za-z0-9_-])")
REPLY_PREVIEW_LENGTH = 60


def shortened(text: str, length: int = REPLY_PREVIEW_LENGTH) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def reply_json(message: ChatMessage) -> dict | None:
    """What a reply shows of the message it answers (None for a message that answers none,
    or whose parent no longer exists)."""
    parent = message.reply_to if message.reply_to_id else None
    if parent is None:
        return None
    return {
        "id": parent.pk,
        "name": parent.author_name,
        "text": "" if parent.is_deleted else shortened(parent.text),
        "deleted": parent.is_deleted,
    }


def message_json(message: ChatMessage) -> dict:
    return {
        "id": message.pk,
        "text": message.text,
        "user": {
            "id": message.author_id,
            "name": message.author_name,
            "color": name_color(message.author_name),
            "badge": message.author_badge,
        },
        "ts": message.created_at.isoformat(),
        "reply": reply_json(message),
    }


# What message_json reads: load messages with .select_related("reply_to").only(*MESSAGE_FIELDS).
MESSAGE_FIELDS = [
    "text",
    "user_id",
    "guest_identity",
    "author_name",
    "author_badge",
    "created_at",
    "reply_to__text",
    "reply_to__author_name",
    "reply_to__is_deleted",
]


def history(stream: Stream) -> list[ChatMessage]:
    """The last messages, oldest first."""
    recent = (
        ChatMessage.objects.shown()
        .filter(stream=stream)
        .select_related("reply_to")
        .only(*MESSAGE_FIELDS)
        .order_by("-created_at", "-pk")[:HISTORY_SIZE]
    )
    return list(reversed(recent))


def history_json(stream: Stream) -> str:
    """The last messages as the chat API answers them, oldest first: the JSON text of their
    list, kept in the cache as text so that a raid's viewers share one build and one
    encoding. With a cache every process shares, the answer is kept under the channel's
    chat version, which every change replaces (page_cache.chat_api_answer). Otherwise which
    messages they are is read every time (their ids: one narrow query), their JSON is kept
    in the cache under those ids (page_cache.chat_api_history). Either way a message saved
    or deleted is in or out of the next answer whichever process gives it."""
    if settings.CACHE_IS_SHARED:
        return page_cache.chat_api_answer(stream.pk, lambda: _history_json(stream))
    return _history_json(stream)


def _history_json(stream: Stream) -> str:
    rows = list(
        ChatMessage.objects.shown()
        .filter(stream=stream)
        .order_by("-created_at", "-pk")
        .values_list("pk", "reply_to__is_deleted")[:HISTORY_SIZE]
    )
    # A reply's JSON says whether its parent is deleted: a deletion changes the key too.
    key = [f"{pk}d" if parent_deleted else pk for pk, parent_deleted in rows]
    if not key:
        return "[]"
    # Oldest first; json.dumps of the list, made of each message's JSON text.
    return page_cache.chat_api_history(
        stream.pk, key, lambda: "[" + ", ".join(_messages_json(key[::-1])) + "]"
    )


MESSAGE_JSON_TTL = 600  # seconds


def _messages_json(keys: list) -> list[str]:
    """The JSON text of each message named in `keys` (a pk, "<pk>d" for a reply whose parent
    is deleted), in their order. Each is kept in the cache apart: a message's JSON never
    changes but for its parent's deletion, which its key says, so a new message makes the next
    history build only its own."""
    cache_keys = {key: f"chat:message-json:{key}" for key in keys}
    found = cache.get_many(list(cache_keys.values()))
    missing = {int(str(key).rstrip("d")): key for key in keys if cache_keys[key] not in found}
    if missing:
        messages = ChatMessage.objects.filter(pk__in=missing).select_related("reply_to")
        built = {
            cache_keys[missing[m.pk]]: json.dumps(message_json(m), cls=DjangoJSONEncoder)
            for m in messages.only(*MESSAGE_FIELDS)
        }
        cache.set_many(built, MESSAGE_JSON_TTL)
        found |= built
    return [found[cache_keys[key]] for key in keys if cache_keys[key] in found]


def check_can_chat(stream: Stream, sender: Sender | None, role: str = "") -> None:
    """Raise ChatRefused unless `sender`, whose `role` in the chat is `role`
    (Moderator.objects.role_of), may chat in `stream` now (text, flood and slow mode
    aside). The host and moderators are exempt from followers-only."""
    host = stream.user
    if not stream.is_chat_enabled:
        raise ChatRefused(403, "chat_disabled", "Chat is disabled.")
    if not stream.is_live:
        raise ChatRefused(403, "offline", f"{host.username} is offline: chat opens when live.")
    if sender is None:
        raise ChatRefused(403, "no_identity", "Open the channel page before chatting.")
    # The sender's ties (one query, or the shared cache) say whether the host blocked them
    # and since when they follow the host.
    ties = selectors.ties_of(sender.user) if sender.user is not None else selectors.Ties()
    if host.pk in ties.hidden_by:
        raise ChatRefused(403, "blocked", "You cannot chat here.")
    if sender.user is None and stream.is_chat_signed_in_only:
        raise ChatRefused(403, "signed_in_only", "Only signed-in viewers can chat here: log in.")
    if role != moderation.HOST:
        moderation.check_may_chat(host, sender.user, sender.guest_identity, sender.network)
    if stream.followers_only_minutes is not None and not role:
        _check_followers_only(stream, dict(ties.following).get(host.pk))


def _check_followers_only(stream: Stream, since) -> None:
    """Refuse a sender who does not follow the host (`since`: when they followed, None if
    they do not), or not for long enough; a new follower is told how long is left, and from
    when (`until`, shown in their own time zone)."""
    host, minutes = stream.user.username, stream.followers_only_minutes
    age = human_duration(minutes * 60)
    rule = f"Only followers of {host} can chat" + (
        f", once they have followed for {age}" if minutes else ""
    )
    if since is None:
        then = f"and you can chat in {age}" if minutes else "to chat"
        raise ChatRefused(403, "followers_only", f"{rule}: follow {host} {then}.")
    allowed_from = since + timedelta(minutes=minutes)
    wait = math.ceil((allowed_from - timezone.now()).total_seconds())
    if wait > 0:
        detail = f"{rule}: you can chat in {human_duration(wait)}."
        raise ChatRefused(403, "followers_only", detail, wait, until=allowed_from)


def human_duration(seconds: int) -> str:
    """ "45 seconds", "10 minutes", "1 hour 5 minutes", "30 days"."""
    units = [("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)]
    parts = []
    for name, size in units:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {name}{'' if count == 1 else 's'}")
        if len(parts) == 2 or (parts and size == 60):
            break
    return " ".join(parts) or "0 seconds"


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


def reply_parent(stream: Stream, reply_to: object) -> ChatMessage | None:
    """The message a reply answers, given its id as posted (None, "" or absent: not a
    reply); it must be a message of this stream that is still shown."""
    if reply_to is None or reply_to == "":
        return None
    if isinstance(reply_to, str) and reply_to.isascii() and reply_to.isdigit():
        reply_to = int(reply_to)
    if not isinstance(reply_to, int) or isinstance(reply_to, bool) or not 0 < reply_to < 2**63:
        raise ChatRefused(400, "bad_reply", "reply_to must be the id of a message.")
    parent = ChatMessage.objects.filter(stream=stream, pk=reply_to).first()
    if parent is None:
        raise ChatRefused(400, "bad_reply", "The message you reply to is not in this chat.")
    if parent.is_deleted:
        raise ChatRefused(400, "bad_reply", "The message you reply to was deleted.")
    return parent


def send_message(
    *, stream: Stream, sender: Sender | None, text: object, reply_to: object = None
) -> ChatMessage:
    role = Moderator.objects.role_of(stream.user, sender.user if sender else None)
    check_can_chat(stream, sender, role)
    text = clean_text(text)
    parent = reply_parent(stream, reply_to)
    if not role:  # the host and moderators are exempt in their chat
        _check_flood(sender)
    slow = bool(stream.slow_mode_seconds and not role)
    # Without slow mode the message is one INSERT, committed on its own.
    with transaction.atomic() if slow else contextlib.nullcontext():
        if slow:
            # One message per sender per cooldown, also across concurrent requests and
            # server processes: the stream row serialises senders of this stream.
            Stream.objects.select_for_update().filter(pk=stream.pk).first()
            _check_slow_mode(stream, sender)
        message = ChatMessage.objects.create(
            stream=stream,
            user=sender.user,
            guest_identity=sender.guest_identity,
            author_name=sender.name,
            author_badge=role,
            guest_network=sender.network,
            text=text,
            reply_to=parent,
        )
    broadcast(stream, events.message(message_json(message)))
    return message


NOTICE = "notice"  # the badge of a line the site writes in a chat (announce)


def announce(*, stream: Stream, author, text: str) -> ChatMessage:
    """A line the site writes in `stream`'s chat about `author` (another app's news: a raid
    arriving), saved and broadcast as any message. Its badge, NOTICE, makes the page show
    it as a notice rather than as something `author` typed; no chat rule applies to it."""
    message = ChatMessage.objects.create(
        stream=stream,
        user=author,
        author_name=author.username,
        author_badge=NOTICE,
        text=text[:MAX_LENGTH],
    )
    broadcast(stream, events.message(message_json(message)))
    return message


def _check_flood(sender: Sender) -> None:
    if sender.user is not None:
        subjects = [f"user:{sender.user.pk}"]
    else:
        subjects = [f"guest:{sender.guest_identity}"]
        if sender.network:
            subjects.append(f"net:{sender.network}")
    wait = flood.take(subjects)
    if wait:
        raise ChatRefused(
            429,
            "rate_limited",
            f"Too many messages: at most {flood.FLOOD_MESSAGES} in "
            f"{flood.FLOOD_WINDOW_SECONDS} seconds. Wait {wait} s.",
            wait,
        )


def _check_slow_mode(stream: Stream, sender: Sender) -> None:
    seconds = stream.slow_mode_seconds
    since = timezone.now() - timedelta(seconds=seconds)
    mine = ChatMessage.objects.filter(stream=stream, created_at__gt=since)
    if sender.user is not None:
        mine = mine.filter(user=sender.user)
    else:
        mine = mine.filter(guest_identity=sender.guest_identity)
    last = mine.order_by("-created_at").values_list("created_at", flat=True).first()
    if last is not None:
        wait = seconds - (timezone.now() - last).total_seconds()
        retry = max(1, math.ceil(wait))
        raise ChatRefused(
            429,
            "slow_mode",
            f"Slow mode is on: one message every {human_duration(seconds)}. Wait {retry} s.",
            retry,
        )


def delete_message(*, stream: Stream, message_id: int) -> bool:
    """Hide a message for everyone, live; False if there was no such message."""
    hidden = ChatMessage.objects.filter(stream=stream, pk=message_id).hide()
    if hidden:
        broadcast(stream, events.delete(message_id))
    return bool(hidden)


def settings_json(stream: Stream) -> dict:
    return {
        "is_live": stream.is_live,
        "is_chat_enabled": stream.is_chat_enabled,
        "slow_mode_seconds": stream.slow_mode_seconds,
        "followers_only_minutes": stream.followers_only_minutes,
        "is_chat_signed_in_only": stream.is_chat_signed_in_only,
    }


def broadcast_settings(stream: Stream) -> None:
    broadcast(stream, events.settings(settings_json(stream)))


def broadcast(stream: Stream, payload: dict) -> None:
    """Send to everyone in the room. The message is already saved: if LiveKit is down, the
    next page load still shows it, so a failure is logged rather than raised."""
    try:
        livekit.send_data(rooms.room_name(stream.user_id), payload, topic=TOPIC)
    except livekit.LiveKitError as error:
        logger.warning("Chat broadcast to %s failed: %s", stream.user.username, error)
