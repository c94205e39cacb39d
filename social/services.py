"""Writes for follows, blocks and notifications. Views, commands and tasks call these; the
rules live here."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.cache import user_changed
from social import unread
from social.models import Block, Follow, Notification

# Rows per INSERT when a channel with many followers goes live.
FANOUT_BATCH = 2000


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
    """Block `blocked` and drop follows and notifications between the two, both ways;
    returns (block, created)."""
    if blocker.pk == blocked.pk:
        raise SocialError("You cannot block yourself.")
    with transaction.atomic():
        Follow.objects.between(blocker, blocked).delete()
        Notification.objects.between(blocker, blocked).delete()
        try:
            with transaction.atomic():
                return Block.objects.create(blocker=blocker, blocked=blocked), True
        except IntegrityError:
            return Block.objects.get(blocker=blocker, blocked=blocked), False


def block_delete(*, blocker, blocked) -> bool:
    """Unblock; follows removed by the block stay removed. False when nothing was blocked."""
    deleted, _ = Block.objects.filter(blocker=blocker, blocked=blocked).delete()
    return deleted > 0


def notify_followers_live(*, channel, broadcast: str, title: str) -> int:
    """Tell every active follower of `channel` that it went live, once per `broadcast`;
    returns how many followers there were. Followers with a block either way are left out.

    Runs in the worker (social.tasks), never in a request: a channel may have tens of
    thousands of followers. Rows go in batches, and the unique constraint (not a read
    first) drops the ones an earlier or concurrent run already made.
    """
    followers = list(
        Follow.objects.filter(following=channel, follower__is_active=True)
        .exclude(Exists(Block.objects.between(channel, OuterRef("follower_id"))))
        .values_list("follower_id", "follower__go_live_emails", "follower__email")
    )
    notifications = [
        Notification(
            recipient_id=follower_id,
            channel=channel,
            kind=Notification.Kind.LIVE,
            broadcast=broadcast,
            title=title,
            email_pending=wants_email and bool(email),
        )
        for follower_id, wants_email, email in followers
    ]
    with transaction.atomic():
        for start in range(0, len(notifications), FANOUT_BATCH):
            Notification.objects.bulk_create(
                notifications[start : start + FANOUT_BATCH], ignore_conflicts=True
            )
        unread.changed(follower_id for follower_id, _, _ in followers)
    return len(notifications)


def notification_mark_read(*, user, notification_id: int) -> bool:
    """Mark one of `user`'s notifications read; False when they have no such notification."""
    mine = Notification.objects.filter(recipient=user, pk=notification_id)
    if marked := mine.unread().update(read_at=timezone.now()):
        unread.changed([user.pk])
    return bool(marked) or mine.exists()


def notifications_mark_all_read(*, user) -> int:
    marked = Notification.objects.filter(recipient=user).unread().update(read_at=timezone.now())
    unread.changed([user.pk])
    return marked


def go_live_emails_set(*, user, enabled: bool) -> None:
    """Turn go-live emails on or off (the settings page, or an unsubscribe link). Emails
    already owed for earlier broadcasts are dropped when they are turned off."""
    get_user_model().objects.filter(pk=user.pk).update(go_live_emails=enabled)
    user_changed(user.pk)  # an update, not a save: the kept user is dropped here
    if not enabled:
        Notification.objects.filter(recipient=user, email_pending=True).update(email_pending=False)
