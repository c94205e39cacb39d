from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.functions import Lower

from accounts.images import DisplayImageField, image_path
from accounts.validators import (
    ImageUploadValidator,
    username_format_validator,
    validate_username_not_reserved,
)

AVATAR_MAX_BYTES = 2 * 1024 * 1024
AVATAR_SIZE = (256, 256)


def avatar_upload_to(user: User, filename: str) -> str:
    return image_path("avatars", user.pk)


# `username__lower=...` compares LOWER(username), which the case-insensitive unique index
# below serves; `__iexact` compiles to UPPER() on PostgreSQL and would scan the table.
models.CharField.register_lookup(Lower)


class CaseInsensitiveUserManager(UserManager):
    def get_by_natural_key(self, username: str) -> User:
        # `manage.py createsuperuser`, the admin login and ModelBackend match any casing.
        return self.get(username__lower=username.lower())


class User(AbstractUser):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    username = models.CharField(
        max_length=30,
        unique=True,
        help_text="3 to 30 characters: letters, digits, _ and -.",
        validators=[username_format_validator, validate_username_not_reserved],
        error_messages={"unique": "A user with that username already exists."},
    )
    email = models.EmailField("email address", blank=True)
    bio = models.TextField(max_length=300, blank=True, validators=[MaxLengthValidator(300)])
    avatar = DisplayImageField(
        upload_to=avatar_upload_to,
        size=AVATAR_SIZE,
        crop=True,
        blank=True,
        validators=[ImageUploadValidator(AVATAR_MAX_BYTES)],
    )
    go_live_emails = models.BooleanField(
        "email me when a channel I follow goes live",
        default=False,
        help_text="Off by default; every email has a one-click unsubscribe link.",
    )

    objects = CaseInsensitiveUserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
        ]

    def _get_session_auth_hash(self, secret=None):
        # A user kept in the shared cache (accounts.cache) holds no password hash, but the
        # HMACs of it that a session is checked against, made before it was kept.
        kept = self.__dict__.get("_kept_session_hashes")
        if kept is not None and secret in kept:
            return kept[secret]
        return super()._get_session_auth_hash(secret)

    def __str__(self) -> str:
        return self.username
