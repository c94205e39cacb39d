"""Each signed-in user's count of unread notifications (the bell on every page), kept in the
cache only when every server process shares it (settings.CACHE_IS_SHARED), and dropped beside
every write that changes it: notifications made in bulk or marked read (the writer calls
`changed`), or saved one at a time or deleted (cascades too: social.signals). With a cache
per process the count is read from the database every time."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

TTL = 600  # seconds; the safety net for a write no hook sees

# How the count is read from the cache, and told it is being written: cache.get, or (set by
# the streams app) a reader that may hold what a page read ahead with other entries.
reader: Callable = lambda key: cache.get(key)  # noqa: E731
forget: Callable = lambda *keys: None  # noqa: E731


def key(user_id) -> str:
    """The cache key of the user's count (a page may read it ahead: streamsite.cache)."""
    return _key(user_id)


def _key(user_id) -> str:
    return f"social:unread:{user_id}"


def unread_count(user_id, count: Callable[[], int]) -> int:
    if not settings.CACHE_IS_SHARED:
        return count()
    value = reader(_key(user_id))
    if value is None:
        value = count()
        cache.set(_key(user_id), value, TTL)
    return value


def changed(user_ids: Iterable) -> None:
    """These users' notifications were made, read or deleted: drop their counts now and,
    inside a transaction, once it commits."""
    if not settings.CACHE_IS_SHARED:
        return
    keys = [_key(user_id) for user_id in set(user_ids)]
    if not keys:
        return
    forget(*keys)
    cache.delete_many(keys)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: cache.delete_many(keys))
