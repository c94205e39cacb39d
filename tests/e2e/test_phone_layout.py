"""The site on a phone (390 x 844, touch): the player comes first, chat works under it, the
channel list is a menu in the top bar that remembers how it was left."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from streams.models import ChatMessage, Stream

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = (390, 844)


def in_first_screen(page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE[1]


def test_on_a_phone_the_player_is_in_the_first_screen_and_chat_can_be_sent(
    open_page, publisher, alice, bob
):
    publisher(alice)
    Stream.objects.filter(user=alice).update(is_live=True)
    page = open_page("/alice/", bob, viewport=PHONE)
    expect(page.locator("[data-player-video]")).to_be_visible(timeout=30_000)
    assert in_first_screen(page, "[data-player]")
    assert not page.locator(".sidebar nav").is_visible()  # the channel list waits in its menu

    page.locator("#chat-input").click()
    page.keyboard.type("hello from a phone")
    page.locator("[data-chat-send]").click()
    expect(page.locator("[data-chat-messages] .chat-text").last).to_have_text("hello from a phone")
    assert ChatMessage.objects.filter(user=bob, text="hello from a phone").exists()
    # The chat sits right under the player and the channel header, not below the about panel.
    chat, about = page.locator(".chat").bounding_box(), page.locator(".about").bounding_box()
    assert chat["y"] < about["y"]


def test_on_a_phone_the_channel_list_opens_from_the_top_bar_and_stays_as_left(
    open_page, alice, bob
):
    page = open_page("/", bob, viewport=PHONE)
    toggle, channels = page.locator(".sidebar-toggle"), page.locator(".sidebar nav")
    expect(channels).to_be_hidden()
    box = toggle.bounding_box()
    assert box["y"] + box["height"] <= page.locator(".topbar").bounding_box()["height"] + 1

    toggle.click()
    expect(channels).to_be_visible()
    expect(channels.get_by_role("link", name="alice")).to_be_visible()  # bob follows alice
    page.goto("/search/?term=a")
    expect(page.locator(".sidebar nav")).to_be_visible()  # left open: open on the next page

    page.locator(".sidebar-toggle").click()
    page.goto("/")
    expect(page.locator(".sidebar nav")).to_be_hidden()

    page.locator(".sidebar-toggle").click()
    page.locator(".sidebar nav").get_by_role("link", name="alice").click()
    page.wait_for_url("**/alice/")
    expect(page.locator(".sidebar nav")).to_be_hidden()  # picking a channel closes the list


def test_on_a_desktop_the_channel_list_starts_open_and_remembers_closing(open_page, bob):
    page = open_page("/", bob)
    expect(page.locator(".sidebar nav")).to_be_visible()
    page.locator(".sidebar-toggle").click()
    expect(page.locator(".sidebar nav")).to_be_hidden()
    page.goto("/search/?term=a")
    expect(page.locator(".sidebar nav")).to_be_hidden()


def test_on_a_phone_the_dashboard_sections_are_tabs_above_the_form(open_page, alice):
    page = open_page("/u/alice/chat/", alice, viewport=PHONE)
    tabs = page.get_by_role("navigation", name="Creator dashboard")
    assert in_first_screen(page, ".dashboard-nav")
    current = tabs.locator("[aria-current=page]")
    expect(current).to_have_text("Chat")
    form_top = page.locator("main form").first.bounding_box()["y"]
    assert tabs.bounding_box()["y"] + tabs.bounding_box()["height"] <= form_top
    for button in page.locator("main form button").all():
        if button.is_visible():
            assert button.bounding_box()["height"] >= 44  # a thumb's target
