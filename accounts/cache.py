"""Signed-in users as every request reads them, kept in the shared cache.

Every request of a signed-in viewer reads their session and their user. With a cache that
every server process shares (settings.CACHE_IS_SHARED: Redis, Memcached), sessions live in it
as well as in the database (accounts.sessions, Django's cached_db engine: a log-out deletes
both at once), and the user is kept there too (accounts.backends), so neither costs a query.
The user is dropped beside every write to it: any save or deletion (accounts.signals), and the
few updates that bypass save() call `user_changed` themselves. A password change is a save, so
a session made with the old password stops at once. USER_TTL bounds the rest (a write in a
shell).

With a cache each process keeps for itself (local memory) nothing is kept: another process
could go on reading a user who logged out or was deactivated.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

USER_TTL = 600  # seconds
T = TypeVar("T")


# How the user is read from the cache, and told it is being written: cache.get, or (set by
# the streams app) a reader that may hold what a page read ahead (a page may read `key`
# ahead with other entries in one round trip).
reader: Callable = lambda key: cache.get(key)  # noqa: E731
forget: Callable = lambda *keys: None  # noqa: E731


def key(user_id) -> str:
    """The cache key of the kept user."""
    return _key(user_id)


def _key(user_id) -> str:
    return f"accounts:user:{user_id}"


# Not kept: secrets and addresses. A kept user reads them from the database if asked (Django
# loads a deferred field when it is first read): a password change form, the email settings.
NOT_KEPT = ("password", "email")


def cached_user(user_id, load: Callable[[], T | None]) -> T | None:
    """The user `load()` reads, from the shared cache when there is one (None not kept)."""
    if not settings.CACHE_IS_SHARED:
        return load()
    user = reader(_key(user_id))
    if user is None and (user := load()) is not None:
        cache.set(_key(user_id), _kept(user), USER_TTL)
    return user


def _kept(user):
    """A copy of `user` without NOT_KEPT, with the HMACs of its password that sessions are
    checked against (User._get_session_auth_hash), for the current and the fallback keys."""
    kept = copy.copy(user)
    kept._state = copy.copy(user._state)
    secrets = [None, *settings.SECRET_KEY_FALLBACKS]
    kept._kept_session_hashes = {s: user._get_session_auth_hash(secret=s) for s in secrets}
    for name in NOT_KEPT:
        kept.__dict__.pop(name, None)
    return kept


def user_changed(user_id) -> None:
    """Drop the kept user, now and (inside a transaction) once it commits: a request between
    the two could keep the row as it was before."""
    if not settings.CACHE_IS_SHARED:
        return
    forget(_key(user_id))
    cache.delete(_key(user_id))
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: cache.delete(_key(user_id)))
