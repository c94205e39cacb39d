"""Emotes in the chat history the channel page renders on the server: a code that is a word
of its own becomes an <img> whose text alternative is the code; a code inside a word, a
removed emote's code and another channel's code stay text; the message's text is never
HTML. The page's script gets the channel's and the global emotes for live messages."""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup
from django.core.files.uploadedfile import SimpleUploadedFile

from emotes import services
from tests.conftest import image_bytes
from tests.factories import ChatMessageFactory, EmoteFactory

pytestmark = pytest.mark.django_db


def chat_text(client, message) -> BeautifulSoup:
    page = BeautifulSoup(client.get("/alice/").content, "html.parser")
    return page.select_one(f'[data-message-id="{message.pk}"] .chat-text')


def say(alice, bob, text: str):
    return ChatMessageFactory(stream=alice.stream, user=bob, text=text)


def test_a_code_becomes_its_image_with_the_code_as_text_alternative(guest_client, alice, bob):
    emote = EmoteFactory(channel=alice, code="aliceHype")
    text = chat_text(guest_client, say(alice, bob, "so aliceHype right now"))
    image = text.select_one("img.emote")
    assert image["alt"] == "aliceHype"
    assert image["src"] == emote.image_28.url
    assert image["srcset"] == f"{emote.image_56.url} 2x"
    assert text.get_text() == "so  right now"


def test_a_code_inside_a_word_stays_text(guest_client, alice, bob):
    EmoteFactory(channel=alice, code="Kappa")
    text = chat_text(guest_client, say(alice, bob, "xKappa Kappax Kappa, Kappa"))
    assert [image["alt"] for image in text.select("img")] == ["Kappa"]
    assert text.get_text() == "xKappa Kappax Kappa, "


def test_html_next_to_a_code_stays_text(guest_client, alice, bob):
    EmoteFactory(channel=alice, code="Kappa")
    message = say(alice, bob, "<b>Kappa</b> <script>alert(1)</script> Kappa <img src=x onerror=1>")
    text = chat_text(guest_client, message)
    assert text.select("b, script") == []
    assert [image["alt"] for image in text.select("img")] == ["Kappa"]
    assert text.get_text() == "<b>Kappa</b> <script>alert(1)</script>  <img src=x onerror=1>"


def test_a_removed_emote_leaves_its_code_as_text(guest_client, alice, bob):
    emote = EmoteFactory(channel=alice, code="Gone1")
    message = say(alice, bob, "bye Gone1")
    assert chat_text(guest_client, message).select_one("img") is not None
    services.emote_delete(emote=emote)
    text = chat_text(guest_client, message)
    assert text.select("img") == [] and text.get_text() == "bye Gone1"


def test_another_channels_emote_is_text_here_and_global_ones_work(guest_client, alice, bob):
    EmoteFactory(channel=bob, code="bobHi")
    EmoteFactory(channel=None, code="SiteWave")
    text = chat_text(guest_client, say(alice, bob, "bobHi SiteWave"))
    assert [image["alt"] for image in text.select("img")] == ["SiteWave"]
    assert text.get_text().startswith("bobHi ")


def test_an_added_emote_shows_in_the_history_at_once(guest_client, alice, bob):
    message = say(alice, bob, "New1")
    assert chat_text(guest_client, message).select("img") == []  # and now cached
    services.emote_create(
        channel=alice, code="New1", image=SimpleUploadedFile("e.png", image_bytes())
    )
    assert chat_text(guest_client, message).select_one("img")["alt"] == "New1"


def test_the_pages_script_gets_the_channels_and_the_global_emotes(guest_client, alice, bob):
    own = EmoteFactory(channel=alice, code="aliceHi")
    EmoteFactory(channel=None, code="SiteWave")
    EmoteFactory(channel=bob, code="bobHi")
    page = BeautifulSoup(guest_client.get("/alice/").content, "html.parser")
    data = json.loads(page.select_one("#channel-data").string)
    assert set(data["emotes"]) == {"aliceHi", "SiteWave"}
    assert data["emotes"]["aliceHi"] == {"url": own.image_28.url, "url2x": own.image_56.url}


def test_a_message_with_a_mention_and_an_emote_shows_both(guest_client, alice, bob):
    EmoteFactory(channel=alice, code="Kappa")
    text = chat_text(guest_client, say(alice, bob, "@alice Kappa <i>@bob</i>"))
    assert [m.get_text() for m in text.select(".chat-mention")] == ["@alice", "@bob"]
    assert [image["alt"] for image in text.select("img.emote")] == ["Kappa"]
    assert text.get_text() == "@alice  <i>@bob</i>"
