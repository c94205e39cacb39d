from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


def _signed_in(user) -> bool:
    """Anonymous visitors follow and block no one; OuterRef() stands for a user too."""
    return user is not None and getattr(user, "is_authenticated", True)


class FollowQuerySet(models.QuerySet):
    def of(self, follower, following) -> FollowQuerySet:
        """`follower` following `following` (either may be an OuterRef)."""
        if not _signed_in(follower):
            return self.none()
        return self.filter(follower=follower, following=following)

    def between(self, a, b) -> FollowQuerySet:
        """Follows either way between two users."""
        return self.filter(Q(follower=a, following=b) | Q(follower=b, following=a))


class BlockQuerySet(models.QuerySet):
    def hiding(self, host, viewer) -> BlockQuerySet:
        """`host` has blocked `viewer`, so `host`'s channel is hidden from `viewer`. Either may
        be an OuterRef; an anonymous viewer is hidden from no one."""
        if not _signed_in(viewer):
            return self.none()
        return self.filter(blocker=host, blocked=viewer)

    def between(self, a, b) -> BlockQuerySet:
        """Blocks either way between two users (or a user and an OuterRef)."""
        if not (_signed_in(a) and _signed_in(b)):
            return self.none()
        return self.filter(Q(blocker=a, blocked=b) | Q(blocker=b, blocked=a))


class Follow(models.Model):
    follower = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="following_set"
    )
    following = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follower_set"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FollowQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "following"], name="social_follow_unique"),
            models.CheckConstraint(
                condition=~models.Q(follower=models.F("following")),
                name="social_follow_not_self",
            ),
        ]
        indexes = [models.Index(fields=["following", "follower"], name="social_follow_reverse")]

    def __str__(self) -> str:
        return f"{self.follower} follows {self.following}"


class Block(models.Model):
    blocker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocking_set"
    )
    blocked = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocked_by_set"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = BlockQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="social_block_unique"),
            models.CheckConstraint(
                condition=~models.Q(blocker=models.F("blocked")),
                name="social_block_not_self",
            ),
        ]
        indexes = [models.Index(fields=["blocked", "blocker"], name="social_block_reverse")]

    def __str__(self) -> str:
        return f"{self.blocker} blocks {self.blocked}"


class NotificationQuerySet(models.QuerySet):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)

    def between(self, a, b) -> NotificationQuerySet:
        """Notifications either way between two users."""
        return self.filter(Q(recipient=a, channel=b) | Q(recipient=b, channel=a))


class Notification(models.Model):
    """Something a user is told in the site's bell (and by email if they want): that a
    channel they follow went live, or (the raids app) that a channel raided theirs.

    `broadcast` names one broadcast of the channel, the same in every event LiveKit sends
    about it, and the unique constraint allows one notification per recipient, channel and
    broadcast: duplicate webhooks, a task run twice or two workers at once add nothing.
    """

    class Kind(models.TextChoices):
        LIVE = "live", "went live"
        RAID = "raid", "raided"  # broadcast: "raid-<id>"; title: the chat's announcement

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    channel = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.LIVE)
    broadcast = models.CharField(max_length=64)
    title = models.CharField(max_length=100, blank=True, help_text="The stream's title then.")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # An email is owed (the recipient wanted go-live emails when it was made) and not sent yet.
    email_pending = models.BooleanField(default=False)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        constraints = [
            # Also the index the worker finds one broadcast's notifications with.
            models.UniqueConstraint(
                fields=["channel", "kind", "broadcast", "recipient"],
                name="social_notification_once",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="social_notification_inbox"),
            # The bell's count reads this index alone.
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True),
                name="social_notification_unread",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.get_kind_display()} ({self.broadcast}) for {self.recipient}"
