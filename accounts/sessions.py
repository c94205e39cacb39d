"""Sessions in the database and the shared cache (Django's cached_db engine, the one settings
pick when every server process shares the cache), read from the cache through `reader`: a
page that knows it will read the session reads it ahead with other entries, in one round
trip (streams.page_cache.preload, set up in streams.apps). Stored as cached_db stores them,
under the same keys: sessions made by either engine are read by the other."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.sessions.backends import cached_db

# How a session is read from the default cache, and told it is being written: cache.get, or
# (set by the streams app) a reader that may hold what a page read ahead.
reader: Callable | None = None
forget: Callable = lambda *keys: None  # noqa: E731


class SessionStore(cached_db.SessionStore):
    def load(self):
        if reader is None or settings.SESSION_CACHE_ALIAS != "default":
            return super().load()
        try:
            data = reader(self.cache_key)
        except Exception:  # as cached_db: an invalid key is no session
            data = None
        if data is None:
            session = self._get_session_from_db()
            if not session:
                return {}
            data = self.decode(session.session_data)
            self._cache.set(self.cache_key, data, self.get_expiry_age(expiry=session.expire_date))
        return data

    def save(self, must_create=False):
        if self.session_key is not None:
            forget(self.cache_key)
        super().save(must_create)

    def delete(self, session_key=None):
        key = session_key or self.session_key
        if key is not None:
            forget(self.cache_key_prefix + key)
        super().delete(session_key)


def cache_key(session) -> str | None:
    """The key a request's `session` is read under from the default cache through `reader`,
    when there is one (this engine, a session cookie): a page may read it ahead."""
    if not isinstance(session, SessionStore) or session.session_key is None:
        return None
    if reader is None or settings.SESSION_CACHE_ALIAS != "default":
        return None
    return session.cache_key
