from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef
from django.db.models.signals import post_delete, post_save

from accounts.images import DisplayImageField, image_path
from accounts.validators import ImageUploadValidator
from social.models import Block, Follow
from streams import page_cache

THUMBNAIL_MAX_BYTES = 4 * 1024 * 1024
THUMBNAIL_SIZE = (1280, 720)


def thumbnail_upload_to(stream: Stream, filename: str) -> str:
    return image_path("thumbnails", stream.user_id)


class StreamQuerySet(models.QuerySet):
    def visible_to(self, viewer) -> StreamQuerySet:
        """Streams whose owner has not blocked `viewer` (everything for anonymous viewers)."""
        return self.exclude(Exists(Block.objects.hiding(OuterRef("user_id"), viewer)))

    def live_first(self) -> StreamQuerySet:
        return self.order_by("-is_live", "-updated_at", "-pk")


class Stream(models.Model):
    class IngressType(models.TextChoices):
        RTMP = "rtmp", "RTMP"
        WHIP = "whip", "WHIP"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stream"
    )
    title = models.CharField(max_length=100)
    thumbnail = DisplayImageField(
        upload_to=thumbnail_upload_to,
        size=THUMBNAIL_SIZE,
        blank=True,
        validators=[ImageUploadValidator(THUMBNAIL_MAX_BYTES)],
    )
    ingress_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    server_url = models.CharField(max_length=300, blank=True)
    stream_key = models.CharField(max_length=200, blank=True)
    ingress_type = models.CharField(max_length=8, choices=IngressType.choices, blank=True)
    is_live = models.BooleanField(default=False)
    is_chat_enabled = models.BooleanField("chat enabled", default=True)
    is_chat_delayed = models.BooleanField("slow mode", default=False)
    is_chat_followers_only = models.BooleanField("followers-only chat", default=False)
    live_changed_at = models.DateTimeField(null=True, blank=True)
    # When the stream last went live (streams.live_status sets it): a channel that never
    # did is not recommended.
    last_live_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StreamQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["is_live", "updated_at"], name="streams_live_updated")]

    def __str__(self) -> str:
        return self.title


class WebhookEvent(models.Model):
    """Every LiveKit webhook applied, by event id: duplicates are ignored, and it is the
    audit trail of live-status changes."""

    event_id = models.CharField(max_length=64, unique=True)
    event = models.CharField(max_length=40)
    ingress_id = models.CharField(max_length=64, blank=True)
    room = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(help_text="When LiveKit emitted the event.")
    received_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=40, blank=True)

    class Meta:
        indexes = [models.Index(fields=["-received_at"], name="streams_webhook_received")]

    def __str__(self) -> str:
        return f"{self.event} {self.event_id}"


class ChatMessage(models.Model):
    """A chat message, saved before it is broadcast, so history survives reloads."""

    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="messages")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="chat_messages",
    )
    guest_identity = models.CharField(max_length=64, blank=True)
    author_name = models.CharField(max_length=40)
    text = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    is_deleted = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["stream", "created_at"], name="streams_chat_stream_created")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | ~models.Q(guest_identity=""),
                name="streams_chat_has_author",
            )
        ]

    def __str__(self) -> str:
        return f"{self.author_name}: {self.text[:40]}"

    @property
    def author_id(self) -> str:
        return str(self.user_id) if self.user_id else self.guest_identity


# The pages' cache (streams.page_cache) shows streams and their people. Any save of a Stream
# (title, thumbnail, keys, chat settings: from a form, the admin or a service) or of what a
# User shows, and any deletion, makes it stale. Updates that bypass save()
# (live_status.set_live, services.stream_end) say so themselves. A follow or unfollow, from
# a service, the admin or a cascade, changes the host's follower count.
USER_FIELDS_SHOWN = {"username", "avatar", "is_active"}


def _stream_changed(sender, **kwargs) -> None:
    page_cache.streams_changed()


def _user_changed(sender, update_fields=None, **kwargs) -> None:
    # A log-in saves last_login alone: nothing a page shows.
    if update_fields is None or USER_FIELDS_SHOWN.intersection(update_fields):
        page_cache.streams_changed()


def _follow_changed(sender, instance: Follow, **kwargs) -> None:
    page_cache.followers_changed(instance.following_id)


post_save.connect(_stream_changed, sender=Stream, dispatch_uid="pages_stream_saved")
post_delete.connect(_stream_changed, sender=Stream, dispatch_uid="pages_stream_deleted")
post_save.connect(_user_changed, sender=settings.AUTH_USER_MODEL, dispatch_uid="pages_user_saved")
post_delete.connect(
    _user_changed, sender=settings.AUTH_USER_MODEL, dispatch_uid="pages_user_deleted"
)
post_save.connect(_follow_changed, sender=Follow, dispatch_uid="pages_follow_saved")
post_delete.connect(_follow_changed, sender=Follow, dispatch_uid="pages_follow_deleted")
