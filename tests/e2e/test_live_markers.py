"""LIVE markers on pages that are not the channel: they follow go-live and go-offline without a
reload (static/js/live.js polls /api/live every 10 s)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from streams.models import Stream

pytestmark = pytest.mark.django_db(transaction=True)

WITHIN = 25_000  # ms: one 10 s poll, with room for a slow machine


def set_live(host, live: bool) -> None:
    """What the ingress webhooks do to the row."""
    Stream.objects.filter(user=host).update(is_live=live)


def test_home_and_sidebar_drop_live_when_the_stream_ends(open_page, alice):
    set_live(alice, True)
    page = open_page("/")
    card = page.locator(f'.card[data-live-host="{alice.pk}"]')
    entry = page.locator(f'.sidebar [data-live-host="{alice.pk}"]')
    expect(card.locator("[data-live-marker]")).to_be_visible()
    expect(entry.locator("[data-live-marker]")).to_be_visible()

    set_live(alice, False)
    expect(card.locator("[data-live-marker]")).to_be_hidden(timeout=WITHIN)
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
