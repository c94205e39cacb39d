"""Replies and @mentions on the channel page, in a real Chromium in a real LiveKit room."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from streams import moderation
from streams.models import ChatMessage, Stream
from tests.e2e.conftest import off_the_browser_thread
from tests.factories import ChatMessageFactory

pytestmark = pytest.mark.django_db(transaction=True)


def message(page, text: str):
    return page.locator("[data-chat-messages] .chat-message", has_text=text)


def by_id(page, message_id: int):
    return page.locator(f'[data-chat-messages] [data-message-id="{message_id}"]')


def test_bob_replies_to_alice_who_sees_what_it_answers_and_its_mention_of_her(
    open_page, publisher, alice, bob
):
    publisher(alice)
    stream = Stream.objects.get(user=alice)
    Stream.objects.filter(pk=stream.pk).update(is_live=True)
    question = ChatMessageFactory(stream=stream, user=alice, text="Who is here from Lisbon?")
    for n in range(40):  # enough that the question is scrolled out of view
        ChatMessageFactory(stream=stream, user=bob, text=f"chatter {n}")
    alice_page = open_page("/alice/", alice)
    bob_page = open_page("/alice/", bob)

    # Bob picks the message to answer from the keyboard, changes his mind, then picks it again.
    reply_button = by_id(bob_page, question.pk).locator(".msg-reply")
    reply_button.focus()
    reply_button.press("Enter")
    target = bob_page.locator(".chat-reply-target")
    expect(target).to_have_text(re.compile(r"Replying to @alice: Who is here from Lisbon\?"))
    expect(bob_page.locator("#chat-input")).to_be_focused()
    target.get_by_role("button", name="Cancel the reply").click()
    expect(target).to_be_hidden()
    reply_button.click()
    expect(target).to_be_visible()

    # "@ali" offers alice; Tab takes her name.
    box = bob_page.locator("#chat-input")
    box.press_sequentially("@ali")
    expect(bob_page.get_by_role("option")).to_have_text(["@alice"])
    expect(box).to_have_attribute("aria-expanded", "true")
    box.press("Tab")
    expect(box).to_have_value("@alice ")
    box.press_sequentially("me! <b>not bold</b>")
    box.press("Enter")
    expect(target).to_be_hidden()

    answer = message(alice_page, "me! <b>not bold</b>")
    expect(answer.locator(".chat-reply")).to_have_text(
        "Replying to @alice: Who is here from Lisbon?"
    )
    expect(answer.locator(".chat-mention-me")).to_have_text("@alice")
    assert answer.locator(".chat-text b").count() == 0
    # For bob the mention is marked, but it is not his name.
    expect(message(bob_page, "not bold").locator(".chat-mention")).to_have_text("@alice")
    assert message(bob_page, "not bold").locator(".chat-mention-me").count() == 0
    assert ChatMessage.objects.get(text__startswith="@alice me!").reply_to_id == question.pk

    original = by_id(alice_page, question.pk)
    expect(original).not_to_be_in_viewport()
    answer.locator(".chat-reply").click()
    expect(original).to_be_in_viewport()
    expect(original).to_have_class(re.compile("chat-highlight"))

    # Alice deletes her question (as the chat's delete API does; the page offers no button
    # on the host's own messages): bob's copy of the reply says so, live and after a reload.
    off_the_browser_thread(
        moderation.message_delete, host=alice, actor=alice, message_id=question.pk
    )
    expect(by_id(bob_page, question.pk)).to_have_count(0)
    reply_line = message(bob_page, "not bold").locator(".chat-reply")
    expect(reply_line).to_have_text("Replying to a deleted message")
    bob_page.reload()
    expect(reply_line).to_have_text("Replying to a deleted message")


def test_a_mention_of_the_viewer_in_a_live_message_stands_out_for_them(
    open_page, publisher, alice, bob
):
    publisher(alice)
    Stream.objects.filter(user=alice).update(is_live=True)
    bob_page = open_page("/alice/", bob)
    alice_page = open_page("/alice/", alice)
    expect(alice_page.locator("#chat-input")).to_be_enabled()
    alice_page.fill("#chat-input", "thanks @BOB and @nobody_here")
    alice_page.press("#chat-input", "Enter")
    sent = message(bob_page, "thanks")
    expect(sent.locator(".chat-mention")).to_have_text(["@BOB", "@nobody_here"])
    expect(sent.locator(".chat-mention-me")).to_have_text("@BOB")
    assert message(alice_page, "thanks").locator(".chat-mention-me").count() == 0
