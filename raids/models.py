"""Raids: a host (or one of their moderators) sends the people watching their channel to
another live channel. A raid counts down (COUNTDOWN), the host may cancel it, then it goes:
every page still in the source's room moves to the target's channel, which counts who
arrives. The target decides whom it accepts raids from (RaidSettings)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

COUNTDOWN = timedelta(seconds=10)


class RaidSettings(models.Model):
    """Whom a channel accepts raids from; a channel without a row accepts them from anyone."""

    class Accept(models.TextChoices):
        ANYONE = "anyone", "Anyone"
        FOLLOWED = "followed", "Channels I follow"
        NOBODY = "nobody", "No one"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="raid_settings",
    )
    accept_from = models.CharField(
        "Accept raids from", max_length=10, choices=Accept.choices, default=Accept.ANYONE
    )

    def __str__(self) -> str:
        return f"{self.user}: raids from {self.get_accept_from_display()}"


class RaidQuerySet(models.QuerySet):
    def counting(self) -> RaidQuerySet:
        return self.filter(state=Raid.State.COUNTING)


class Raid(models.Model):
    class State(models.TextChoices):
        COUNTING = "counting", "counting down"
        CANCELLED = "cancelled", "cancelled"
        SENT = "sent", "sent"

    source = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="raids_sent"
    )
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="raids_received"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    started_at = models.DateTimeField()
    ends_at = models.DateTimeField(help_text="When the countdown ends and the raid goes.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.COUNTING)
    # People (not tabs) in the source's room when the raid went, counted by the server.
    viewers = models.PositiveIntegerField(null=True, blank=True)
    # People who arrived at the target through this raid (RaidArrival, one per person).
    arrivals = models.PositiveIntegerField(default=0)

    objects = RaidQuerySet.as_manager()

    class Meta:
        constraints = [
            # One raid at a time per channel, whatever requests race.
            models.UniqueConstraint(
                fields=["source"],
                condition=Q(state="counting"),
                name="raids_one_counting_per_source",
            ),
        ]
        indexes = [
            models.Index(fields=["source", "-started_at"], name="raids_source_started"),
            models.Index(fields=["target", "-started_at"], name="raids_target_started"),
        ]

    def __str__(self) -> str:
        return f"{self.source} raiding {self.target} ({self.get_state_display()})"


class RaidArrival(models.Model):
    """One person (streams.rooms names them: a user id or a guest identity) who arrived at
    the target's channel through a raid; counted once however many tabs they moved."""

    raid = models.ForeignKey(Raid, on_delete=models.CASCADE, related_name="arrival_rows")
    person = models.CharField(max_length=64)
    arrived_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["raid", "person"], name="raids_arrival_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person} arrived with raid {self.raid_id}"
