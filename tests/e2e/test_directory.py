"""Finding something to watch: the directory, a category's live channels, a tag's."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.factories import CategoryFactory, UserFactory, list_stream

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_viewer_browses_a_category_to_a_live_channel_and_follows_a_tag(open_page, alice):
    games = CategoryFactory(name="Retro Games")
    CategoryFactory(name="Music")
    list_stream(alice, games, ["speedrun"], live=True, viewers=42)
    list_stream(UserFactory(username="dave", streamed=True), games, ["speedrun"])

    page = open_page("/")
    page.get_by_role("link", name="Browse").click()
    expect(page).to_have_url(re.compile(r"/directory/$"))
    first = page.locator(".category-card").first
    expect(first.locator(".category-name")).to_have_text("Retro Games")
    expect(first.locator("[data-category-stats]")).to_have_text("42 viewers · 1 live channel")

    first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Retro Games")
    cards = page.locator(".card")
    expect(cards).to_have_count(2)
    live_card = cards.nth(0)
    expect(live_card.locator(".card-user")).to_have_text("alice")
    expect(live_card.locator(".card-viewers")).to_have_text("42 viewers")
    expect(live_card.locator(".badge-live")).to_be_visible()
    expect(cards.nth(1).locator(".card-user")).to_have_text("dave")

    live_card.get_by_role("link", name="speedrun").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("speedrun")
    expect(page.locator(".card .card-user")).to_have_text(["alice", "dave"])
