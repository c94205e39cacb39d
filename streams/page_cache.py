"""What the browse and channel pages keep in Django's cache, and how a change reaches them.

Kept: guest pages (home and channel pages as every guest gets them), fragments (the home
feed's cards and the sidebar, for signed-in viewers too), hosts as selectors.find_host
returns them, and follower counts. A key names everything its entry shows, so a change
makes new keys rather than deleting old entries:

- the *streams version*: one token for everything shown about streams and their people
  (live state, title, thumbnail, username, avatar, active or not). Saving a Stream or a
  User (streams.signals) and every live-status update (Stream.objects.set_live) replace
  it, so nothing rendered before is read again.
- a channel's follower count is kept apart, dropped whenever someone follows or unfollows
  the host (streams.signals), so a follow does not make every page stale.
- a channel's chat history, as its page first shows it, is kept apart too, dropped whenever
  a message is saved or deleted (streams.signals) or hidden (ChatMessage.objects.hide). With
  a cache each process keeps for itself, another process may show a message for FRAGMENT_TTL
  after it was deleted (or not yet show a new one); the page's script then asks the chat
  API, which is exact (its answer is kept under the ids of the messages it holds, which it
  reads every time), as soon as it joins the room, and drops or adds what differs.
- the viewer's ties (selectors.ties_of: whom they follow, who blocked them, whom they
  blocked), read from the database on every request: a viewer's own follows and blocks,
  and a host blocking them, show on their next page load whatever cache is configured.

FRAGMENT_TTL bounds how long an entry is used anyway: it is the safety net for writes no
hook sees (a bulk update in a shell) and, with a cache each process keeps for itself (local
memory under several gunicorn workers), how long another process shows the old live state.
Share one cache (CACHE_URL=redis://...) and changes show at once everywhere.

Nothing kept holds a CSRF token, a flash message or anything else meant for one viewer:
a guest page has holes where each request puts its own CSRF token (and the channel's chat
history, kept on its own as above), and is used only while no flash message waits. The home
and channel pages have no token for guests at all, so that a proxy may share them too
(streams/public_cache.py).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from functools import cache as once
from functools import cached_property
from typing import TypeVar

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token

FRAGMENT_TTL = 5  # seconds
STREAMS_VERSION_KEY = "pages:streams-version"

T = TypeVar("T")


def streams_version() -> str:
    version = cache.get(STREAMS_VERSION_KEY)
    if version is None:
        # Another process may be setting one at the same moment: the first one stays.
        cache.add(STREAMS_VERSION_KEY, secrets.token_hex(8), timeout=None)
        version = cache.get(STREAMS_VERSION_KEY, "uncached")
    return version


def streams_changed() -> None:
    """Something the fragments show about streams changed: none rendered before is used.

    Inside a transaction the version changes again once it commits, since a page rendered
    in between, from the data as it was before, would be cached under the new version.
    """
    _now_and_on_commit(_new_streams_version)


def _new_streams_version() -> None:
    cache.set(STREAMS_VERSION_KEY, secrets.token_hex(8), timeout=None)


def _now_and_on_commit(change: Callable[[], None]) -> None:
    change()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(change)


def cached(name: str, compute: Callable[[], T | None]) -> T | None:
    """What `compute()` returns, kept under the streams version for FRAGMENT_TTL (None is
    not kept: an unknown name is looked up every time)."""
    return _kept(f"pages:{streams_version()}:{name}", compute)


def _kept(key: str, compute: Callable[[], T | None]) -> T | None:
    """The value cached under `key`, or `compute()`'s, then kept for FRAGMENT_TTL."""
    value = cache.get(key)
    if value is None and (value := compute()) is not None:
        cache.set(key, value, FRAGMENT_TTL)
    return value


def for_guests(request: HttpRequest) -> bool:
    """Whether the request gets the page every guest gets: not signed in, and no flash
    message waiting for this browser."""
    return not request.user.is_authenticated and not get_messages(request)


@once
def hole(name: str) -> str:
    """A marker put in a guest page where each request fills in its own part. The same in
    every process sharing the cache, and impossible to guess, so that no user can write it
    into a title or a chat message."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:page-hole:{name}".encode()).hexdigest()


def guest_page(
    request: HttpRequest,
    name: str,
    render: Callable[[dict], str],
    fill: dict[str, str] | None = None,
) -> HttpResponse:
    """The page `name` as every guest gets it, cached under the streams version, with this
    guest's CSRF token and the `fill` values put in its holes.

    `render(extra)` renders the page with `extra` added to its context: `csrf_token` is a
    hole there, so the cached page holds nobody's token.
    """
    key = f"pages:{streams_version()}:guest:{hashlib.sha256(name.encode()).hexdigest()}"
    html = cache.get(key)
    if html is None:
        html = render({"csrf_token": hole("csrf")})
        cache.set(key, html, FRAGMENT_TTL)
    if hole("csrf") in html:
        html = html.replace(hole("csrf"), get_token(request))
    for marker, value in (fill or {}).items():
        html = html.replace(marker, value)
    return HttpResponse(html)


def follower_count(host_id, count: Callable[[], int]) -> int:
    """A channel's follower count, kept for FRAGMENT_TTL; any follow or unfollow of the host
    drops it (`followers_changed`)."""
    return _kept(f"pages:followers:{host_id}", count)


def chat_history(stream_id, history: Callable[[], str]) -> str:
    """A channel's chat history as its page shows it (HTML), kept for FRAGMENT_TTL; any
    message saved or deleted drops it (`chat_changed`)."""
    return _kept(f"pages:chat:{stream_id}", history)


def chat_api_history(stream_id, ids: list, build: Callable[[], list[dict]]) -> list[dict]:
    """The chat API's history of a channel, kept for FRAGMENT_TTL under the ids of the
    messages it holds (and anything else their JSON shows that may change, such as a reply's
    parent being deleted), which the caller has just read: exact in every process, no hook."""
    digest = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:32]
    return _kept(f"pages:chat-api:{stream_id}:{digest}", build)


def chat_changed(stream_id) -> None:
    _now_and_on_commit(lambda: cache.delete(f"pages:chat:{stream_id}"))


def followers_changed(host_id) -> None:
    _now_and_on_commit(lambda: cache.delete(f"pages:followers:{host_id}"))


class FragmentKeys:
    """The keys of the fragments one request may take from the cache; templates see it as
    `page_cache` (`{% cache page_cache.ttl sidebar page_cache.sidebar %}`). Nothing is read
    until a template asks."""

    ttl = FRAGMENT_TTL

    def __init__(self, ties) -> None:
        self._ties = ties  # selectors.Ties, or a lazy object that reads it when first used

    @cached_property
    def version(self) -> str:
        return streams_version()

    @cached_property
    def sidebar(self) -> str:
        """Following and Recommended: one per viewer and their follows and blocks."""
        return f"{self.version}:{self._ties.digest}"

    @cached_property
    def feed(self) -> str:
        """The home feed: one per signed-in viewer (it leaves out their own channel and
        blocks either way), one for every guest."""
        return f"{self.version}:{self._ties.digest}"
