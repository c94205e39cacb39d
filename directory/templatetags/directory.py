from __future__ import annotations

from django import template

from directory import selectors
from directory.box_art import box_art_color
from directory.forms import ListingForm
from directory.models import Category
from streams import page_cache

register = template.Library()


@register.filter
def card_listing(stream):
    """The stream's Listing as its card's list loaded it (streams.selectors.for_cards), or
    None when it has none."""
    return getattr(stream, "listing", None)


@register.simple_tag
def stream_listing(stream) -> dict:
    """{"category", "tags"} for a channel page, kept for the page cache's few seconds like the
    rest of it (a change to the listing makes new keys: page_cache.streams_changed)."""
    return page_cache.cached(f"listing:{stream.pk}", lambda: selectors.listing_of(stream))


@register.simple_tag(takes_context=True)
def listing_form(context, stream) -> ListingForm:
    """The dashboard's form as posted (with its errors), or filled from the stored listing."""
    if "listing_form" in context:
        return context["listing_form"]
    listing = selectors.listing_of(stream)
    initial = {
        "category": listing["category"]["name"] if listing["category"] else "",
        "tags": ", ".join(listing["tags"]),
    }
    return ListingForm(initial=initial, prefix="listing")


@register.simple_tag
def category_names() -> list[str]:
    return list(Category.objects.values_list("name", flat=True))


@register.filter
def placeholder_color(name: str) -> str:
    return box_art_color(name)
