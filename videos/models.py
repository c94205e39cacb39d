"""Past broadcasts: every live session of a stream, and its recording; clips cut from them."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from streams.models import Stream

DEFAULT_RETENTION_DAYS = 14


class RecordingSettings(models.Model):
    """What a channel keeps of its broadcasts (defaults when a channel has no row)."""

    stream = models.OneToOneField(Stream, on_delete=models.CASCADE, related_name="recording")
    save_past_broadcasts = models.BooleanField(
        "Save past broadcasts",
        default=True,
        help_text="Record every stream so viewers can watch it later.",
    )
    retention_days = models.PositiveSmallIntegerField(
        "Keep past broadcasts for (days)",
        default=DEFAULT_RETENTION_DAYS,
        help_text="Older broadcasts are deleted with their recordings.",
    )

    class Meta:
        verbose_name_plural = "recording settings"

    def __str__(self) -> str:
        return f"Recording settings of {self.stream}"

    @classmethod
    def of(cls, stream: Stream) -> RecordingSettings:
        """The stream's settings, saved or the defaults."""
        return cls.objects.filter(stream=stream).first() or cls(stream=stream)


class BroadcastQuerySet(models.QuerySet):
    def open(self) -> BroadcastQuerySet:
        """Broadcasts whose stream has not ended yet."""
        return self.filter(ended_at__isnull=True)

    def to_record(self) -> BroadcastQuerySet:
        """What the recorder should be recording now: open broadcasts of live streams, not
        refused (one whose parts the recorder closed when its stream went away for a moment
        goes on in a new part)."""
        return self.open().filter(
            stream__is_live=True,
            state__in=[
                Broadcast.State.WAITING,
                Broadcast.State.RECORDING,
                Broadcast.State.PROCESSING,
            ],
        )

    def watchable(self) -> BroadcastQuerySet:
        return self.filter(state=Broadcast.State.READY)


class Broadcast(models.Model):
    """One live session of a stream: from going live to going offline."""

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting for the recorder"
        RECORDING = "recording", "Recording"
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"
        NOT_RECORDED = "not_recorded", "Not recorded"

    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="broadcasts")
    title = models.CharField(max_length=140)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.WAITING)
    failure = models.CharField(max_length=200, blank=True)
    # Filled when the recording is finalised.
    duration = models.FloatField(null=True, blank=True, help_text="Seconds of video.")
    bytes_stored = models.BigIntegerField(default=0)
    playlist = models.CharField(max_length=200, blank=True, help_text="Storage name.")
    thumbnail = models.CharField(max_length=200, blank=True, help_text="Storage name.")
    # Where each part of the recording sits on the video's time axis and on the clock:
    # [{"part": 1, "offset": 0.0, "duration": 12.3, "clock": "2026-...Z"}], for chat replay.
    timeline = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = BroadcastQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["stream", "-started_at"])]
        constraints = [
            # One open broadcast per stream.
            models.UniqueConstraint(
                fields=["stream"], condition=Q(ended_at__isnull=True), name="one_open_broadcast"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.started_at:%Y-%m-%d %H:%M})"

    @property
    def storage_folder(self) -> str:
        return f"broadcasts/{self.pk}"


def new_clip_slug() -> str:
    """11 URL-safe characters (64 random bits): a clip's address, unguessable from another."""
    return secrets.token_urlsafe(8)


class Clip(models.Model):
    """A few seconds of a broadcast, cut without re-encoding into an MP4 of its own. A clip
    outlives its broadcast (the host deletes clips one by one); it goes with its channel."""

    broadcast = models.ForeignKey(
        Broadcast, on_delete=models.SET_NULL, null=True, blank=True, related_name="clips"
    )
    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="clips")
    clipper = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="clips",
    )
    title = models.CharField(max_length=100)
    slug = models.CharField(max_length=16, unique=True, default=new_clip_slug, editable=False)
    # Where the clip begins in its broadcast's video and how long it is, as cut: the cut
    # begins on the keyframe at or before the requested start.
    start = models.FloatField(help_text="Seconds into the broadcast.")
    duration = models.FloatField(help_text="Seconds.")
    file = models.CharField(max_length=200, help_text="Storage name of the MP4.")
    thumbnail = models.CharField(max_length=200, blank=True, help_text="Storage name.")
    bytes = models.BigIntegerField(default=0, help_text="Of the MP4 and its thumbnail.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["stream", "-created_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("clip", args=[self.slug])
