"""What the browse and channel pages keep in Django's cache, and how a change reaches them.

Kept: guest pages (home and channel pages as every guest gets them), the home and channel
pages as every signed-in viewer (but the channel's host) gets them (`viewer_page`),
fragments (the home feed's cards and the sidebar, for signed-in viewers too), hosts as
selectors.find_host returns them, and follower counts. A key names everything its entry
shows, so a change makes new keys rather than deleting old entries:

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
  reads every time), as soon as it joins the room, and drops or adds what differs. With a
  cache every process shares, the API's answer is kept under a per-channel chat version
  that the same changes replace, so it reads no ids.
- the viewer's ties (selectors.ties_of: whom they follow, who blocked them, whom they
  blocked), read from the database on every request, or kept in the cache only when every
  process shares it (settings.CACHE_IS_SHARED) and dropped beside every follow and block
  saved or deleted (`ties_changed`): a viewer's own follows and blocks, and a host
  blocking them, show on their next page load whatever cache is configured.

FRAGMENT_TTL bounds how long an entry is used anyway: it is the safety net for writes no
hook sees (a bulk update in a shell) and, with a cache each process keeps for itself (local
memory under several gunicorn workers), how long another process shows the old live state.
Share one cache (CACHE_URL=redis://...) and changes show at once everywhere.

Nothing kept holds a CSRF token, a flash message or anything else meant for one viewer:
a guest page has holes where each request puts its own CSRF token (and the channel's chat
history, kept on its own as above), and is used only while no flash message waits. The home
and channel pages have no token for guests at all, so that a proxy may share them too
(streams/public_cache.py). The signed-in pages have more holes, filled from small templates
on every request: the header's account links and bell, the sidebar, the CSRF token, and for
a channel the Follow and Block controls, the page's data for its script and the chat history
with the viewer's own mentions marked, for the home page its feed.

With a shared cache a request may read the entries it needs ahead, several in one round trip
(`preload`; `preload_learned` for what the last request for the same page read): the chat
POST, the chat history API and the signed-in pages do. A signed-in home or channel page reads
the cache in two round trips once the page was seen: the viewer's session (accounts.sessions),
the streams version, the channel's entries and the fragments the last page read (the sidebar,
the feed: `fragment`), then the viewer's user, ties and bell count with the entries kept under
the version (the host, the page as every signed-in viewer gets it). The sidebar is kept once per
list of people it shows (selectors.sidebar_of), so that viewers who follow the same channels
share it, e.g. a raid's newcomers; the home feed once per set of channels it leaves out.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
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
from django.utils.safestring import mark_safe

FRAGMENT_TTL = 5  # seconds
STREAMS_VERSION_KEY = "pages:streams-version"

T = TypeVar("T")


# The streams version as a request first read it: a page reads it for each fragment, and
# with a shared cache each read is a round trip. Kept from the start to the end of a request
# (streams.signals), dropped at once by a change the request itself makes.
_request = threading.local()


def request_started() -> None:
    _reset(active=True)


def request_finished() -> None:
    _reset(active=False)


def _reset(active: bool) -> None:
    _request.active, _request.version = active, None
    _request.chat_answer_keys = {}
    _request.names, _request.keys = [], []
    _request.preloaded = {}


# Entries a request read ahead in one round trip (`preload`), each used once by the first
# reader of its key (`_get`) and dropped by any write to it (`_forget`): a view that knows the
# keys it will read pays one round trip for them rather than one each. Emptied at the start
# and end of every request. (social.unread reads the bell's count through them too: set up
# in streams.apps.)
def preload(keys: list[str]) -> None:
    """Read `keys` from the cache in one round trip for this request's next readers."""
    if not getattr(_request, "active", False) or not keys:
        return
    found = cache.get_many(keys)
    _request.preloaded.update({key: found.get(key) for key in keys})


def _get(key: str):
    """cache.get(key), or the entry preloaded for it (once)."""
    preloaded = getattr(_request, "preloaded", None)
    if preloaded and key in preloaded:
        return preloaded.pop(key)
    return cache.get(key)


def _forget(*keys: str) -> None:
    """These keys are being written: a preloaded entry of theirs is no longer true."""
    preloaded = getattr(_request, "preloaded", None)
    for key in keys if preloaded else ():
        preloaded.pop(key, None)


def missing(key: str) -> bool:
    """Whether `key` was read ahead and found in no entry (then still unread by anyone)."""
    preloaded = getattr(_request, "preloaded", None)
    return bool(preloaded) and key in preloaded and preloaded[key] is None


def provide(entries: dict, ttl: int) -> None:
    """Keep each of `entries` (key: value) for `ttl` seconds, in one round trip, and give it
    to this request's next reader of its key (`_get`): entries read ahead and missing, filled
    together in one query."""
    cache.set_many(entries, ttl)
    if getattr(_request, "active", False):
        _request.preloaded.update(entries)


# For readers in other apps (social.unread, set up in streams.apps).
read, forget = _get, _forget


class ProcessMemo(dict):
    """What this process keeps between requests (hints, rendered pieces that never go stale),
    at most `size` entries: emptied when full, which costs the next requests a lookup or a
    render each, never a wrong answer."""

    def __init__(self, size: int = 10_000) -> None:
        super().__init__()
        self.size = size

    def __setitem__(self, key, value) -> None:
        if key not in self and len(self) >= self.size:
            self.clear()
        super().__setitem__(key, value)


# What the last page of each kind read, in this process (`learn`): the next request for it
# reads the same entries ahead in two round trips (`preload_learned`). Only a hint: an entry
# the page no longer reads costs a slot in the read, one it newly reads its own round trip.
_learned = ProcessMemo()


def _note_name(name: str) -> None:
    if getattr(_request, "active", False):
        _request.names.append(name)


def _learned_get(key: str):
    """_get for an entry about a host (not a viewer), noted for `learn`."""
    if getattr(_request, "active", False):
        _request.keys.append(key)
    return _get(key)


def learn(page: str) -> None:
    """Note what this request read under `page` (e.g. a channel page by username)."""
    if not getattr(_request, "active", False):
        return
    _learned[page] = (tuple(dict.fromkeys(_request.names)), tuple(dict.fromkeys(_request.keys)))


def preload_learned(
    page: str, keys: list[str], then: Callable[[], list[str]] | None = None
) -> None:
    """Read ahead, in two round trips, `keys` and what the last request for `page` read: the
    streams version and the host's entries, then the entries kept under the version, with the
    keys `then()` answers once the first are read (the viewer's own entries, known from
    their session)."""
    names, host_keys = _learned.get(page, ((), ()))
    preload([STREAMS_VERSION_KEY, *host_keys, *keys])
    later = then() if then is not None else []
    if names or later:
        preload([*later, *(cached_key(name) for name in names)])


# The streams version this process read last: a guess that lets a request read the entries
# kept under the version in the same round trip as the version itself (`preload_hinted`). A
# wrong guess costs the round trip it would have saved, never a wrong answer.
_last_version: str | None = None


def preload_hinted(
    names: list[str], keys: list[str], then: Callable[[], list[str]] | None = None
) -> None:
    """Read ahead the streams version, `keys`, and what `cached(name)` keeps under the
    version for each of `names`, in one round trip while the version is the one this
    process read last; then, in a second one, `then()`'s keys (known once the first are
    read, e.g. the viewer's own from their session) and, had the version moved, the entries
    under the new one."""
    if not getattr(_request, "active", False):
        return
    hint = _last_version
    hinted = [f"pages:{hint}:{name}" for name in names] if hint is not None else []
    preload([STREAMS_VERSION_KEY, *keys, *hinted])
    later = then() if then is not None else []
    if streams_version() != hint:
        later += [cached_key(name) for name in names]
    preload(later)


def streams_version() -> str:
    global _last_version
    if getattr(_request, "active", False) and _request.version is not None:
        return _request.version
    version = _get(STREAMS_VERSION_KEY)
    if version is None:
        # Another process may be setting one at the same moment: the first one stays.
        cache.add(STREAMS_VERSION_KEY, secrets.token_hex(8), timeout=None)
        version = cache.get(STREAMS_VERSION_KEY, "uncached")
    if getattr(_request, "active", False):
        _request.version = version
    _last_version = version
    return version


def streams_changed() -> None:
    """Something the fragments show about streams changed: none rendered before is used.

    Inside a transaction the version changes again once it commits, since a page rendered
    in between, from the data as it was before, would be cached under the new version.
    """
    _now_and_on_commit(_new_streams_version)


def _new_streams_version() -> None:
    _request.version = None
    _forget(STREAMS_VERSION_KEY)
    cache.set(STREAMS_VERSION_KEY, secrets.token_hex(8), timeout=None)


def _now_and_on_commit(change: Callable[[], None]) -> None:
    change()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(change)


def cached(name: str, compute: Callable[[], T | None]) -> T | None:
    """What `compute()` returns, kept under the streams version for FRAGMENT_TTL (None is
    not kept: an unknown name is looked up every time)."""
    _note_name(name)
    return _kept(cached_key(name), compute)


def _kept(
    key: str, compute: Callable[[], T | None], read=_get, ttl: int = FRAGMENT_TTL
) -> T | None:
    """The value cached under `key`, or `compute()`'s, then kept for `ttl` seconds."""
    value = read(key)
    if value is None and (value := compute()) is not None:
        cache.set(key, value, ttl)
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


def viewer_page(
    request: HttpRequest,
    name: str,
    render: Callable[[dict], str],
    fill: Callable[[], dict[str, str]],
) -> HttpResponse:
    """The page `name` as every signed-in viewer gets it, cached under the streams version,
    with what is this viewer's own put in its holes: `render(extra)` renders the page with
    `extra` added to its context, where the CSRF token and each of `fill()`'s keys (the
    context variables the templates show as they are, e.g. `account_nav_html`) are holes;
    `fill()` answers this request's HTML for each. The page must show nothing else of the
    viewer's (the caller uses it only for viewers it looks the same for), and is used only
    while no flash message waits for them."""
    extra = {"csrf_token": hole("csrf")}
    filled = fill()
    extra |= {variable: mark_safe(hole(variable)) for variable in filled}
    # Read through `cached_key`, so that the next request for the page may read it ahead.
    page = f"viewer:{hashlib.sha256(name.encode()).hexdigest()}"
    _note_name(page)
    key = cached_key(page)
    html = _get(key)
    if html is None:
        html = render(extra)
        cache.set(key, html, FRAGMENT_TTL)
    for variable, value in filled.items():
        html = html.replace(hole(variable), value)
    # Last: a hole's own HTML may hold the CSRF token's hole too (viewer_fragment).
    if hole("csrf") in html:
        html = html.replace(hole("csrf"), get_token(request))
    return HttpResponse(html)


VIEWER_FRAGMENT_TTL = 600  # seconds; what a fragment shows is in its stamp


def viewer_fragment_key(name: str) -> str:
    return f"pages:viewer-fragment:{name}"


def viewer_fragment(name: str, stamp: tuple, render: Callable[[], str]) -> str:
    """A fragment of one viewer's, the same on every page they load (e.g. the header's
    account links), kept with `stamp` (everything it shows that may change): used while the
    stamp is the same, rendered again otherwise. Read through what the page read ahead. It
    may hold the CSRF token only as its hole (`hole("csrf")`, filled by viewer_page): the
    viewer's other browsers have tokens of their own."""
    key = viewer_fragment_key(name)
    kept = _get(key)
    if kept is not None and kept[0] == stamp:
        return kept[1]
    html = render()
    cache.set(key, (stamp, html), VIEWER_FRAGMENT_TTL)
    return html


def fragment(key: str, render: Callable[[], str]) -> str:
    """A template fragment (`{% page_fragment %}`: streams.templatetags.page_fragments) kept
    under `key` for FRAGMENT_TTL, read through what the page read ahead and noted for the
    next request for the same page (`learn`)."""
    return _kept(key, render, _learned_get)


def kept_fragment(key: str) -> str | None:
    """The fragment kept under `key` (as `fragment` keeps it), or None: read as `fragment`
    reads it, for a view that can do without rendering its template when it is kept. A miss
    is noted, so that the template then rendered does not read the cache for it again."""
    value = _learned_get(key)
    if value is None and getattr(_request, "active", False):
        _request.preloaded[key] = None
    return value


def follower_count(host_id, count: Callable[[], int]) -> int:
    """A channel's follower count, kept for FRAGMENT_TTL; any follow or unfollow of the host
    drops it (`followers_changed`)."""
    return _kept(f"pages:followers:{host_id}", count, _learned_get)


def chat_history(stream_id, history: Callable[[], str]) -> str:
    """A channel's chat history as its page shows it (HTML), kept for FRAGMENT_TTL; any
    message saved or deleted drops it (`chat_changed`)."""
    return _kept(f"pages:chat:{stream_id}", history, _learned_get)


def chat_api_history(stream_id, ids: list, build: Callable[[], str]) -> str:
    """The chat API's history of a channel, kept for FRAGMENT_TTL under the ids of the
    messages it holds (and anything else their JSON shows that may change, such as a reply's
    parent being deleted), which the caller has just read: exact in every process, no hook."""
    digest = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:32]
    return _kept(f"pages:chat-api:{stream_id}:{digest}", build)


TIES_TTL = 600  # seconds; the safety net for a write no hook sees


def ties_key(user_id) -> str:
    return f"pages:ties:{user_id}"


def moderators_key(host_id) -> str:
    return f"pages:moderators:{host_id}"


def chat_bans_key(host_id) -> str:
    return f"pages:chat-bans:{host_id}"


def cached_key(name: str) -> str:
    """The key `cached(name, ...)` reads under the current streams version."""
    return f"pages:{streams_version()}:{name}"


def ties(user_id, read: Callable[[], T]) -> T:
    """A signed-in viewer's ties (selectors.ties_of), kept only in a cache every process
    shares: with one per process, another process would show a follow or block late."""
    if not settings.CACHE_IS_SHARED:
        return read()
    return _kept(ties_key(user_id), read, ttl=TIES_TTL)


def ties_changed(*user_ids) -> None:
    """A follow or block between these people was saved or deleted."""
    if settings.CACHE_IS_SHARED:
        keys = [ties_key(user_id) for user_id in user_ids]
        _forget(*keys)
        _now_and_on_commit(lambda: cache.delete_many(keys))


def moderators(host_id, read: Callable[[], frozenset]) -> frozenset:
    """The ids of a host's moderators (Moderator.objects.role_of), kept only in a cache every
    process shares; any moderator saved or deleted drops them (`moderators_changed`)."""
    return _kept(moderators_key(host_id), read, _learned_get, TIES_TTL)


def chat_bans(host_id, read: Callable[[], tuple]) -> tuple:
    """A host's chat bans and timeouts in force (ChatBan.objects.in_force_rows), kept only in
    a cache every process shares; any ban saved or deleted drops them (`chat_bans_changed`).
    Expiry is checked by the reader against the times they hold."""
    return _kept(chat_bans_key(host_id), read, ttl=TIES_TTL)


def chat_bans_changed(host_id) -> None:
    if settings.CACHE_IS_SHARED:
        _forget(chat_bans_key(host_id))
        _now_and_on_commit(lambda: cache.delete(chat_bans_key(host_id)))


def moderators_changed(host_id) -> None:
    if settings.CACHE_IS_SHARED:
        _forget(moderators_key(host_id))
        _now_and_on_commit(lambda: cache.delete(moderators_key(host_id)))


def chat_version_key(stream_id) -> str:
    return f"pages:chat-version:{stream_id}"


def chat_api_answer(stream_id, build: Callable[[], str]) -> str:
    """With a cache every process shares, the chat API's history of a channel (its JSON
    text) kept under the channel's chat version, which every message saved, deleted or
    hidden drops now and once it commits (`chat_changed`), as the streams version is
    replaced: exact in every process without reading which messages there are. (With a
    cache per process the caller reads their ids every time: chat_api_history.)

    A caller that preloaded the chat version (`preload`) has the answer's key read in the
    same round trip as anything else it preloads then (`chat_answer_key`)."""
    return _kept(chat_answer_key(stream_id), build)


def chat_answer_key(stream_id) -> str:
    """The key of the chat API's answer under the channel's chat version (made if none),
    read once per request as the streams version is (dropped by `chat_changed`)."""
    known = getattr(_request, "chat_answer_keys", None)
    if known and stream_id in known:
        return known[stream_id]
    key = chat_version_key(stream_id)
    version = _get(key)
    if version is None:
        cache.add(key, secrets.token_hex(8), timeout=None)
        version = cache.get(key, "uncached")
    answer_key = f"pages:chat-answer:{stream_id}:{version}"
    if getattr(_request, "active", False):
        _request.chat_answer_keys[stream_id] = answer_key
    _chat_answer_hints[stream_id] = answer_key
    return answer_key


# The key of each channel's chat answer as this process last used it: a guess that lets the
# chat API read the answer in the same round trip as the chat version it is kept under. A
# wrong guess (a message since) costs the round trip it would have saved, never a wrong answer.
_chat_answer_hints = ProcessMemo()


def chat_answer_hint(stream_id) -> str | None:
    return _chat_answer_hints.get(stream_id)


def chat_changed(stream_id) -> None:
    # Without its chat version the next reader makes a new one (chat_api_answer).
    keys = [f"pages:chat:{stream_id}", chat_version_key(stream_id)]
    _forget(*keys)
    _now_and_on_commit(lambda: _chat_changed(stream_id, keys))


def _chat_changed(stream_id, keys: list[str]) -> None:
    getattr(_request, "chat_answer_keys", {}).pop(stream_id, None)
    cache.delete_many(keys)


def followers_changed(host_id) -> None:
    _forget(f"pages:followers:{host_id}")
    _now_and_on_commit(lambda: cache.delete(f"pages:followers:{host_id}"))


class FragmentKeys:
    """The keys of the fragments one request may take from the cache; templates see it as
    `page_cache` (`{% page_fragment sidebar page_cache.sidebar %}`). Nothing is read until
    a template asks."""

    ttl = FRAGMENT_TTL

    def __init__(
        self,
        ties,
        sidebar: Callable[[], str] | None = None,
        feed: Callable[[], str] | None = None,
    ) -> None:
        self._ties = ties  # selectors.Ties, or a lazy object that reads it when first used
        # What the sidebar and the home feed show the viewer, as digests (selectors.Sidebar).
        self._sidebar = sidebar or (lambda: self._ties.digest)
        self._feed = feed or (lambda: self._ties.digest)

    @cached_property
    def version(self) -> str:
        return streams_version()

    @cached_property
    def sidebar(self) -> str:
        """Following and Recommended: one per list of people they show, which the viewer's
        follows and blocks make, shared by every viewer they are the same for."""
        return f"{self.version}:{self._sidebar()}"

    @cached_property
    def feed(self) -> str:
        """The home feed: one per channels it leaves out (the viewer's own, blocks either
        way), shared by every signed-in viewer it leaves out the same for; one for guests."""
        return f"{self.version}:{self._feed()}"
