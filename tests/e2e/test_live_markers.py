"""LIVE markers on pages that are not the channel: they follow go-live and go-offline without a
reload (static/js/live.js polls /api/live every 10 s)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from streams.models import Stream

pytestmark = pytest.mark.django_db(transaction=True)

WITHIN = 25_000  # ms: one 10 s poll, with room for a slow machine


def set_live(host, live: bool) -> None:
    """What the ingress webhooks do to the row."""
    Stream.objects.filter(user=host).update(is_live=live)


def test_home_and_sidebar_drop_live_when_the_stream_ends(open_page, alice):
    went_live = timezone.now() - timedelta(hours=1, minutes=2, seconds=3)
    Stream.objects.filter(user=alice).update(
        is_live=True, live_changed_at=went_live, last_live_at=went_live, viewer_count=2
    )
    page = open_page("/")
    card = page.locator(f'.card[data-live-host="{alice.pk}"]')
    entry = page.locator(f'.sidebar [data-live-host="{alice.pk}"]')
    expect(card.locator(".badge-live")).to_be_visible()
    expect(card.locator(".card-viewers")).to_have_text("2 viewers")
    expect(entry.locator("[data-live-marker]")).to_be_visible()
    # The card's uptime ticks in the page.
    clock = card.locator("[data-uptime-since]")
    first = clock.inner_text()
    assert first.startswith("1:02:")
    expect(clock).not_to_have_text(first, timeout=3_000)

    set_live(alice, False)
    expect(card.locator(".badge-live")).to_be_hidden(timeout=WITHIN)
    expect(card.locator(".card-viewers")).to_be_hidden()
    expect(card.locator("[data-offline-marker]")).to_have_text("Last live just now")
    expect(entry.locator("[data-live-marker]")).to_be_hidden(timeout=WITHIN)
    expect(entry.locator(".avatar")).not_to_have_class("avatar avatar-sm avatar-live")


def test_a_channel_that_goes_live_is_marked_live_on_an_open_page(open_page, alice, bob):
    page = open_page("/", bob)
    entry = page.locator(f'.sidebar [data-live-host="{alice.pk}"]')  # bob follows alice
    expect(entry).to_be_visible()
    expect(entry.locator("[data-live-marker]")).to_be_hidden()

    set_live(alice, True)
    expect(entry.locator("[data-live-marker]")).to_be_visible(timeout=WITHIN)
    expect(entry.locator(".avatar")).to_have_class("avatar avatar-sm avatar-live")
