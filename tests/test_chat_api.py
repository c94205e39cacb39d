"""GET/POST /api/stream/<host_id>/chat and the host's moderation endpoints: every rule is
enforced on the server."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import timezone

from streams.models import ChatMessage, Stream
from tests.factories import FollowFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(alice) -> Stream:
    Stream.objects.filter(user=alice).update(is_live=True)
    return Stream.objects.get(user=alice)


def chat_url(host) -> str:
    return f"/api/stream/{host.pk}/chat"


def say(client, host, text="hello", *, as_json: bool = True):
    if as_json:
        return client.post(chat_url(host), json.dumps({"message": text}), "application/json")
    return client.post(chat_url(host), {"message": text})


def guest_with_identity(host) -> Client:
    guest = Client()
    assert guest.get(f"/api/stream/token/{host.pk}").status_code == 200
    return guest


def test_a_follower_sends_a_message_and_it_is_saved(live, bob_client, alice, bob):
    response = say(bob_client, alice, "  hello alice  ")
    assert response.status_code == 201
    data = response.json()
    assert data["text"] == "hello alice"
    assert data["user"]["id"] == str(bob.pk)
    assert data["user"]["name"] == "bob"
    assert data["user"]["color"].startswith("hsl(")
    assert ChatMessage.objects.get(pk=data["id"]).text == "hello alice"


def test_messages_can_be_sent_as_form_data(live, bob_client, alice):
    assert say(bob_client, alice, "form", as_json=False).status_code == 201


def test_history_is_the_last_50_oldest_first_without_deleted(live, bob_client, alice, bob):
    for n in range(55):
        ChatMessage.objects.create(stream=live, user=bob, author_name="bob", text=f"m{n}")
    ChatMessage.objects.filter(text="m54").update(is_deleted=True)
    messages = Client().get(chat_url(alice)).json()["messages"]
    assert [m["text"] for m in messages] == [f"m{n}" for n in range(4, 54)]


def test_a_guest_with_a_session_identity_can_chat(live, alice):
    guest = guest_with_identity(alice)
    response = say(guest, alice, "hi from a guest")
    assert response.status_code == 201
    assert response.json()["user"]["name"].startswith("guest-")
    assert response.json()["user"]["id"].startswith("guest-")


def test_a_guest_without_an_identity_is_refused(live, alice):
    response = say(Client(), alice)
    assert response.status_code == 403
    assert response.json()["code"] == "no_identity"


def test_the_host_can_chat_on_their_own_channel(live, alice_client, alice):
    Stream.objects.filter(pk=live.pk).update(is_chat_followers_only=True, is_chat_delayed=True)
    assert say(alice_client, alice, "one").status_code == 201
    assert say(alice_client, alice, "two").status_code == 201  # no slow mode for the host


@pytest.mark.parametrize(
    ("text", "code"), [("", "empty"), ("   ", "empty"), ("x" * 501, "too_long"), (None, "empty")]
)
def test_empty_or_too_long_messages_are_400(live, bob_client, alice, text, code):
    body = json.dumps({"message": text})
    response = bob_client.post(chat_url(alice), body, "application/json")
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert not ChatMessage.objects.exists()


def test_500_characters_are_fine(live, bob_client, alice):
    assert say(bob_client, alice, "x" * 500).status_code == 201


def test_bad_json_is_400(live, bob_client, alice):
    response = bob_client.post(chat_url(alice), "{nope", "application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_json"


def test_chat_disabled_is_403(live, bob_client, alice):
    Stream.objects.filter(pk=live.pk).update(is_chat_enabled=False)
    response = say(bob_client, alice)
    assert (response.status_code, response.json()["code"]) == (403, "chat_disabled")
    assert not ChatMessage.objects.exists()


def test_an_offline_stream_is_403(bob_client, alice):
    response = say(bob_client, alice)
    assert (response.status_code, response.json()["code"]) == (403, "offline")


def test_followers_only_refuses_guests_and_non_followers(live, bob_client, client_for, alice):
    Stream.objects.filter(pk=live.pk).update(is_chat_followers_only=True)
    dave = client_for(UserFactory(username="dave"))
    for client in [dave, guest_with_identity(alice)]:
        response = say(client, alice)
        assert (response.status_code, response.json()["code"]) == (403, "followers_only")
    assert say(bob_client, alice).status_code == 201  # bob follows alice


def test_a_blocked_viewer_is_refused(live, carol_client, alice):
    response = say(carol_client, alice)
    assert response.status_code == 403
    assert response.json()["code"] == "blocked"
    assert carol_client.get(chat_url(alice)).status_code == 403


def test_slow_mode_refuses_a_second_message_within_3_seconds(live, bob_client, alice):
    Stream.objects.filter(pk=live.pk).update(is_chat_delayed=True)
    assert say(bob_client, alice, "first").status_code == 201
    response = say(bob_client, alice, "second")
    assert response.status_code == 429
    assert response.json()["code"] == "slow_mode"
    assert 1 <= int(response["Retry-After"]) <= 3
    assert ChatMessage.objects.count() == 1


def test_slow_mode_is_per_sender(live, bob_client, client_for, alice):
    Stream.objects.filter(pk=live.pk).update(is_chat_delayed=True)
    dave = UserFactory(username="dave")
    assert say(bob_client, alice).status_code == 201
    assert say(client_for(dave), alice).status_code == 201


def test_slow_mode_lets_a_message_through_after_the_cooldown(live, bob_client, alice, bob):
    Stream.objects.filter(pk=live.pk).update(is_chat_delayed=True)
    old = ChatMessage.objects.create(stream=live, user=bob, author_name="bob", text="old")
    ChatMessage.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timezone.timedelta(seconds=4)
    )
    assert say(bob_client, alice).status_code == 201


def test_unknown_streams_are_404(bob_client):
    for url in ["/api/stream/nope/chat", "/api/stream/00000000-0000-0000-0000-000000000000/chat"]:
        response = bob_client.post(url, {"message": "x"})
        assert response.status_code == 404
        assert set(response.json()) == {"code", "detail"}


def test_posting_needs_a_csrf_token(live, alice, bob):
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)
    assert say(client, alice).status_code == 403
    assert not ChatMessage.objects.exists()


def test_the_host_deletes_a_message(live, alice_client, bob_client, alice):
    message_id = say(bob_client, alice).json()["id"]
    response = alice_client.post(f"/api/stream/{alice.pk}/chat/{message_id}/delete")
    assert response.status_code == 200
    assert ChatMessage.objects.get(pk=message_id).is_deleted
    assert Client().get(chat_url(alice)).json()["messages"] == []
    again = alice_client.post(f"/api/stream/{alice.pk}/chat/{message_id}/delete")
    assert again.status_code == 404


def test_only_the_host_deletes(live, bob_client, alice):
    message_id = say(bob_client, alice).json()["id"]
    response = bob_client.post(f"/api/stream/{alice.pk}/chat/{message_id}/delete")
    assert (response.status_code, response.json()["code"]) == (403, "not_host")
    assert not ChatMessage.objects.get(pk=message_id).is_deleted


def test_the_host_blocks_a_viewer_from_the_chat(live, alice_client, bob_client, alice, bob):
    body = json.dumps({"user_id": str(bob.pk)})
    response = alice_client.post(f"/api/stream/{alice.pk}/block", body, "application/json")
    assert response.status_code == 200
    assert response.json()["blocked"] == "bob"
    assert say(bob_client, alice).status_code == 403
    assert bob_client.get("/alice/").status_code == 404


def test_only_the_host_blocks_and_guests_cannot_be_blocked(live, alice_client, bob_client, alice):
    dave = UserFactory(username="dave")
    body = json.dumps({"user_id": str(dave.pk)})
    assert bob_client.post(
        f"/api/stream/{alice.pk}/block", body, "application/json"
    ).status_code == (403)
    guest = json.dumps({"user_id": "guest-abc"})
    response = alice_client.post(f"/api/stream/{alice.pk}/block", guest, "application/json")
    assert response.status_code == 404


def test_html_in_messages_is_never_rendered_as_html(live, bob_client, guest_client, alice):
    text = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    assert say(bob_client, alice, text).status_code == 201
    page = guest_client.get("/alice/").content.decode()
    assert "<img src=x" not in page
    assert "<script>alert(2)" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert guest_client.get(chat_url(alice)).json()["messages"][0]["text"] == text


def test_the_channel_page_renders_the_chat_history(live, bob_client, guest_client, alice):
    say(bob_client, alice, "kept across reloads")
    page = guest_client.get("/alice/").content.decode()
    assert "kept across reloads" in page
    assert "Welcome to the chat!" in page  # present for the script, hidden when not empty


def test_followers_can_chat_in_followers_only_after_following(live, client_for, alice):
    dave = UserFactory(username="dave")
    client = client_for(dave)
    Stream.objects.filter(pk=live.pk).update(is_chat_followers_only=True)
    assert say(client, alice).status_code == 403
    FollowFactory(follower=dave, following=alice)
    assert say(client, alice).status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        '{"message": "\\ud800 x"}',  # an unpaired surrogate: not text at all
        '{"message": "x \\udfff"}',
        '{"message": "nul \\u0000 byte"}',  # PostgreSQL cannot store NUL
    ],
)
def test_characters_that_cannot_be_stored_are_refused_with_400(live, bob_client, alice, body):
    response = bob_client.post(chat_url(alice), body, "application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_characters"
    assert not ChatMessage.objects.exists()


def test_a_nul_in_form_data_is_refused_too(live, bob_client, alice):
    response = say(bob_client, alice, "nul \x00 byte", as_json=False)
    assert (response.status_code, response.json()["code"]) == (400, "invalid_characters")


def test_emoji_and_right_to_left_text_are_fine(live, bob_client, alice):
    text = "😀 مرحبا \u202e 👩‍👩‍👧"
    assert say(bob_client, alice, text).json()["text"] == text


def test_json_nested_too_deep_to_parse_is_400(live, bob_client, alice):
    body = "[" * 100_000 + "]" * 100_000
    response = bob_client.post(chat_url(alice), body, "application/json")
    assert (response.status_code, response.json()["code"]) == (400, "bad_json")


def test_chat_rules_apply_at_once_even_with_the_host_cached(live, bob_client, alice):
    assert say(bob_client, alice, "first").status_code == 201  # the host is now cached
    # A change the cache does not hear about, as in another server process.
    Stream.objects.filter(pk=live.pk).update(is_chat_enabled=False)
    response = say(bob_client, alice, "second")
    assert (response.status_code, response.json()["code"]) == (403, "chat_disabled")
