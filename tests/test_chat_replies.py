"""Replies in chat: POST /api/stream/<host_id>/chat with `reply_to`, the reply in the
message's JSON, and the history as the channel page renders it."""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache
from django.test import Client

from streams.models import ChatMessage, Stream
from tests.factories import ChatMessageFactory, UserFactory

pytestmark = pytest.mark.django_db


def reply(client, host, reply_to, text="me too"):
    body = json.dumps({"message": text, "reply_to": reply_to})
    return client.post(f"/api/stream/{host.pk}/chat", body, "application/json")


def history(client, host) -> list[dict]:
    return client.get(f"/api/stream/{host.pk}/chat").json()["messages"]


def test_a_viewer_replies_to_a_message_and_the_reply_shows_what_it_answers(live, bob_client, alice):
    parent = ChatMessageFactory(stream=live, user=alice, text="Who is ready for the raid?")
    response = reply(bob_client, alice, parent.pk)
    assert response.status_code == 201
    assert response.json()["reply"] == {
        "id": parent.pk,
        "name": "alice",
        "text": "Who is ready for the raid?",
        "deleted": False,
    }
    assert ChatMessage.objects.get(pk=response.json()["id"]).reply_to == parent
    assert history(Client(), alice)[-1]["reply"]["id"] == parent.pk


def test_the_reply_id_may_be_posted_as_form_data(live, bob_client, alice):
    parent = ChatMessageFactory(stream=live, user=alice)
    url = f"/api/stream/{alice.pk}/chat"
    response = bob_client.post(url, {"message": "yes", "reply_to": str(parent.pk)})
    assert response.status_code == 201
    assert response.json()["reply"]["id"] == parent.pk


def test_a_message_that_answers_none_has_no_reply(live, bob_client, alice):
    response = reply(bob_client, alice, None, "hello")
    assert response.status_code == 201
    assert response.json()["reply"] is None


def test_a_long_message_is_shortened_in_the_reply(live, bob_client, alice):
    parent = ChatMessageFactory(stream=live, user=alice, text="word " * 40)
    shown = reply(bob_client, alice, parent.pk).json()["reply"]["text"]
    assert len(shown) <= 60
    assert shown.endswith("…")


def test_a_reply_to_a_message_of_another_stream_is_refused(live, bob_client, alice):
    other = ChatMessageFactory(stream=UserFactory().stream)
    response = reply(bob_client, alice, other.pk)
    assert response.status_code == 400
    assert response.json()["code"] == "bad_reply"
    assert response.json()["detail"]
    assert not ChatMessage.objects.filter(stream=live).exists()


def test_a_reply_to_a_deleted_message_is_refused(live, bob_client, alice):
    parent = ChatMessageFactory(stream=live, user=alice, is_deleted=True)
    response = reply(bob_client, alice, parent.pk)
    assert response.status_code == 400
    assert response.json()["code"] == "bad_reply"
    assert "deleted" in response.json()["detail"]


@pytest.mark.parametrize("reply_to", [999999, "abc", -1, 1.5, True, [1], {"id": 1}, "1e3"])
def test_a_reply_to_a_missing_or_malformed_id_is_refused(live, bob_client, alice, reply_to):
    response = reply(bob_client, alice, reply_to)
    assert response.status_code == 400
    assert response.json()["code"] == "bad_reply"


def test_a_reply_follows_the_usual_chat_rules(live, bob_client, alice):
    parent = ChatMessageFactory(stream=live, user=alice)
    Stream.objects.filter(pk=live.pk).update(is_chat_enabled=False)
    assert reply(bob_client, alice, parent.pk).json()["code"] == "chat_disabled"
    Stream.objects.filter(pk=live.pk).update(is_chat_enabled=True)
    assert reply(bob_client, alice, parent.pk, "   ").json()["code"] == "empty"


def test_a_reply_whose_parent_is_deleted_later_says_so(live, bob_client, alice_client, alice):
    parent = ChatMessageFactory(stream=live, user=alice, text="secret")
    answer = reply(bob_client, alice, parent.pk).json()
    assert history(Client(), alice)[-1]["reply"]["deleted"] is False
    url = f"/api/stream/{alice.pk}/chat/{parent.pk}/delete"
    assert alice_client.post(url).status_code == 200
    shown = history(Client(), alice)
    assert [m["id"] for m in shown] == [answer["id"]]
    assert shown[0]["reply"] == {"id": parent.pk, "name": "alice", "text": "", "deleted": True}
    page = BeautifulSoup(Client().get("/alice/").content, "html.parser")
    item = page.select_one(f'[data-message-id="{answer["id"]}"]')
    assert item.select_one(".chat-reply").get_text() == "Replying to a deleted message"
    assert "secret" not in item.get_text()


def test_the_history_shows_what_a_reply_answers_above_it(live, bob, alice):
    parent = ChatMessageFactory(stream=live, user=alice, text="<b>bold</b> " + "x" * 80)
    ChatMessageFactory(stream=live, user=bob, text="agreed", reply_to=parent)
    page = BeautifulSoup(Client().get("/alice/").content, "html.parser")
    item = page.select(".chat-message")[-1]
    button = item.select_one("button.chat-reply")
    assert button["data-reply-id"] == str(parent.pk)
    assert button.get_text().startswith("Replying to @alice: <b>bold</b> xxx")
    assert button.get_text().endswith("…")
    assert not item.select("b")
    assert item.select_one(".chat-text").get_text() == "agreed"


def test_replies_cost_no_query_each_in_the_history(live, bob, alice, django_assert_max_num_queries):
    parent = ChatMessageFactory(stream=live, user=alice)
    ChatMessageFactory(stream=live, user=bob, reply_to=parent)
    with django_assert_max_num_queries(10) as one:
        assert history(Client(), alice)[-1]["reply"]["id"] == parent.pk
    for _ in range(30):
        ChatMessageFactory(stream=live, user=bob, reply_to=parent)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert history(Client(), alice)[-1]["reply"]["id"] == parent.pk


def test_the_history_built_from_each_message_kept_apart_is_the_one_built_afresh(live, bob, alice):
    """Each message's JSON is kept apart, so that a new message builds only its own: the
    answer, after a new message and after a deleted parent, is exactly a fresh build's."""
    parent = ChatMessageFactory(stream=live, user=alice, text="first")
    ChatMessageFactory(stream=live, user=bob, text="second", reply_to=parent)
    url = f"/api/stream/{alice.pk}/chat"
    Client().get(url)  # each message kept
    ChatMessageFactory(stream=live, user=bob, text="third")
    kept = Client().get(url).content
    cache.clear()
    assert kept == Client().get(url).content
    assert [m["text"] for m in json.loads(kept)["messages"]] == ["first", "second", "third"]
    parent.is_deleted = True
    parent.save()
    kept = Client().get(url).content
    (reply, third) = json.loads(kept)["messages"]
    assert reply["reply"]["deleted"] and third["text"] == "third"
    cache.clear()
    assert kept == Client().get(url).content
