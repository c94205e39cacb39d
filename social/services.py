"""Writes for follows and blocks. Views and commands call these; the rules live here."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from social.models import Block, Follow


class SocialError(Exception):
    """A follow or block request that breaks a rule; the message is shown to the user."""


def follow_create(*, follower, following) -> tuple[Follow, bool]:
    """Follow `following`; returns (follow, created). Following twice changes nothing."""
    if follower.pk == following.pk:
        raise SocialError("You cannot follow yourself.")
    if Block.objects.hiding(following, follower).exists():
        raise SocialError(f"You cannot follow {following.username}.")
    try:
        # The unique constraint, not a read-then-write, decides under concurrent requests.
        with transaction.atomic():
            return Follow.objects.create(follower=follower, following=following), True
    except IntegrityError:
        return Follow.objects.get(follower=follower, following=following), False


def follow_delete(*, follower, following) -> bool:
    """Unfollow; returns False when there was nothing to undo."""
    deleted, _ = Follow.objects.filter(follower=follower, following=following).delete()
    return deleted > 0


def block_create(*, blocker, blocked) -> tuple[Block, bool]:
    """Block `blocked` and drop follows between the two, both ways; returns (block, created)."""
    if blocker.pk == blocked.pk:
        raise SocialError("You cannot block yourself.")
    with transaction.atomic():
        Follow.objects.between(blocker, blocked).delete()
        try:
            with transaction.atomic():
                return Block.objects.create(blocker=blocker, blocked=blocked), True
        except IntegrityError:
            return Block.objects.get(blocker=blocker, blocked=blocked), False


def block_delete(*, blocker, blocked) -> bool:
    """Unblock; follows removed by the block stay removed. False when nothing was blocked."""
    deleted, _ = Block.objects.filter(blocker=blocker, blocked=blocked).delete()
    return deleted > 0
