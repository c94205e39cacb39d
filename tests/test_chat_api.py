"""GET/POST /api/stream/<host_id>/chat and the host's moderation endpoints: every rule is
enforced on the server."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from django.utils import timezone

from social.models import Block, Follow
from streams.models import ChatBan, ChatMessage, Stream
from tests.conftest import guest_of
from tests.factories import FollowFactory, ModeratorFactory, UserFactory

pytestmark = pytest.mark.django_db


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


def test_a_guest_with_an_identity_can_chat(live, alice):
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
    Stream.objects.filter(pk=live.pk).update(followers_only_minutes=0, slow_mode_seconds=3)
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
    Stream.objects.filter(pk=live.pk).update(followers_only_minutes=0)
    dave = client_for(UserFactory(username="dave"))
    for client in [dave, guest_with_identity(alice)]:
        response = say(client, alice)
        assert (response.status_code, response.json()["code"]) == (403, "followers_only")
        assert (
            response.json()["detail"] == "Only followers of alice can chat: follow alice to chat."
        )
    assert say(bob_client, alice).status_code == 201  # bob follows alice


def test_followers_only_with_an_age_tells_a_non_follower_how_long_after_following(
    live, client_for, alice
):
    Stream.objects.filter(pk=live.pk).update(followers_only_minutes=60)
    response = say(client_for(UserFactory(username="dave")), alice)
    assert response.json() == {
        "code": "followers_only",
        "detail": "Only followers of alice can chat, once they have followed for 1 hour: "
        "follow alice and you can chat in 1 hour.",
    }


def test_a_blocked_viewer_is_refused(live, carol_client, alice):
    response = say(carol_client, alice)
    assert response.status_code == 403
    assert response.json()["code"] == "blocked"
    assert carol_client.get(chat_url(alice)).status_code == 403


def test_slow_mode_refuses_a_second_message_within_3_seconds(live, bob_client, alice):
    Stream.objects.filter(pk=live.pk).update(slow_mode_seconds=3)
    assert say(bob_client, alice, "first").status_code == 201
    response = say(bob_client, alice, "second")
    assert response.status_code == 429
    assert response.json()["code"] == "slow_mode"
    assert 1 <= int(response["Retry-After"]) <= 3
    assert ChatMessage.objects.count() == 1


def test_slow_mode_is_per_sender(live, bob_client, client_for, alice):
    Stream.objects.filter(pk=live.pk).update(slow_mode_seconds=3)
    dave = UserFactory(username="dave")
    assert say(bob_client, alice).status_code == 201
    assert say(client_for(dave), alice).status_code == 201


def test_slow_mode_lets_a_message_through_after_the_cooldown(live, bob_client, alice, bob):
    Stream.objects.filter(pk=live.pk).update(slow_mode_seconds=3)
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


def test_only_the_host_and_moderators_delete(live, bob_client, alice):
    message_id = say(bob_client, alice).json()["id"]
    response = bob_client.post(f"/api/stream/{alice.pk}/chat/{message_id}/delete")
    assert (response.status_code, response.json()["code"]) == (403, "not_moderator")
    assert not ChatMessage.objects.get(pk=message_id).is_deleted


def test_the_host_bans_a_signed_in_viewer_by_blocking_them(
    live, alice_client, bob_client, alice, bob
):
    body = json.dumps({"person": str(bob.pk)})
    response = alice_client.post(f"/api/stream/{alice.pk}/ban", body, "application/json")
    assert response.status_code == 200
    assert response.json()["banned"] == "bob"
    assert Block.objects.filter(blocker=alice, blocked=bob).exists()
    assert say(bob_client, alice).status_code == 403
    assert bob_client.get("/alice/").status_code == 404


def test_viewers_cannot_ban_and_unknown_people_are_404(live, alice_client, bob_client, alice):
    dave = UserFactory(username="dave")
    body = json.dumps({"person": str(dave.pk)})
    response = bob_client.post(f"/api/stream/{alice.pk}/ban", body, "application/json")
    assert (response.status_code, response.json()["code"]) == (403, "not_moderator")
    for person in ["guest-abc", "00000000-0000-0000-0000-000000000000", None]:
        body = json.dumps({"person": person})
        response = alice_client.post(f"/api/stream/{alice.pk}/ban", body, "application/json")
        assert response.status_code == 404
    assert not Block.objects.exists()


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


def test_the_rendered_history_escapes_every_field_and_shows_badges(
    live, bob_client, alice_client, alice, bob
):
    say(bob_client, alice, "<script>alert(1)</script> & \" '")
    say(alice_client, alice, "welcome")
    soup = BeautifulSoup(Client().get("/alice/").content, "html.parser")
    first, second = soup.select("[data-chat-messages] .chat-message")
    assert first.select_one(".chat-text").get_text() == "<script>alert(1)</script> & \" '"
    assert not soup.select("[data-chat-messages] script")
    assert first["data-user-name"] == "bob" and first["data-badge"] == ""
    assert second.select_one(".chat-badge-host").get_text() == "Host"
    assert second["data-user-id"] == str(alice.pk)
    assert second.select_one(".chat-time")["datetime"].startswith(str(timezone.now().year))


def test_followers_can_chat_in_followers_only_after_following(live, client_for, alice):
    dave = UserFactory(username="dave")
    client = client_for(dave)
    Stream.objects.filter(pk=live.pk).update(followers_only_minutes=0)
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


# ---------------------------------------------------------------- configurable chat rules


def backdate(model, pk, **ago) -> None:
    """Move a row's created_at into the past (no waiting in tests)."""
    model.objects.filter(pk=pk).update(created_at=timezone.now() - timezone.timedelta(**ago))


@pytest.mark.parametrize("seconds", [3, 5, 10, 30, 60, 120])
def test_slow_mode_holds_each_sender_for_the_chosen_seconds(live, bob_client, alice, seconds):
    Stream.objects.filter(pk=live.pk).update(slow_mode_seconds=seconds)
    first = say(bob_client, alice, "first").json()["id"]
    backdate(ChatMessage, first, seconds=seconds - 1)
    response = say(bob_client, alice, "too soon")
    assert (response.status_code, response.json()["code"]) == (429, "slow_mode")
    assert 1 <= int(response["Retry-After"]) <= seconds
    backdate(ChatMessage, first, seconds=seconds + 1)
    assert say(bob_client, alice, "in time").status_code == 201


def test_slow_mode_off_lets_messages_follow_each_other(live, bob_client, alice):
    assert say(bob_client, alice, "one").status_code == 201
    assert say(bob_client, alice, "two").status_code == 201


AGES = [(10, "10 minutes"), (60, "1 hour"), (1440, "1 day"), (10080, "7 days"), (43200, "30 days")]


@pytest.mark.parametrize(("minutes", "age"), AGES)
def test_followers_only_with_an_age_tells_a_new_follower_when_they_can_chat(
    live, bob_client, alice, bob, minutes, age
):
    Stream.objects.filter(pk=live.pk).update(followers_only_minutes=minutes)
    follow = Follow.objects.get(follower=bob, following=alice)
    backdate(Follow, follow.pk, minutes=minutes - 1)
    response = say(bob_client, alice)
    assert (response.status_code, response.json()["code"]) == (403, "followers_only")
    answer = response.json()
    assert answer["detail"] == (
        f"Only followers of alice can chat, once they have followed for {age}: "
        "you can chat in 1 minute."
    )
    assert "UTC" not in answer["detail"]  # the page shows `until` in the reader's time zone
    until = datetime.fromisoformat(answer["until"])
    assert until == Follow.objects.get(pk=follow.pk).created_at + timedelta(minutes=minutes)
    assert 1 <= int(response["Retry-After"]) <= 60
    backdate(Follow, follow.pk, minutes=minutes + 1)
    assert say(bob_client, alice).status_code == 201


def test_followers_only_for_any_follower_lets_a_new_follower_chat(live, client_for, alice):
    Stream.objects.filter(pk=live.pk).update(followers_only_minutes=0)
    dave = UserFactory(username="dave")
    FollowFactory(follower=dave, following=alice)
    assert say(client_for(dave), alice).status_code == 201


def test_the_host_and_moderators_are_exempt_from_slow_mode_and_followers_only(
    live, alice_client, client_for, alice
):
    Stream.objects.filter(pk=live.pk).update(slow_mode_seconds=120, followers_only_minutes=43200)
    mod = ModeratorFactory(host=alice, user=UserFactory(username="mod")).user
    for client in [alice_client, client_for(mod)]:
        assert say(client, alice, "one").status_code == 201
        assert say(client, alice, "two").status_code == 201
    # A moderator of another channel is an ordinary chatter here.
    other = ModeratorFactory(user=UserFactory(username="othermod")).user
    response = say(client_for(other), alice)
    assert (response.status_code, response.json()["code"]) == (403, "followers_only")


def test_signed_in_only_refuses_guests_but_not_users(live, bob_client, alice):
    guest = guest_with_identity(alice)
    assert say(guest, alice).status_code == 201  # off by default
    Stream.objects.filter(pk=live.pk).update(is_chat_signed_in_only=True)
    response = say(guest, alice)
    assert (response.status_code, response.json()["code"]) == (403, "signed_in_only")
    assert say(bob_client, alice).status_code == 201


def test_host_and_moderator_messages_carry_a_badge(
    live, alice_client, bob_client, client_for, alice
):
    mod = ModeratorFactory(host=alice, user=UserFactory(username="mod")).user
    badges = [
        say(client, alice).json()["user"]["badge"]
        for client in [alice_client, client_for(mod), bob_client]
    ]
    assert badges == ["host", "moderator", ""]
    page = Client().get("/alice/").content.decode()
    assert page.count('class="chat-badge chat-badge-host"') == 1
    assert page.count('class="chat-badge chat-badge-moderator"') == 1


# ---------------------------------------------------------------- timeouts and bans


def moderate(client, host, action: str, **body):
    return client.post(f"/api/stream/{host.pk}/{action}", json.dumps(body), "application/json")


def guest_person(guest: Client) -> str:
    return guest_of(guest).person


@pytest.mark.parametrize("seconds", [60, 600, 3600, 86400])
def test_a_timed_out_chatter_is_refused_until_it_ends(
    live, alice_client, bob_client, alice, bob, seconds
):
    response = moderate(alice_client, alice, "timeout", person=str(bob.pk), seconds=seconds)
    assert response.status_code == 200
    response = say(bob_client, alice)
    assert (response.status_code, response.json()["code"]) == (403, "timed_out")
    assert "timed out until" in response.json()["detail"]
    assert seconds - 60 < int(response["Retry-After"]) <= seconds
    ChatBan.objects.update(expires_at=timezone.now() - timezone.timedelta(seconds=1))
    assert say(bob_client, alice).status_code == 201  # it ended on its own


def test_a_timeout_lasts_one_of_the_offered_durations(live, alice_client, alice, bob):
    response = moderate(alice_client, alice, "timeout", person=str(bob.pk), seconds=5)
    assert (response.status_code, response.json()["code"]) == (400, "invalid_duration")
    assert not ChatBan.objects.exists()


def test_a_guest_timeout_also_holds_on_a_new_session_from_the_same_address(
    live, alice_client, alice
):
    guest = guest_with_identity(alice)
    assert say(guest, alice).status_code == 201
    moderate(alice_client, alice, "timeout", person=guest_person(guest), seconds=600)
    for client in [guest, guest_with_identity(alice)]:
        assert say(client, alice).json()["code"] == "timed_out"


def test_a_banned_guest_is_refused_chat_and_a_token(live, alice_client, alice):
    guest = guest_with_identity(alice)
    assert say(guest, alice).status_code == 201
    response = moderate(alice_client, alice, "ban", person=guest_person(guest))
    assert response.status_code == 200
    response = say(guest, alice)
    assert (response.status_code, response.json()["code"]) == (403, "banned")
    token = guest.get(f"/api/stream/token/{alice.pk}")
    assert (token.status_code, token.json()["code"]) == (403, "banned")


def test_a_guest_ban_survives_a_new_session_from_the_same_address_for_a_while(
    live, alice_client, bob_client, alice
):
    guest = guest_with_identity(alice)
    assert say(guest, alice).status_code == 201
    moderate(alice_client, alice, "ban", person=guest_person(guest))
    new_session = guest_with_identity(alice)  # same address (the test client's 127.0.0.1)
    response = say(new_session, alice)
    assert (response.status_code, response.json()["code"]) == (403, "banned")
    from_elsewhere = guest_with_identity(alice)
    response = from_elsewhere.post(chat_url(alice), {"message": "hi"}, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 201  # another network: not this ban's business
    assert say(bob_client, alice).status_code == 201  # signed-in people at the address
    ChatBan.objects.update(network_expires_at=timezone.now() - timezone.timedelta(seconds=1))
    assert say(new_session, alice).status_code == 201  # the network part ends on its own
    assert say(guest, alice).json()["code"] == "banned"  # the identity part does not


def test_a_ban_in_one_channel_is_no_ban_in_another(live, alice_client, client_for, alice, bob):
    dave = UserFactory(username="dave")
    Stream.objects.filter(user=dave).update(is_live=True)
    guest = guest_with_identity(alice)
    say(guest, alice)
    moderate(alice_client, alice, "ban", person=guest_person(guest))
    moderate(alice_client, alice, "timeout", person=str(bob.pk), seconds=600)
    assert say(guest, dave).status_code == 201
    assert say(client_for(bob), dave).status_code == 201


# ---------------------------------------------------------------- flood limit


def test_one_person_sends_at_most_20_messages_in_30_seconds_across_channels(
    live, bob_client, alice
):
    dave = UserFactory(username="dave")
    Stream.objects.filter(user=dave).update(is_live=True)
    for n in range(20):
        assert say(bob_client, alice if n % 2 else dave, f"m{n}").status_code == 201
    for host in [alice, dave]:
        response = say(bob_client, host, "one too many")
        assert (response.status_code, response.json()["code"]) == (429, "rate_limited")
        assert 1 <= int(response["Retry-After"]) <= 31
    assert ChatMessage.objects.count() == 20


def test_the_flood_limit_is_per_person(live, bob_client, client_for, alice):
    for n in range(20):
        say(bob_client, alice, f"m{n}")
    assert say(client_for(UserFactory(username="dave")), alice).status_code == 201


def test_the_flood_limit_holds_a_guests_identity_and_address(live, alice):
    guest = guest_with_identity(alice)
    for n in range(20):
        assert say(guest, alice, f"m{n}").status_code == 201
    assert say(guest, alice).json()["code"] == "rate_limited"
    assert say(guest_with_identity(alice), alice).json()["code"] == "rate_limited"
    elsewhere = guest.post(chat_url(alice), {"message": "x"}, REMOTE_ADDR="203.0.113.9")
    assert elsewhere.json()["code"] == "rate_limited"  # the identity's count
    new_guest = guest_with_identity(alice)
    response = new_guest.post(chat_url(alice), {"message": "x"}, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 201


def test_the_host_and_moderators_are_exempt_from_the_flood_limit_in_their_channel(
    live, alice_client, client_for, alice
):
    mod = ModeratorFactory(host=alice, user=UserFactory(username="mod")).user
    for client in [alice_client, client_for(mod)]:
        for n in range(25):
            assert say(client, alice, f"m{n}").status_code == 201


def test_refused_messages_do_not_use_up_the_flood_limit(live, bob_client, alice):
    for _ in range(25):
        assert say(bob_client, alice, "").status_code == 400
    Stream.objects.filter(pk=live.pk).update(is_chat_enabled=False)
    for _ in range(5):
        assert say(bob_client, alice).status_code == 403
    Stream.objects.filter(pk=live.pk).update(is_chat_enabled=True)
    for n in range(20):
        assert say(bob_client, alice, f"m{n}").status_code == 201


class FakeClock:
    """streams.flood's clock, moved by the test instead of waited for."""

    def __init__(self, monkeypatch):
        self.now = 1_900_000_000.0
        monkeypatch.setattr("streams.flood.time.time", lambda: self.now)


def test_the_flood_limit_frees_up_as_messages_leave_the_window(
    live, bob_client, alice, monkeypatch
):
    clock = FakeClock(monkeypatch)
    for n in range(20):
        assert say(bob_client, alice, f"m{n}").status_code == 201
    clock.now += 1
    for _ in range(5):  # refused by the limit, so not counted against it
        assert say(bob_client, alice, "refused").json()["code"] == "rate_limited"
    clock.now += 29
    response = say(bob_client, alice, "still too soon")
    assert (response.status_code, int(response["Retry-After"])) == (429, 1)
    clock.now += 1.5  # the first twenty are more than 30 s old
    for n in range(20):
        assert say(bob_client, alice, f"again {n}").status_code == 201
    assert say(bob_client, alice).json()["code"] == "rate_limited"
