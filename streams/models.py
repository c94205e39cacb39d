from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q
from django.dispatch import Signal
from django.utils import timezone

from accounts.images import DisplayImageField, image_path
from accounts.validators import ImageUploadValidator
from social.models import Block
from streams import page_cache, rooms

THUMBNAIL_MAX_BYTES = 4 * 1024 * 1024
THUMBNAIL_SIZE = (1280, 720)


def thumbnail_upload_to(stream: Stream, filename: str) -> str:
    return image_path("thumbnails", stream.user_id)


class StreamQuerySet(models.QuerySet):
    def visible_to(self, viewer) -> StreamQuerySet:
        """Streams whose owner has not blocked `viewer` (everything for anonymous viewers)."""
        return self.exclude(Exists(Block.objects.hiding(OuterRef("user_id"), viewer)))

    def live_first(self) -> StreamQuerySet:
        """Live streams first, most viewers first; then the most recently updated."""
        return self.order_by("-is_live", "-viewer_count", "-updated_at", "-pk")

    def set_live(
        self, *, live: bool, at: datetime, resolution: timedelta = timedelta(0), cause: str = ""
    ) -> int:
        """Set is_live on these streams unless a newer change was already applied to them,
        and tell the pages' cache; returns how many changed. The one way live status is
        written (webhooks, the reconciliation, ending a stream). Once committed,
        `live_changed` is sent with the streams that changed and the `cause` (the webhook's
        event, "reconcile", "ended").

        `resolution` is how coarse `at` is. A webhook stamped 12:00:00 may describe something
        that happened after a change made at 12:00:00.6 (new keys, then the new ingress
        starting), so only a change in a later second counts as newer than it.
        """
        not_newer = Q(live_changed_at__isnull=True) | Q(live_changed_at__lt=at + resolution)
        # What recommendations go by; an offline stream has no audience to count.
        went_live = {"last_live_at": at} if live else {"viewer_count": 0}
        with transaction.atomic():
            stream_ids = list(
                self.filter(not_newer).select_for_update().values_list("pk", flat=True)
            )
            changed = self.model.objects.filter(pk__in=stream_ids).update(
                is_live=live, live_changed_at=at, updated_at=timezone.now(), **went_live
            )
            if stream_ids:
                transaction.on_commit(
                    lambda: live_changed.send(
                        sender=Stream, stream_ids=stream_ids, live=live, at=at, cause=cause
                    )
                )
        if changed:
            page_cache.streams_changed()
        return changed

    def store_viewer_counts(self, counts: dict[int, int], *, at: datetime) -> list[int]:
        """Store how many people watch each stream (stream id -> people) as counted at `at`:
        on the stream, and as a ViewerSample; only for those still live (one that went
        offline meanwhile keeps its 0). Tells the pages' cache when a count they show
        changed. The one way viewer counts are written (the viewer-count pass); returns the
        ids of the streams stored."""
        with transaction.atomic():
            # Locked as set_live locks them: a stream cannot go offline half-way through.
            streams = list(
                self.filter(pk__in=counts, is_live=True)
                .select_for_update()
                .only("pk", "viewer_count")
                .order_by("pk")
            )
            changed = [stream for stream in streams if stream.viewer_count != counts[stream.pk]]
            for stream in changed:
                stream.viewer_count = counts[stream.pk]
            # Most counts stay the same from one pass to the next: one statement for every
            # stream's time, and a CASE per stream only for the counts that changed.
            self.model.objects.filter(pk__in=[stream.pk for stream in streams]).update(
                viewers_counted_at=at
            )
            self.model.objects.bulk_update(changed, ["viewer_count"])
            ViewerSample.objects.bulk_create(
                ViewerSample(stream_id=stream.pk, at=at, viewers=stream.viewer_count)
                for stream in streams
            )
        if changed:
            page_cache.streams_changed()
        return [stream.pk for stream in streams]


# Sent after a live status change is committed, with `stream_ids`, `live`, `at` and `cause`:
# what other apps (past broadcasts) hear of streams going live and offline. A stream that
# the encoder ended ("ingress_ended") or the site ended ("ended") is over; one whose room
# closed ("room_finished") or that the reconciliation found gone ("reconcile") may be back
# in a moment (a LiveKit restart).
live_changed = Signal()


SLOW_MODE_CHOICES = [
    (0, "Off"),
    (3, "3 seconds"),
    (5, "5 seconds"),
    (10, "10 seconds"),
    (30, "30 seconds"),
    (60, "1 minute"),
    (120, "2 minutes"),
]
FOLLOWERS_ONLY_CHOICES = [
    (0, "Any follower"),
    (10, "Followers of 10 minutes"),
    (60, "Followers of 1 hour"),
    (60 * 24, "Followers of 1 day"),
    (60 * 24 * 7, "Followers of 1 week"),
    (60 * 24 * 30, "Followers of 1 month"),
]


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
    slow_mode_seconds = models.PositiveSmallIntegerField(
        "slow mode", choices=SLOW_MODE_CHOICES, default=0
    )
    # None: anyone may chat; 0: any follower; n: followers of at least n minutes.
    followers_only_minutes = models.PositiveIntegerField(
        "followers-only chat", choices=FOLLOWERS_ONLY_CHOICES, null=True, blank=True
    )
    is_chat_signed_in_only = models.BooleanField("only signed-in viewers chat", default=False)
    live_changed_at = models.DateTimeField(null=True, blank=True)
    # When the stream last went live (streams.live_status sets it): a channel that never
    # did is not recommended.
    last_live_at = models.DateTimeField(null=True, blank=True)
    # People watching (not tabs, not the stream itself or the recorder), as the viewer-count
    # pass last counted them in LiveKit (streams.viewer_counts); 0 while offline. Pages sort
    # and show by it and never ask LiveKit themselves.
    viewer_count = models.PositiveIntegerField(default=0)
    viewers_counted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StreamQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["is_live", "updated_at"], name="streams_live_updated")]

    def __str__(self) -> str:
        return self.title


class ViewerSample(models.Model):
    """How many people watched a live stream at one moment: one row per live stream per pass
    of the viewer-count pass, kept for the creator's statistics over time."""

    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="viewer_samples")
    at = models.DateTimeField()
    viewers = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["stream", "at"], name="streams_viewersample_at")]

    def __str__(self) -> str:
        return f"{self.viewers} at {self.at:%Y-%m-%d %H:%M:%S}"


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
        indexes = [
            models.Index(fields=["-received_at"], name="streams_webhook_received"),
            # An ingress's starts and ends over time (streams.health counts reconnects).
            models.Index(fields=["ingress_id", "created_at"], name="streams_webhook_ingress"),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.event_id}"


class ChatMessageQuerySet(models.QuerySet):
    def shown(self) -> ChatMessageQuerySet:
        """The messages anyone may read: not hidden by the host, a moderator or an operator.
        What the live chat's history and a past broadcast's chat replay show."""
        return self.filter(is_deleted=False)

    def hide(self) -> int:
        """Hide these messages for everyone (the rows stay, is_deleted set) and tell the
        pages' cache; returns how many were hidden now. The one way messages are hidden."""
        shown = self.shown()
        stream_ids = set(shown.values_list("stream_id", flat=True))
        hidden = shown.update(is_deleted=True) if stream_ids else 0
        for stream_id in stream_ids if hidden else ():
            page_cache.chat_changed(stream_id)
        return hidden


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
    # "host" or "moderator" when the author was one at the time: their badge in chat.
    author_badge = models.CharField(max_length=10, blank=True)
    # A guest's network (streams.client_address): what a ban of the guest also bans for a while.
    # Not kept for signed-in authors, whose account is what a ban holds on to.
    guest_network = models.CharField(max_length=64, blank=True)
    # The message this one answers (streams.chat.reply_json shows it shortened); a parent
    # that is hidden later stays referenced and shows as deleted.
    reply_to = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replies"
    )

    objects = ChatMessageQuerySet.as_manager()

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
        return rooms.person_named(self.user_id, self.guest_identity)


class ModeratorQuerySet(models.QuerySet):
    def role_of(self, host, user) -> str:
        """The role of `user` in `host`'s chat: Moderator.HOST, Moderator.MODERATOR, or ""
        for everyone else (guests included)."""
        if user is None or not user.is_authenticated:
            return ""
        if user.pk == host.pk:
            return Moderator.HOST
        if settings.CACHE_IS_SHARED:  # every page and chat message of a signed-in viewer asks
            ids = page_cache.moderators(host.pk, lambda: self._user_ids(host))
            return Moderator.MODERATOR if user.pk in ids else ""
        return Moderator.MODERATOR if self.filter(host=host, user=user).exists() else ""

    def _user_ids(self, host) -> frozenset:
        return frozenset(self.filter(host=host).values_list("user_id", flat=True))

    def person_ids(self, host) -> list[str]:
        """The moderators of `host`'s chat, as streams.rooms names people."""
        return [str(pk) for pk in self.filter(host=host).values_list("user_id", flat=True)]


class Moderator(models.Model):
    """`user` moderates `host`'s chat (streams.moderation says what that allows)."""

    # The roles in a chat (ModeratorQuerySet.role_of); everyone else has none ("").
    HOST = "host"
    MODERATOR = "moderator"

    host = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="moderators"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="moderating"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ModeratorQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["host", "user"], name="streams_moderator_unique"),
            models.CheckConstraint(
                condition=~models.Q(host=models.F("user")), name="streams_moderator_not_host"
            ),
        ]
        indexes = [models.Index(fields=["user", "host"], name="streams_moderator_user")]

    def __str__(self) -> str:
        return f"{self.user} moderates {self.host}"


class ChatBanQuerySet(models.QuerySet):
    def active(self) -> ChatBanQuerySet:
        now = timezone.now()
        return self.filter(
            models.Q(expires_at__isnull=True)
            | models.Q(expires_at__gt=now)
            | models.Q(network_expires_at__gt=now)
        )

    def in_force_rows(self, host) -> tuple:
        """(kind, user_id, guest_identity, network, expires_at, network_expires_at) of
        `host`'s bans and timeouts in force now on a person or a network: what
        moderation checks a chat message against when they are kept in the cache."""
        now = timezone.now()
        in_force = (
            models.Q(expires_at__isnull=True)
            | models.Q(expires_at__gt=now)
            | models.Q(network_expires_at__gt=now)
        )
        fields = ["kind", "user_id", "guest_identity", "network", "expires_at"]
        return tuple(self.filter(in_force, host=host).values_list(*fields, "network_expires_at"))

    def holding(self, host, *, user=None, guest_identity: str = "", network: str = ""):
        """The bans and timeouts in `host`'s chat that hold on a sender: on the signed-in
        `user`, or on a guest by `guest_identity` or by the `network` they chat from."""
        now = timezone.now()
        current = models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        holds = models.Q(pk__in=[])
        if user is not None:
            holds |= models.Q(user=user) & current
        if guest_identity:
            holds |= models.Q(guest_identity=guest_identity) & current
        if network:
            holds |= models.Q(network=network, network_expires_at__gt=now)
        return self.filter(holds, host=host)


class ChatBan(models.Model):
    """Someone kept out of `host`'s chat: for a while (a timeout) or until lifted (a ban).

    It holds on a signed-in user or on a guest identity. A signed-in user's ban goes with
    the host blocking them (the block keeps them out; this row says it was a ban from the
    chat, which the host and moderators see and lift on the Moderation page). For a guest
    it also holds, until `network_expires_at`, on the network they chatted from, so that a
    new browser session is no way around it; only for a while, since others may share that
    network, and only on guests.

    A person has at most one timeout and one ban per chat: a new timeout replaces the
    last one (its row is updated), as on Twitch, so what the moderator is told and what
    the chatter is refused agree.
    """

    class Kind(models.TextChoices):
        TIMEOUT = "timeout", "Timeout"
        BAN = "ban", "Ban"

    host = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_bans"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="chat_bans_received",
    )
    guest_identity = models.CharField(max_length=64, blank=True)
    name = models.CharField("who", max_length=40, help_text="Their name when it was made.")
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: until lifted.")
    network = models.CharField(max_length=64, blank=True)
    network_expires_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ChatBanQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["host", "user"], name="streams_chatban_user"),
            models.Index(fields=["host", "guest_identity"], name="streams_chatban_guest"),
            models.Index(fields=["host", "network"], name="streams_chatban_network"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(user__isnull=False, guest_identity="", network="")
                    | models.Q(user__isnull=True) & ~models.Q(guest_identity="")
                ),
                name="streams_chatban_user_or_guest",
            ),
            models.UniqueConstraint(
                fields=["host", "user", "kind"],
                condition=models.Q(user__isnull=False),
                name="streams_chatban_one_per_user",
            ),
            models.UniqueConstraint(
                fields=["host", "guest_identity", "kind"],
                condition=models.Q(user__isnull=True),
                name="streams_chatban_one_per_guest",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.name} in {self.host}'s chat"

    @property
    def person(self) -> str:
        return rooms.person_named(self.user_id, self.guest_identity)


class ModerationAction(models.Model):
    """The moderation log: who did what to whom in which chat, and when."""

    class Action(models.TextChoices):
        DELETE = "delete", "Deleted a message"
        TIMEOUT = "timeout", "Timed out"
        BAN = "ban", "Banned"
        LIFT = "lift", "Lifted a timeout or ban"
        MODERATOR_ADD = "mod_add", "Made moderator"
        MODERATOR_REMOVE = "mod_remove", "Removed as moderator"
        BLOCK = "block", "Blocked"
        UNBLOCK = "unblock", "Unblocked"

    host = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="moderation_log"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_name = models.CharField(max_length=40)
    action = models.CharField(max_length=12, choices=Action.choices)
    target_name = models.CharField(max_length=40)
    target_person = models.CharField(max_length=64, blank=True)
    detail = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["host", "-created_at"], name="streams_modlog_host")]

    def __str__(self) -> str:
        return f"{self.actor_name}: {self.get_action_display()} {self.target_name}"
