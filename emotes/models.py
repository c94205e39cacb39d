"""Emotes: an image chat shows in place of a word (its code). A channel's own emotes work in
its chat only; global emotes (no channel), drawn by the site itself (emotes/drawing.py), work
in every chat. Each image is stored at the three sizes chat shows it: 28, 56 and 112 pixels."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from accounts.images import DisplayImageField, image_path

MAX_PER_CHANNEL = 50
IMAGE_MAX_BYTES = 1024 * 1024
SIZES = (28, 56, 112)

code_validator = RegexValidator(
    r"^[A-Za-z0-9]{3,25}\Z",
    "Emote codes are 3 to 25 letters and digits (no spaces or symbols).",
    code="invalid_emote_code",
)


def upload_to_112(emote: Emote, filename: str) -> str:
    return image_path("emotes/112", emote.channel_id or "global")


def upload_to_56(emote: Emote, filename: str) -> str:
    return image_path("emotes/56", emote.channel_id or "global")


def upload_to_28(emote: Emote, filename: str) -> str:
    return image_path("emotes/28", emote.channel_id or "global")


class EmoteQuerySet(models.QuerySet):
    def usable_in(self, channel_id) -> EmoteQuerySet:
        """The channel's own emotes and the global ones."""
        return self.filter(Q(channel_id=channel_id) | Q(channel__isnull=True))


class Emote(models.Model):
    channel = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="emotes",
        help_text="Empty for a global emote, usable in every chat.",
    )
    # Case-sensitive, as on Twitch: "Kappa" and "kappa" are two emotes.
    code = models.CharField(max_length=25, validators=[code_validator])
    image = DisplayImageField(upload_to=upload_to_112, size=(112, 112))
    image_56 = DisplayImageField(upload_to=upload_to_56, size=(56, 56))
    image_28 = DisplayImageField(upload_to=upload_to_28, size=(28, 28))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EmoteQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "code"],
                name="emotes_emote_channel_code_unique",
                violation_error_message="This channel already has an emote with this code.",
            ),
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(channel__isnull=True),
                name="emotes_emote_global_code_unique",
                violation_error_message="A global emote with this code already exists.",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def as_json(self) -> dict:
        """How the channel page's script shows it: 28 px, and twice that for sharp screens."""
        return {"url": self.image_28.url, "url2x": self.image_56.url}
