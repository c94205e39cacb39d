"""Moderation, in one place: who may moderate which chat, who may not chat or watch (bans
and timeouts), and every moderation action, each recorded in the moderation log.

The host moderates their own chat, and so do the moderators they appoint (Moderator), in
that chat only: delete messages, time out and ban chatters, lift timeouts and bans. Nobody
acts on the host, and a moderator never acts on another moderator (the host does). Stream
settings, keys and the moderator list stay the host's own (the dashboard belongs to its
owner). Moderation sits above chat: it acts through chat's functions (deleting, broadcasting
streams.events), and chat asks it one question, check_may_chat.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from social.models import Block
from social.services import SocialError, block_create, block_delete
from streams import chat, events, livekit, page_cache, rooms, services
from streams.errors import ApiError
from streams.models import ChatBan, ChatMessage, ModerationAction, Moderator

HOST = Moderator.HOST
MODERATOR = Moderator.MODERATOR


def authorize(actor, host, target_person: str | None = None) -> str:
    """The actor's role if they may moderate `host`'s chat, and act on `target_person` (a
    person as streams.rooms names them: a user id or a guest identity) when one is given;
    ApiError 403 otherwise."""
    role = Moderator.objects.role_of(host, actor)
    if not role:
        raise ApiError(403, "not_moderator", "Only the host and moderators can moderate this chat.")
    if target_person is None or target_person == str(actor.pk):
        return role
    target_id = _user_id(target_person)
    if target_id == host.pk:
        raise ApiError(403, "protected", f"Nobody can act on the host, {host.username}.")
    if (
        role == MODERATOR
        and target_id
        and Moderator.objects.filter(host=host, user_id=target_id).exists()
    ):
        raise ApiError(403, "protected", "Moderators cannot act on another moderator.")
    return role


def _user_id(person: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(person)
    except ValueError:
        return None


# ---------------------------------------------------------------- what may not chat or watch


def check_may_chat(host, user, guest_identity: str, network: str = "") -> None:
    """The one question chat asks moderation: may this person (a signed-in `user`, or a
    guest by identity and network) chat in `host`'s chat now? chat.ChatRefused says why not:
    banned, or timed out (until when)."""
    if settings.CACHE_IS_SHARED:  # every chat message asks: the host's bans from the cache
        holding = _holding(host, user, guest_identity, network)
    else:
        holding = ChatBan.objects.holding(
            host, user=user, guest_identity=guest_identity, network=network
        ).values_list("kind", "expires_at")
    timeout_ends = None
    for kind, expires_at in holding:
        if kind == ChatBan.Kind.BAN:
            raise chat.ChatRefused(403, "banned", "You are banned from this chat.")
        # A timeout holds on the guest's network exactly as long as on the guest.
        timeout_ends = max(timeout_ends or expires_at, expires_at)
    if timeout_ends is not None:
        now = timezone.now()
        left = max(1, math.ceil((timeout_ends - now).total_seconds()))
        until = utc_moment(timeout_ends, now)
        raise chat.ChatRefused(
            403,
            "timed_out",
            f"You are timed out until {until} ({chat.human_duration(left)} left).",
            left,
            until=timeout_ends,
        )


def _holding(host, user, guest_identity: str, network: str) -> list[tuple]:
    """(kind, expires_at) of the bans and timeouts that hold on the sender, as
    ChatBan.objects.holding finds them, from the host's bans in force kept in the shared
    cache (page_cache.chat_bans: any ban saved or deleted drops them)."""
    now = timezone.now()
    found = []
    for kind, user_id, identity, ban_network, expires_at, network_until in page_cache.chat_bans(
        host.pk, lambda: ChatBan.objects.in_force_rows(host)
    ):
        current = expires_at is None or expires_at > now
        on_user = user is not None and user_id == user.pk and current
        on_guest = bool(guest_identity) and identity == guest_identity and current
        on_network = (
            bool(network)
            and ban_network == network
            and (network_until is not None and network_until > now)
        )
        if on_user or on_guest or on_network:
            found.append((kind, expires_at))
    return found


def utc_moment(moment, now) -> str:
    """ "15:48:55 UTC" today (UTC), "2026-12-03 15:48:55 UTC" another day."""
    moment = moment.astimezone(UTC)
    if moment.date() == now.astimezone(UTC).date():
        return f"{moment:%H:%M:%S} UTC"
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def check_guest_not_banned(host, guest_identity: str) -> None:
    """A guest banned by identity may not watch either (their network is not refused to
    watch: others may share it)."""
    if ChatBan.objects.holding(host, guest_identity=guest_identity).filter(kind="ban").exists():
        raise chat.ChatRefused(403, "banned", "You are banned from this channel.")


# ---------------------------------------------------------------- the actions, each in the log


@dataclass(frozen=True)
class BlockOutcome:
    created: bool  # False: already blocked
    removed: int  # tabs disconnected from the live room
    warning: str = ""  # why nobody could be removed, when LiveKit failed


def block_and_remove(*, host, viewer) -> BlockOutcome:
    """`host` blocks `viewer` (social.services.block_create: follows dropped both ways,
    SocialError for a self-block), and every tab `viewer` has open in `host`'s room is
    disconnected at once; their next token request is refused by the block itself. The block
    stands even when LiveKit fails: the outcome then says why nobody was removed. A new
    block is recorded in the moderation log."""
    outcome = _block(host=host, viewer=viewer, actor=host)
    if outcome.created:
        _log_on_user(host, host, ModerationAction.Action.BLOCK, viewer)
    return outcome


def _block(*, host, viewer, actor) -> BlockOutcome:
    """The block behind block_and_remove and a signed-in user's ban by `actor`."""
    _, created = block_create(blocker=host, blocked=viewer)
    # The host no longer trusts them.
    moderator_remove(host=host, user=viewer, actor=actor, detail="ended by the block")
    try:
        removed = services.viewer_remove_from_room(host=host, viewer=viewer)
    except livekit.LiveKitError as error:
        warning = f"{viewer.username} is blocked, but could not be removed from the room: {error}"
        return BlockOutcome(created, 0, warning)
    return BlockOutcome(created, removed)


def unblock_and_lift(*, host, user) -> bool:
    """`host` unblocks `user` (from Community), which also lifts a ban of theirs from the
    chat; recorded in the moderation log. False when `user` was not blocked."""
    if not block_delete(blocker=host, blocked=user):
        return False
    ChatBan.objects.filter(host=host, user=user, kind=ChatBan.Kind.BAN).delete()
    _log_on_user(host, host, ModerationAction.Action.UNBLOCK, user)
    chat.broadcast(host.stream, events.lift(str(user.pk)))
    return True


TIMEOUTS = {60: "1 minute", 600: "10 minutes", 3600: "1 hour", 86400: "24 hours"}
# How long a guest's ban also holds on the network they chatted from (README: Moderation).
GUEST_NETWORK_BAN = timedelta(hours=24)


@dataclass(frozen=True)
class Chatter:
    """Someone a moderator acts on: a signed-in user, or a guest known by their identity
    and, if they chatted here, the network of their latest message."""

    person: str
    name: str
    user: object | None = None
    network: str = ""


def chatter_find(*, host, person: object) -> Chatter:
    """The chatter named by `person` (a user id or a guest identity, as in chat messages)."""
    person = person if isinstance(person, str) else ""
    if rooms.is_guest_person(person):
        latest = (
            ChatMessage.objects.filter(stream__user=host, guest_identity=person)
            .order_by("-created_at", "-pk")
            .values_list("author_name", "guest_network")
            .first()
        )
        name, network = latest or ("a guest", "")
        return Chatter(person, name, None, network)
    try:
        user = get_user_model().objects.filter(pk=uuid.UUID(person)).first()
    except ValueError:
        user = None
    if user is None:
        raise ApiError(404, "not_found", "No such person.")
    return Chatter(str(user.pk), user.username, user)


def _log(host, actor, action: str, target_name: str, target_person: str = "", detail: str = ""):
    """One entry of the moderation log: `actor` did `action` to `target_name` (the person as
    streams.rooms names them), with a word on it."""
    ModerationAction.objects.create(
        host=host,
        actor=actor,
        actor_name=actor.username,
        action=action,
        target_name=target_name,
        target_person=target_person,
        detail=detail[:200],
    )


def _log_on_user(host, actor, action: str, user, detail: str = "") -> None:
    _log(host, actor, action, user.username, str(user.pk), detail)


def message_delete(*, host, actor, message_id: int) -> None:
    """A message deleted by the host or a moderator: gone for everyone, live."""
    message = ChatMessage.objects.filter(stream__user=host, pk=message_id, is_deleted=False).first()
    if message is None:
        raise ApiError(404, "not_found", "No such message.")
    authorize(actor, host, message.author_id)
    if chat.delete_message(stream=host.stream, message_id=message.pk):
        _log(
            host,
            actor,
            ModerationAction.Action.DELETE,
            message.author_name,
            message.author_id,
            message.text[:100],
        )


def chatter_timeout(*, host, actor, person: object, seconds: int) -> ChatBan:
    """Keep a chatter (and a guest's network) out of the chat for `seconds`, one of
    TIMEOUTS; their chat box counts down, live. A new timeout replaces the one before,
    longer or shorter, as on Twitch: the chatter is refused until the time answered."""
    if seconds not in TIMEOUTS:
        choices = ", ".join(TIMEOUTS.values())
        raise ApiError(400, "invalid_duration", f"A timeout lasts {choices}.")
    chatter = chatter_find(host=host, person=person)
    authorize(actor, host, chatter.person)
    _not_self(actor, chatter, "time out")
    if _is_banned(host, chatter):
        raise ApiError(400, "banned", f"{chatter.name} is banned: a timeout would change nothing.")
    now = timezone.now()
    until = now + timedelta(seconds=seconds)
    timeout, _ = ChatBan.objects.update_or_create(
        host=host,
        kind=ChatBan.Kind.TIMEOUT,
        **_held(chatter),
        defaults={
            "name": chatter.name,
            "expires_at": until,
            "network": chatter.network,
            "network_expires_at": until if chatter.network else None,
            "created_by": actor,
            "created_at": now,
        },
    )
    _log(
        host,
        actor,
        ModerationAction.Action.TIMEOUT,
        chatter.name,
        chatter.person,
        TIMEOUTS[seconds],
    )
    chat.broadcast(host.stream, events.timeout(chatter.person, until, seconds))
    return timeout


def _held(chatter: Chatter) -> dict:
    """The fields naming whom a ChatBan holds on (one row per person, kind and chat)."""
    if chatter.user is not None:
        return {"user": chatter.user}
    return {"user": None, "guest_identity": chatter.person}


def _is_banned(host, chatter: Chatter) -> bool:
    if chatter.user is not None and Block.objects.hiding(host, chatter.user).exists():
        return True
    return ChatBan.objects.filter(host=host, kind=ChatBan.Kind.BAN, **_held(chatter)).exists()


@dataclass(frozen=True)
class BanOutcome:
    name: str
    removed: int  # tabs disconnected from the live room
    warning: str = ""  # why nobody could be removed, when LiveKit failed
    already: bool = False  # banned (or blocked) before: nothing changed


def chatter_ban(*, host, actor, person: object) -> BanOutcome:
    """Ban a chatter from `host`'s channel and remove them from the room at once.

    A signed-in user is blocked by the host (as block_and_remove: no chat, no channel,
    follows between them dropped). A guest is banned by their identity (token and chat
    refused) and, for GUEST_NETWORK_BAN, by the network they chatted from (guest chat from
    it refused), so that a new browser session is no easy way back. Either way the ban is a
    ChatBan row, one per person: banning someone banned (or blocked) already changes
    nothing, and one lift lifts it.
    """
    chatter = chatter_find(host=host, person=person)
    authorize(actor, host, chatter.person)
    _not_self(actor, chatter, "ban")
    ban = {"name": chatter.name, "created_by": actor}
    if chatter.user is not None:
        try:
            outcome = _block(host=host, viewer=chatter.user, actor=actor)
        except SocialError as error:
            raise ApiError(400, "invalid", str(error)) from None
        created, removed, warning = outcome.created, outcome.removed, outcome.warning
        if created:  # a block the host made themselves stays theirs to lift (Community)
            ChatBan.objects.get_or_create(
                host=host, kind=ChatBan.Kind.BAN, **_held(chatter), defaults=ban
            )
        detail = "blocked by the host"
    else:
        if chatter.network:
            ban.update(
                network=chatter.network, network_expires_at=timezone.now() + GUEST_NETWORK_BAN
            )
        _, created = ChatBan.objects.get_or_create(
            host=host, kind=ChatBan.Kind.BAN, **_held(chatter), defaults=ban
        )
        detail = "guest, and their network for 24 hours" if chatter.network else "guest"
        removed, warning = _remove_quietly(host, chatter)
    if not created:
        return BanOutcome(chatter.name, removed, warning, already=True)
    _log(host, actor, ModerationAction.Action.BAN, chatter.name, chatter.person, detail)
    chat.broadcast(host.stream, events.ban(chatter.person))
    return BanOutcome(chatter.name, removed, warning)


def _remove_quietly(host, chatter: Chatter) -> tuple[int, str]:
    try:
        return services.person_remove_from_room(host=host, person=chatter.person), ""
    except livekit.LiveKitError as error:
        return 0, f"{chatter.name} is banned, but could not be removed from the room: {error}"


def _not_self(actor, chatter: Chatter, what: str) -> None:
    if chatter.person == str(actor.pk):
        raise ApiError(400, "invalid", f"You cannot {what} yourself.")


def chat_ban_lift(*, host, actor, ban_id: int) -> ChatBan | None:
    """The host or a moderator lifts a timeout or a ban early (a signed-in user's ban is
    their block: it goes too); None if there was none. Who may act on whom is
    moderation.authorize's rule, as for giving it."""
    ban = ChatBan.objects.filter(host=host, pk=ban_id).first()
    if ban is None:
        return None
    authorize(actor, host, ban.person)
    with transaction.atomic():
        if not ChatBan.objects.filter(pk=ban.pk).delete()[0]:
            return None  # lifted by someone else meanwhile
        if ban.kind == ChatBan.Kind.BAN and ban.user_id:
            Block.objects.filter(blocker=host, blocked_id=ban.user_id).delete()
    _log(host, actor, ModerationAction.Action.LIFT, ban.name, ban.person, ban.get_kind_display())
    chat.broadcast(host.stream, events.lift(ban.person))
    return ban


def moderator_add(*, host, user) -> Moderator:
    """`host` makes `user` a moderator of their chat; ModerationRefused says why not (the
    form shows it next to the field)."""
    if user.pk == host.pk:
        raise ModerationRefused("You moderate your own chat already.")
    if Block.objects.hiding(host, user).exists():
        raise ModerationRefused(f"You blocked {user.username}: unblock them first.")
    try:
        with transaction.atomic():
            appointed = Moderator.objects.create(host=host, user=user)
    except IntegrityError:
        raise ModerationRefused(f"{user.username} is a moderator already.") from None
    _log_on_user(host, host, ModerationAction.Action.MODERATOR_ADD, user)
    chat.broadcast(host.stream, events.moderator(str(user.pk), is_moderator=True))
    return appointed


def moderator_remove(*, host, user, actor=None, detail: str = "") -> bool:
    """`user` no longer moderates `host`'s chat: removed by the host, or by a block or ban
    (`detail` says so). Recorded, and open pages are told (their buttons follow)."""
    deleted, _ = Moderator.objects.filter(host=host, user=user).delete()
    if deleted:
        _log_on_user(
            host, actor or host, ModerationAction.Action.MODERATOR_REMOVE, user, detail=detail
        )
        chat.broadcast(host.stream, events.moderator(str(user.pk), is_moderator=False))
    return bool(deleted)


class ModerationRefused(Exception):
    """A moderator appointment that cannot be made; the message says why."""
