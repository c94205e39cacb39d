"""The site on a phone (390 x 844, touch): the player comes first, chat works under it, the
channel list is a menu in the top bar that remembers how it was left."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from streams.models import ChatBan, ChatMessage, ModerationAction, Stream
from tests.factories import ModeratorFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = (390, 844)


def in_first_screen(page, selector: str, *, below: float = 0, height: int = PHONE[1]) -> bool:
    """Whether `selector` is wholly on screen, under the first `below` pixels."""
    box = page.locator(selector).bounding_box()
    return box is not None and box["y"] >= below and box["y"] + box["height"] <= height


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


def test_on_a_phone_typing_in_chat_keeps_the_player_in_view(open_page, publisher, alice, bob):
    publisher(alice)
    Stream.objects.filter(user=alice).update(is_live=True)
    page = open_page("/alice/", bob, viewport=PHONE)
    expect(page.locator("[data-player-video]")).to_be_visible(timeout=30_000)
    topbar = page.locator(".topbar").bounding_box()["height"]

    page.locator("#chat-input").focus()
    page.keyboard.type("typing on a phone")
    assert in_first_screen(page, "[data-player]", below=topbar - 1)
    assert in_first_screen(page, "#chat-input")

    # The on-screen keyboard takes the lower part of the screen (the page is laid out again in
    # what is left, as its viewport meta asks) and the phone brings the box back into view.
    with_keyboard = PHONE[1] - 340
    page.set_viewport_size({"width": PHONE[0], "height": with_keyboard})
    page.locator("#chat-input").scroll_into_view_if_needed()
    assert in_first_screen(page, "[data-player]", below=topbar - 1, height=with_keyboard)
    assert in_first_screen(page, "#chat-input", height=with_keyboard)


DASHBOARD_PAGES = [
    "",
    "keys/",
    "chat/",
    "videos/",
    "emotes/",
    "community/",
    "moderation/",
    "raids/",
    "analytics/",
]


@pytest.fixture
def busy_moderation(alice, bob, carol):
    """A moderation page with every table filled, the names as long as usernames go."""
    long_name = UserFactory(username="a_very_long_username_of_30_chr")
    ModeratorFactory(host=alice, user=long_name)
    ModeratorFactory(host=alice, user=bob)
    later = timezone.now() + timedelta(hours=24)
    ChatBan.objects.create(
        host=alice, kind="timeout", user=long_name, name=long_name.username, expires_at=later
    )
    ChatBan.objects.create(
        host=alice,
        kind="ban",
        guest_identity="guest-identity",
        name="guest-12345",
        network="203.0.113.7",
        network_expires_at=later,
    )
    for action, _ in ModerationAction.Action.choices:
        ModerationAction.objects.create(
            host=alice,
            actor=bob,
            actor_name=long_name.username,
            action=action,
            target_name=long_name.username,
            detail="https://example.com/a-link-someone-pasted-into-the-chat-and-was-deleted",
        )


@pytest.mark.parametrize("section", DASHBOARD_PAGES)
def test_on_a_phone_a_dashboard_page_fits_the_screen_with_every_tab_reachable(
    open_page, alice, busy_moderation, section
):
    page = open_page(f"/u/alice/{section}", alice, viewport=PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    tabs = page.get_by_role("navigation", name="Creator dashboard").get_by_role("link")
    assert tabs.count() == 10  # nine pages and "View channel"
    for tab in tabs.all():  # every tab shown whole, "View channel" too, without scrolling
        box = tab.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE[0], tab.inner_text()
    assert page.locator(".logo").bounding_box()["x"] <= 16  # no gap for a menu that is not there


def test_the_moderation_tables_rows_end_in_one_straight_border(open_page, alice, busy_moderation):
    for viewport in [PHONE, (1280, 800)]:
        page = open_page("/u/alice/moderation/", alice, viewport=viewport)
        for row in page.locator("main table tbody tr").all():
            bottoms = {
                round(cell.bounding_box()["y"] + cell.bounding_box()["height"])
                for cell in row.locator("td").all()
            }
            assert len(bottoms) == 1, row.inner_text()
