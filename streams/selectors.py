"""Reads over streams and the people behind them: the one channel lookup, the home feed,
search and the sidebar. Each runs a fixed number of queries, whatever the number of
streams, follows and blocks."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from social.models import Block, Follow, Notification
from social.selectors import UNREAD_SHOWN
from streams import page_cache
from streams.models import Stream

User = get_user_model()

RECOMMENDED_LIMIT = 10
USERNAME_MAX_LENGTH = User._meta.get_field("username").max_length
FOLLOWING_LIMIT = 50


# Extension points for the apps built on streams, which streams never imports: they add to
# these lists from their AppConfig.ready() (the directory adds its category and tags).
# - CARD_PREFETCHES: prefetch_related() lookups (names or Prefetch objects) for what every
#   list of stream cards shows under a card, so a page's queries stay the same whatever the
#   number of cards (see for_cards).
# - SEARCH_MATCHERS: functions of the search term returning a Q over Stream that also makes
#   a stream match; each must not repeat rows (an Exists rather than a to-many join).
CARD_PREFETCHES: list = []
SEARCH_MATCHERS: list[Callable[[str], Q]] = []


class HiddenHost(Http404):
    """The host has blocked the viewer. Pages answer it like any 404, so a blocked viewer
    cannot tell the channel exists; the JSON APIs answer 403 `blocked` (streams/api)."""


def find_host(viewer, *, ties: Ties | None = None, **lookup):
    """The active host named by `lookup` (`pk=` or `username=`, any case), with its stream:
    the one lookup behind the channel page, the follow views and every stream API.

    Raises Http404 when there is no such active user, and HiddenHost (an Http404) when the
    host has blocked `viewer`.

    The host is read from the cache (streams.page_cache: up to date after any save, at most
    a few seconds old with a cache per process), never with the stream's keys; whether the
    host blocked the viewer is read from the database on every request: here, or from the
    viewer's `ties` when the caller has them.
    """
    host = active_host(**lookup)
    if ties is not None:
        hidden = host.pk in ties.hidden_by
    else:  # nobody hides from guests, nor from themselves: no query then
        hidden = (
            viewer.is_authenticated
            and viewer.pk != host.pk
            and Block.objects.hiding(host, viewer).exists()
        )
    if hidden:
        raise HiddenHost("No such channel.")
    return host


def active_host(**lookup):
    """find_host's host whoever asks (no block rule): from the cache, or Http404."""
    if "username" in lookup:
        lookup["username__lower"] = lookup.pop("username").lower()
        if len(lookup["username__lower"]) > USERNAME_MAX_LENGTH:
            raise Http404("No such channel.")  # and not a cache key that long
    ((field, value),) = lookup.items()
    host = page_cache.cached(f"host:{field}:{value}", lambda: _active_host(**lookup))
    if host is None:
        raise Http404("No such channel.")
    return host


# What find_host's hosts leave out, since they are kept in the cache: secrets and addresses.
NOT_CACHED = ["password", "email", "stream__stream_key", "stream__server_url"]


def _active_host(**lookup):
    return (
        User.objects.select_related("stream")
        .defer(*NOT_CACHED)
        .filter(is_active=True, **lookup)
        .first()
    )


def streamed_streams(viewer) -> QuerySet[Stream]:
    """Channels that are live or have been live, live first (most viewers first), then the
    most recently live; never one with a block either way between host and viewer, nor one
    of an inactive account, nor an account that never streamed (a staff account, a viewer).
    The viewer's own channel is among them."""
    streams = Stream.objects.filter(
        Q(is_live=True) | Q(last_live_at__isnull=False), user__is_active=True
    )
    if viewer.is_authenticated:
        streams = streams.exclude(Exists(Block.objects.between(viewer, OuterRef("user_id"))))
    return streams.select_related("user").order_by(
        "-is_live", "-viewer_count", F("last_live_at").desc(nulls_last=True), "-pk"
    )


def recommended_streams(viewer) -> QuerySet[Stream]:
    """What the site recommends (the home feed, and the sidebar less the people followed):
    the streamed channels but the viewer's own."""
    streams = streamed_streams(viewer)
    if viewer.is_authenticated:
        streams = streams.exclude(user=viewer)
    return streams


def for_cards(streams: QuerySet[Stream]) -> QuerySet[Stream]:
    """`streams` with what their cards show loaded (includes/card_grid.html)."""
    return streams.select_related("user").prefetch_related(*CARD_PREFETCHES)


def feed_for(viewer) -> QuerySet[Stream]:
    """Home page: the recommended streams."""
    return for_cards(recommended_streams(viewer))


def search_streams(viewer, term: str) -> QuerySet[Stream]:
    """Any channel the viewer may see whose title or username matches (or what the apps in
    SEARCH_MATCHERS match: tags, categories), streamed or not."""
    matches = Q(title__icontains=term) | Q(user__username__icontains=term)
    for matcher in SEARCH_MATCHERS:
        matches |= matcher(term)
    return for_cards(
        Stream.objects.visible_to(viewer).filter(matches).filter(user__is_active=True)
    ).live_first()


def following_for(viewer) -> list:
    """Sidebar: the users `viewer` follows who have not blocked them; live first, then the
    most recent follow first. Each user comes with its stream loaded."""
    if not viewer.is_authenticated:
        return []
    follows = (
        Follow.objects.filter(follower=viewer)
        .exclude(Exists(Block.objects.hiding(OuterRef("following_id"), viewer)))
        .select_related("following__stream")
        .order_by("-following__stream__is_live", "-created_at", "-pk")[:FOLLOWING_LIMIT]
    )
    return [follow.following for follow in follows]


def recommended_for(viewer, limit: int = RECOMMENDED_LIMIT) -> list:
    """Sidebar: the hosts of the recommended streams the viewer does not follow, each with
    its stream loaded."""
    streams = recommended_streams(viewer).exclude(
        Exists(Follow.objects.of(viewer, OuterRef("user_id")))
    )
    return [stream.user for stream in streams[:limit]]


# How many of the streamed channels, in the order a guest gets them, sidebar_of reads
# from the cache to tell a viewer's Recommended list without a query.
SIDEBAR_CANDIDATES = 100


@dataclass(frozen=True)
class Sidebar:
    """What the sidebar shows a viewer, as a digest (`digest`: the key of its fragment in the
    cache) and, when the cached candidates tell them, the ids of their Recommended."""

    digest: str
    recommended_ids: tuple | None = None
    loaded: dict | None = None  # users (with their stream) this request read, by id
    feed_digest: str = ""  # the home feed's (feed_for) the same way; "" for their ties'

    def recommended(self, viewer) -> list:
        """recommended_for(viewer), from the ids when known."""
        if self.recommended_ids is None:
            return recommended_for(viewer)
        users = self.loaded or {}
        if not all(user_id in users for user_id in self.recommended_ids):
            users = User.objects.select_related("stream").in_bulk(self.recommended_ids)
        return [users[user_id] for user_id in self.recommended_ids if user_id in users]


def viewer_sidebar(request) -> Sidebar:
    """sidebar_of the request's user, read once per request."""
    if not hasattr(request, "_viewer_sidebar"):
        request._viewer_sidebar = sidebar_of(request.user, viewer_ties(request))
    return request._viewer_sidebar


def sidebar_of(viewer, ties: Ties) -> Sidebar:
    """The people the sidebar shows `viewer` (following_for, then recommended_for) as a
    digest, told from their `ties` and the channels a guest would be recommended (kept in the
    cache under the streams version): viewers with the same lists, e.g. a raid's newcomers
    who follow the same channel, share one fragment rather than one each (streams.page_cache).
    Live first is the same for all of them (the streams version holds it). Should the
    candidates run out before the viewer's list is full, the digest of their ties.

    The home feed's digest too: what it leaves out (blocks either way, the viewer's own
    channel when it is among the streamed ones), so that viewers it leaves out the same
    channels for share its fragment."""
    if not viewer.is_authenticated:
        return Sidebar(ties.digest, feed_digest=ties.digest)
    hidden_by = set(ties.hidden_by)
    followed = [user_id for user_id, _ in ties.following]
    shown = [user_id for user_id in followed if user_id not in hidden_by]
    left_out = {*followed, *hidden_by, *ties.blocking, viewer.pk}
    loaded: dict = {}
    candidates = page_cache.cached("sidebar-candidates", lambda: _sidebar_candidates(loaded))
    # The feed leaves out the blocks either way and the viewer's own channel, when streamed:
    # known from the candidates if among them, or if they are every streamed channel.
    own = viewer.pk in candidates or len(candidates) >= SIDEBAR_CANDIDATES
    feed = ("feed", tuple(sorted({*hidden_by, *ties.blocking})), viewer.pk if own else None)
    recommended = [user_id for user_id in candidates if user_id not in left_out]
    if len(recommended) < RECOMMENDED_LIMIT and len(candidates) >= SIDEBAR_CANDIDATES:
        return Sidebar(ties.digest, feed_digest=_digest(feed))
    recommended = tuple(recommended[:RECOMMENDED_LIMIT])
    sidebar = _digest(("sidebar", tuple(shown), recommended))
    return Sidebar(sidebar, recommended, loaded, _digest(feed))


def _sidebar_candidates(loaded: dict) -> list:
    """The ids of the hosts of the first SIDEBAR_CANDIDATES streamed channels, as a guest
    gets them: a viewer's Recommended are the first of them they neither follow nor block
    either way, nor host. The hosts read, with their stream, are put in `loaded`."""
    streams = list(streamed_streams(AnonymousUser())[:SIDEBAR_CANDIDATES])
    loaded.update((stream.user_id, stream.user) for stream in streams)
    return [stream.user_id for stream in streams]


@dataclass(frozen=True)
class Ties:
    """A viewer's follows and blocks, both ways: all that makes the feed and the sidebar they
    see differ from a guest's (streams.page_cache keys fragments with it)."""

    viewer: str = ""  # user id; empty for a guest
    following: tuple = ()  # (user id, since), newest first
    hidden_by: tuple = ()  # ids of the hosts who blocked the viewer, sorted
    blocking: tuple = ()  # ids of the people the viewer blocked, sorted

    def follows(self, user_id) -> bool:
        return any(following == user_id for following, _ in self.following)

    def blocks(self, user_id) -> bool:
        return user_id in self.blocking

    @property
    def digest(self) -> str:
        return _digest(self) if self.viewer else "guest"


def _digest(value) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class LiveTimes:
    """What a stream's page says about when it is or was live."""

    live_since: datetime | None = None  # while live: when it went live
    last_live: datetime | None = None  # while offline: when it last was live, if ever

    @property
    def uptime(self) -> str:
        """How long live now, as "1:23:45" (the page's script keeps it ticking)."""
        if self.live_since is None:
            return ""
        seconds = max(0, int((timezone.now() - self.live_since).total_seconds()))
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def live_times(stream: Stream) -> LiveTimes:
    """live_changed_at is the last change either way: the start of a live stream, the end of
    an offline one that has been live (last_live_at says whether it ever was)."""
    if stream.is_live:
        return LiveTimes(live_since=stream.live_changed_at or stream.last_live_at)
    if stream.last_live_at is None:
        return LiveTimes()
    return LiveTimes(last_live=max(filter(None, [stream.live_changed_at, stream.last_live_at])))


def live_host_ids() -> frozenset:
    """The ids of the hosts live now (active accounts only)."""
    live = Stream.objects.filter(is_live=True, user__is_active=True)
    return frozenset(live.values_list("user_id", flat=True))


def viewer_ties(request) -> Ties:
    """The ties of the request's user, read once per request: the channel page and the
    sidebar share them."""
    if not hasattr(request, "_viewer_ties"):
        request._viewer_ties = ties_of(request.user)
    return request._viewer_ties


def ties_of(viewer) -> Ties:
    """The viewer's Ties, in one query (none for a guest), or from the shared cache.

    Every page a signed-in viewer loads reads them, so the query is plain SQL: the database
    answers it in a fraction of the time Django takes to build the same union. With a cache
    every process shares (settings.CACHE_IS_SHARED) they are kept there, dropped whenever a
    follow or block of the viewer's is saved or deleted (page_cache.ties_changed): the next
    request of either person reads them anew.
    """
    if not viewer.is_authenticated:
        return Ties()
    return page_cache.ties(viewer.pk, lambda: _ties_from_database(viewer))


def _ties_from_database(viewer) -> Ties:
    user_id = User._meta.pk
    with connection.cursor() as cursor:
        cursor.execute(_ties_sql(), [user_id.get_db_prep_value(viewer.pk, connection)] * 3)
        return _ties(viewer, cursor.fetchall())


def ties_and_unread_of(viewer) -> tuple[Ties, int]:
    """The viewer's Ties (as _ties_from_database reads them) and the bell's unread count (as
    social.selectors.unread_count_label counts it, stopping after UNREAD_SHOWN + 1) in one
    query: a signed-in viewer's first page, when the cache holds neither."""
    user_id = User._meta.pk
    sql = f"{_ties_sql()} UNION ALL {_unread_sql()}"
    with connection.cursor() as cursor:
        viewer_id = user_id.get_db_prep_value(viewer.pk, connection)
        cursor.execute(sql, [viewer_id] * 3 + [viewer_id, UNREAD_SHOWN + 1])
        rows = cursor.fetchall()
    unread = sum(kind == "unread" for kind, _, _ in rows)
    return _ties(viewer, [row for row in rows if row[0] != "unread"]), unread


def _ties(viewer, rows) -> Ties:
    user_id = User._meta.pk
    ties: dict[str, list] = {"following": [], "hidden_by": [], "blocking": []}
    for kind, other, since in rows:
        ties[kind].append((user_id.to_python(other), _aware(since)))
    following = sorted(ties["following"], key=lambda tie: (tie[1], tie[0]), reverse=True)
    return Ties(
        viewer=str(viewer.pk),
        following=tuple(following),
        hidden_by=tuple(sorted(other for other, _ in ties["hidden_by"])),
        blocking=tuple(sorted(other for other, _ in ties["blocking"])),
    )


def _aware(moment: datetime | str) -> datetime:
    """A time as plain SQL reads it: aware from PostgreSQL; from SQLite (which keeps UTC) naive,
    or text where a UNION loses the column's type."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return timezone.make_aware(moment, UTC) if timezone.is_naive(moment) else moment


@functools.cache
def _ties_sql() -> str:
    """Rows of (kind, the other user's id, since) for one viewer id, given three times: whom
    the viewer follows, who blocked them, whom they blocked."""
    quote = connection.ops.quote_name

    def part(kind: str, model, other: str, viewer: str) -> str:
        def column(name: str) -> str:
            return quote(model._meta.get_field(name).column)

        return (
            f"SELECT '{kind}', {column(other)}, {column('created_at')} "
            f"FROM {quote(model._meta.db_table)} WHERE {column(viewer)} = %s"
        )

    return " UNION ALL ".join(
        [
            part("following", Follow, "following", "follower"),
            part("hidden_by", Block, "blocker", "blocked"),
            part("blocking", Block, "blocked", "blocker"),
        ]
    )


@functools.cache
def _unread_sql() -> str:
    """Rows ('unread', viewer id, when) for ties_and_unread_of, given the viewer's id and a
    limit: Notification.objects.filter(recipient=viewer).unread(), over the unread index,
    stopping at the limit; their number is the count."""
    quote = connection.ops.quote_name
    meta = Notification._meta

    def column(name: str) -> str:
        return quote(meta.get_field(name).column)

    recipient = column("recipient")
    return (
        f"(SELECT 'unread', {recipient}, {column('created_at')} FROM {quote(meta.db_table)} "
        f"WHERE {recipient} = %s AND {column('read_at')} IS NULL LIMIT %s)"
    )
