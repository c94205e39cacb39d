"""Reads for the directory pages. The channels come from streams.selectors.streamed_streams,
so blocks (either way) and inactive accounts are left out as on the home page."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet, Sum

from directory.models import Category, Listing, Tag
from streams import selectors as stream_selectors
from streams.models import Stream


@dataclass(frozen=True)
class CategorySummary:
    category: Category
    live_channels: int
    viewers: int


def categories_by_viewers(viewer) -> list[CategorySummary]:
    """Every category with its live channels (those the viewer may see) and their viewers
    in total; the most watched first, then by name. Two queries."""
    live = (
        stream_selectors.streamed_streams(viewer)
        .filter(is_live=True, listing__category__isnull=False)
        .order_by()
        .values("listing__category")
        .annotate(channels=Count("pk"), viewers=Sum("viewer_count"))
    )
    totals = {row["listing__category"]: row for row in live}
    summaries = [
        CategorySummary(
            category=category,
            live_channels=totals.get(category.pk, {}).get("channels", 0),
            viewers=totals.get(category.pk, {}).get("viewers", 0) or 0,
        )
        for category in Category.objects.all()
    ]
    return sorted(
        summaries,
        key=lambda s: (-s.viewers, -s.live_channels, s.category.name.lower(), s.category.pk),
    )


def category_streams(viewer, category: Category) -> QuerySet[Stream]:
    """The category's channels: live ones, most viewers first, then the most recently live."""
    return stream_selectors.for_cards(
        stream_selectors.streamed_streams(viewer).filter(listing__category=category)
    )


def tag_streams(viewer, tag: Tag) -> QuerySet[Stream]:
    """The channels with `tag`, in the same order."""
    return stream_selectors.for_cards(
        stream_selectors.streamed_streams(viewer).filter(listing__tags=tag)
    )


def listing_of(stream: Stream) -> dict:
    """{"category": {"name", "slug"} or None, "tags": [names]} for the channel page."""
    listing = (
        Listing.objects.select_related("category")
        .prefetch_related("tags")
        .filter(stream=stream)
        .first()
    )
    if listing is None:
        return {"category": None, "tags": []}
    category = listing.category
    return {
        "category": {"name": category.name, "slug": category.slug} if category else None,
        "tags": [tag.name for tag in listing.tags.all()],
    }
