"""Blocking from the channel page in a real Chromium: the channel's Block button and a chatter's
card ask first, POST with the page's CSRF token, and say what happened."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from social.models import Block
from streams.models import ChatMessage
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_viewer_blocks_the_channel_after_confirming_and_can_unblock_it(open_page, alice, bob):
    page = open_page("/alice/", bob)
    page.get_by_role("button", name="Block", exact=True).click()
    dialog = page.get_by_role("dialog", name="Block alice?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert not Block.objects.exists()
    page.get_by_role("button", name="Block", exact=True).click()
    dialog.get_by_role("button", name="Block", exact=True).click()
    expect(page.locator(".messages")).to_have_text("Blocked alice.")
    assert Block.objects.filter(blocker=bob, blocked=alice).exists()
    assert not bob.following_set.exists()
    expect(page.get_by_role("button", name="Follow", exact=True)).to_have_count(0)
    page.get_by_role("button", name="Unblock").click()
    expect(page.locator(".messages")).to_have_text("Unblocked alice.")
    assert not Block.objects.exists()
    expect(page.get_by_role("button", name="Block", exact=True)).to_be_visible()


def test_a_viewer_blocks_a_chatter_from_their_card(open_page, alice, bob):
    dave = UserFactory(username="dave")
    ChatMessage.objects.create(stream=alice.stream, user=dave, author_name="dave", text="hi all")
    page = open_page("/alice/", bob)
    page.locator(".chat-message .chat-name", has_text="dave").click()
    card = page.locator("[data-chatter-card]")
    expect(card.get_by_role("link", name="dave")).to_have_attribute("href", "/dave/")
    card.get_by_role("button", name="Block").click()
    page.get_by_role("dialog", name="Block dave?").get_by_role("button", name="Block").click()
    expect(page.locator(".messages")).to_have_text("Blocked dave.")
    assert Block.objects.filter(blocker=bob, blocked=dave).exists()
    expect(page).to_have_url(re.compile(r"/alice/$"))  # back where bob was
    # Blocked already: the card offers to undo it (by keyboard too).
    page.locator(".chat-message .chat-name", has_text="dave").press("Enter")
    card.get_by_role("button", name="Unblock").click()
    expect(page.locator(".messages")).to_have_text("Unblocked dave.")
    assert not Block.objects.exists()


def test_nobody_is_offered_to_block_themselves_a_guest_or_on_their_own_channel(
    open_page, alice, bob
):
    ChatMessage.objects.create(stream=alice.stream, user=bob, author_name="bob", text="me")
    ChatMessage.objects.create(
        stream=alice.stream, guest_identity="guest-" + "a" * 32, author_name="guest-12345", text="x"
    )
    bob_page = open_page("/alice/", bob)
    card = bob_page.locator("[data-chatter-card]")
    for name in ["bob", "guest-12345"]:
        bob_page.locator(".chat-message .chat-name", has_text=name).click()
        expect(card).to_contain_text(name)
        expect(card.get_by_role("button", name="Block")).to_have_count(0)
    host_page = open_page("/alice/", alice)
    expect(host_page.get_by_role("button", name="Block")).to_have_count(0)
    host_page.locator(".chat-message .chat-name", has_text="bob").click()
    expect(host_page.locator("[data-chatter-card]")).to_contain_text("bob")
    expect(host_page.get_by_role("button", name="Block")).to_have_count(0)


def test_a_guest_is_asked_to_log_in_to_block(open_page, alice, bob):
    ChatMessage.objects.create(stream=alice.stream, user=bob, author_name="bob", text="hello")
    page = open_page("/alice/")
    expect(page.get_by_role("button", name="Block")).to_have_count(0)
    page.locator(".chat-message .chat-name", has_text="bob").click()
    login = page.locator("[data-chatter-card]").get_by_role("link", name="Log in to block")
    expect(login).to_have_attribute("href", "/accounts/login/?next=%2Falice%2F")
