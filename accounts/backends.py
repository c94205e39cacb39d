"""The authentication backends: Django's and allauth's, reading a session's user from the
shared cache (accounts.cache) instead of the database on every request."""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend

from accounts.cache import cached_user


class CachedUserMixin:
    def get_user(self, user_id):
        user = cached_user(user_id, lambda: super(CachedUserMixin, self).get_user(user_id))
        # Kept users are active ones; a deactivation is a save, which drops the kept copy.
        return user if self.user_can_authenticate(user) else None


class ModelBackend(CachedUserMixin, DjangoModelBackend):
    pass


class AuthenticationBackend(CachedUserMixin, AllauthBackend):
    pass
