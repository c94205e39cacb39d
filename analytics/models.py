"""What a creator's figures are made of, beyond what streams keeps: each person's time in a
live room (from LiveKit's participant webhooks), each title change, and each broadcast's
figures once it has ended."""

from __future__ import annotations

from django.db import models

from streams.models import Stream
from videos.models import Broadcast


class ViewerVisit(models.Model):
    """One participant's time in a live stream's room: joined at LiveKit's
    participant_joined, left at its participant_left (open while they are there). `person` is
    who they are across tabs (a user's id or a guest identity, streams.rooms.person_of)."""

    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="+")
    identity = models.CharField(max_length=128)
    person = models.CharField(max_length=128)
    joined_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["stream", "joined_at"], name="analytics_visit_joined"),
            # A participant's webhooks find their visit by identity.
            models.Index(fields=["stream", "identity"], name="analytics_visit_identity"),
        ]

    def __str__(self) -> str:
        return f"{self.identity} from {self.joined_at:%Y-%m-%d %H:%M:%S}"


class TitleChange(models.Model):
    """A stream's title from `at` on: marked on a broadcast's charts."""

    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()
    title = models.CharField(max_length=140)

    class Meta:
        indexes = [models.Index(fields=["stream", "at"], name="analytics_title_at")]

    def __str__(self) -> str:
        return f"{self.title} at {self.at:%Y-%m-%d %H:%M:%S}"


class BroadcastStats(models.Model):
    """One ended broadcast's figures, computed once when it ends (and again if asked), so a
    channel with a thousand broadcasts lists them without recomputing any."""

    broadcast = models.OneToOneField(
        Broadcast, on_delete=models.CASCADE, primary_key=True, related_name="stats"
    )
    duration = models.FloatField(help_text="Seconds live.")
    peak_viewers = models.PositiveIntegerField(default=0)
    average_viewers = models.FloatField(default=0)
    unique_viewers = models.PositiveIntegerField(default=0)
    chat_messages = models.PositiveIntegerField(default=0)
    chatters = models.PositiveIntegerField(default=0)
    new_followers = models.PositiveIntegerField(default=0)
    raids_in = models.PositiveIntegerField(default=0)
    raids_out = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "broadcast stats"

    def __str__(self) -> str:
        return f"Figures of {self.broadcast}"
