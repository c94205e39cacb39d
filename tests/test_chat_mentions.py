"""@mentions in the chat history as the channel page renders it: marked for everyone, and
standing out for the person named (the host included, for their own name)."""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup
from django.test import Client

from streams.templatetags.chat_history import text_html
from tests.factories import ChatMessageFactory, UserFactory

pytestmark = pytest.mark.django_db


def chat_of(client) -> BeautifulSoup:
    page = BeautifulSoup(client.get("/alice/").content, "html.parser")
    return page.select_one("[data-chat-messages]")


def test_a_mention_is_marked_for_everyone(live, bob):
    ChatMessageFactory(stream=live, user=bob, text="hi @Alice, and @carol!")
    mentions = chat_of(Client()).select(".chat-mention")
    assert [(m.get_text(), m["data-mention"]) for m in mentions] == [
        ("@Alice", "alice"),
        ("@carol", "carol"),
    ]
    assert not chat_of(Client()).select(".chat-mention-me")  # a guest is named by none


def test_a_mention_stands_out_for_the_person_named(live, alice, bob, client_for):
    dave = UserFactory(username="dave")
    ChatMessageFactory(stream=live, user=alice, text="welcome @bob")
    ChatMessageFactory(stream=live, user=alice, text="and @dave")
    assert [m.get_text() for m in chat_of(client_for(bob)).select(".chat-mention-me")] == ["@bob"]
    assert [m.get_text() for m in chat_of(client_for(dave)).select(".chat-mention-me")] == ["@dave"]


def test_the_host_sees_their_own_name_stand_out(live, alice, bob, alice_client):
    ChatMessageFactory(stream=live, user=bob, text="@ALICE great stream")
    mine = chat_of(alice_client).select(".chat-mention-me")
    assert [m.get_text() for m in mine] == ["@ALICE"]


def test_html_next_to_a_mention_stays_text(live, bob, alice_client):
    text = '<img src=x onerror=alert(1)>@alice<script>x()</script> "@alice" @alice"><b>'
    ChatMessageFactory(stream=live, user=bob, text=text)
    chat = chat_of(alice_client)
    assert not chat.select("img, script, b")
    assert chat.select_one(".chat-text").get_text() == text
    assert len(chat.select(".chat-mention-me")) == 3


@pytest.mark.parametrize(
    "text",
    ["mail me at bob@example.com", "@ab is too short", "@" + "a" * 31, "email@alice", "@@alice"],
)
def test_only_a_username_standing_on_its_own_is_a_mention(text):
    assert "chat-mention" not in text_html(text)


def test_a_mention_ends_at_the_first_character_a_username_cannot_have():
    html = text_html("@bob_the-builder, @carol.")
    assert html.count("chat-mention") == 2
    assert 'data-mention="bob_the-builder">@bob_the-builder</span>,' in html
    assert 'data-mention="carol">@carol</span>.' in html


def test_the_page_knows_the_viewer_username(bob_client, guest_client):
    def viewer(client):
        page = BeautifulSoup(client.get("/alice/").content, "html.parser")
        return json.loads(page.select_one("#channel-data").string)["viewer"]

    assert viewer(bob_client)["username"] == "bob"
    assert viewer(guest_client)["username"] is None
