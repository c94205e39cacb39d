"""How the directory shows in streams' pages without streams importing it: every list of
cards loads each stream's category and tags, and search matches them too."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Q

from streams import selectors


def listing_prefetch() -> Prefetch:
    from directory.models import Listing

    listings = Listing.objects.select_related("category").prefetch_related("tags")
    return Prefetch("listing", queryset=listings)


def matches_tag(term: str) -> Q:
    """Streams with a tag named `term` (the whole tag, any case)."""
    from directory.models import Listing

    tagged = Listing.tags.through.objects.filter(
        listing_id=OuterRef("pk"), tag__name__iexact=term.strip("#")
    )
    return Q(Exists(tagged))


def matches_category(term: str) -> Q:
    """Streams in a category whose name contains `term` (any case)."""
    return Q(listing__category__name__icontains=term)


def install() -> None:
    """Add the directory to streams' hooks, once (AppConfig.ready() may run again)."""
    if matches_tag in selectors.SEARCH_MATCHERS:
        return
    selectors.CARD_PREFETCHES.append(listing_prefetch())
    selectors.SEARCH_MATCHERS.extend([matches_tag, matches_category])
