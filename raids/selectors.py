"""Reads about raids: which live channels a host may raid, and a channel's raid statistics."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from raids.models import Raid, RaidSettings
from social.models import Block, Follow
from streams import selectors
from streams.models import Stream

SEARCH_LIMIT = 20


def accepts_raids_from(source) -> Q:
    """Streams whose host accepts a raid from `source` (RaidSettings; no row: anyone)."""
    refused = Q(user__raid_settings__accept_from=RaidSettings.Accept.NOBODY) | (
        Q(user__raid_settings__accept_from=RaidSettings.Accept.FOLLOWED)
        & ~Exists(Follow.objects.filter(follower=OuterRef("user_id"), following=source))
    )
    return ~refused


def raid_targets(source, term: str = "") -> QuerySet[Stream]:
    """Live channels `source` may raid, most watched first: found like the site's search
    (streams.selectors.search_streams) when `term` is given; never `source` itself, an
    offline channel, one with a block either way, or one that refuses raids from `source`."""
    term = term.strip()
    if term:
        streams = selectors.search_streams(source, term)
    else:
        streams = selectors.for_cards(Stream.objects.visible_to(source))
    return (
        streams.filter(is_live=True, user__is_active=True)
        .exclude(user=source)
        .exclude(Exists(Block.objects.between(source, OuterRef("user_id"))))
        .filter(accepts_raids_from(source))
        .order_by("-viewer_count", "user__username")
    )


def recent_raids(user, limit: int = 20) -> dict[str, list[Raid]]:
    """The raids `user`'s channel sent and received, newest first: the dashboard's figures."""
    related = Raid.objects.select_related("source", "target").exclude(state=Raid.State.CANCELLED)
    return {
        "sent": list(related.filter(source=user).order_by("-started_at")[:limit]),
        "received": list(related.filter(target=user).order_by("-started_at")[:limit]),
    }
