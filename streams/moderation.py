"""Who may moderate which chat, decided in one place.

The host moderates their own chat, and so do the moderators they appoint (Moderator), in
that chat only: delete messages, time out and ban chatters. Nobody acts on the host, and a
moderator never acts on another moderator (the host does). Stream settings, keys and the
moderator list stay the host's own (the dashboard belongs to its owner).
"""

from __future__ import annotations

import uuid

from streams.errors import ApiError
from streams.models import Moderator

HOST = "host"
MODERATOR = "moderator"


def role_of(host, user) -> str:
    """The role of `user` in `host`'s chat: "host", "moderator", or "" for everyone else
    (guests included)."""
    if user is None or not user.is_authenticated:
        return ""
    if user.pk == host.pk:
        return HOST
    return MODERATOR if Moderator.objects.filter(host=host, user=user).exists() else ""


def authorize(actor, host, target_person: str | None = None) -> str:
    """The actor's role if they may moderate `host`'s chat, and act on `target_person` (a
    person as streams.rooms names them: a user id or a guest identity) when one is given;
    ApiError 403 otherwise."""
    role = role_of(host, actor)
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


def moderator_ids(host) -> list[str]:
    return [str(pk) for pk in Moderator.objects.filter(host=host).values_list("user_id", flat=True)]


def _user_id(person: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(person)
    except ValueError:
        return None
