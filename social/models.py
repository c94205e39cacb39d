from __future__ import annotations

from django.conf import settings
from django.db import models


class Follow(models.Model):
    follower = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="following_set"
    )
    following = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follower_set"
    )
    created_at = models.DateTimeField(auto_now_add=True)

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
