"""The embeds (/embed/<username>/ and /embed/<username>/chat/): the only pages other sites
may frame, showing the channel under the channel page's rules."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError
from django.test import Client

from accounts.validators import validate_username_not_reserved
from streams.models import ChatBan, ChatMessage, Stream
from tests.conftest import guest_of
from tests.factories import ChatMessageFactory

pytestmark = pytest.mark.django_db


def _soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def _frame_headers(response) -> tuple[str | None, str | None]:
    return response.headers.get("X-Frame-Options"), response.headers.get("Content-Security-Policy")


@pytest.mark.parametrize("path", ["/embed/alice/", "/embed/alice/chat/"])
def test_any_site_may_frame_the_embeds(guest_client, bob_client, alice, path):
    for client in [guest_client, bob_client]:
        assert _frame_headers(client.get(path)) == (None, "frame-ancestors *")


@pytest.mark.parametrize("path", ["/alice/", "/", "/u/alice/", "/accounts/login/"])
def test_every_other_page_refuses_to_be_framed(alice_client, guest_client, path):
    client = alice_client if path.startswith("/u/") else guest_client
    response = client.get(path)
    assert response.status_code == 200
    x_frame, policy = _frame_headers(response)
    assert x_frame == "DENY"
    assert "frame-ancestors *" not in (policy or "")


def test_the_player_embed_is_the_channel_player_with_a_link_to_the_channel(guest_client, alice):
    Stream.objects.filter(user=alice).update(is_live=True, title="Any% run")
    soup = _soup(guest_client.get("/embed/alice/"))
    assert soup.select_one("[data-player] video[muted][playsinline]")
    assert soup.select_one(".badge-live:not([hidden])").get_text() == "LIVE"
    link = soup.select_one("a.embed-channel")
    assert (link["href"], link["target"], link["rel"]) == ("/alice/", "_blank", ["noopener"])
    assert soup.select_one(".embed-title").get_text() == "Any% run"
    assert soup.select_one("[data-uptime]:not([hidden])").get_text().startswith("Live for ")
    assert soup.select_one("#channel-data")
    assert not soup.select_one(".topbar, .sidebar")  # the frame is the player only


def test_an_offline_player_embed_says_so(guest_client, alice):
    soup = _soup(guest_client.get("/embed/alice/"))
    assert soup.select_one(".badge-offline:not([hidden])")
    offline = soup.select_one("[data-player-offline]").get_text(" ", strip=True)
    assert offline.endswith("alice is offline")
    assert soup.select_one("[data-last-live]:not([hidden])").get_text().startswith("Last live ")


@pytest.mark.parametrize("path", ["/embed/alice/", "/embed/alice/chat/"])
def test_a_viewer_blocked_by_the_host_gets_the_channel_pages_404(carol_client, path):
    blocked = carol_client.get(path)
    assert blocked.status_code == carol_client.get("/alice/").status_code == 404
    assert blocked.status_code == carol_client.get("/embed/nobody/").status_code


def test_a_guests_chat_embed_shows_the_history_and_a_sign_in_link_but_no_form(guest_client, live):
    ChatMessageFactory(stream=live, text="first!")
    soup = _soup(guest_client.get("/embed/alice/chat/"))
    assert "first!" in soup.select_one("[data-chat-messages]").get_text()
    assert soup.select_one("form") is None
    link = soup.find("a", string="Sign in to chat")
    assert link["href"] == "/accounts/login/?next=/alice/"
    assert (link["target"], link["rel"]) == ("_blank", ["noopener"])


def test_a_signed_in_viewer_chats_in_the_embed_with_their_session_and_csrf_token(bob, live, alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)
    soup = _soup(client.get("/embed/alice/chat/"))
    token = soup.select_one("[data-chat-form] input[name=csrfmiddlewaretoken]")["value"]
    url = f"/api/stream/{alice.pk}/chat"
    refused = client.post(url, {"message": "no token"})
    assert refused.status_code == 403
    sent = client.post(url, {"message": "hi from the embed"}, HTTP_X_CSRFTOKEN=token)
    assert sent.status_code == 201
    assert list(ChatMessage.objects.values_list("text", flat=True)) == ["hi from the embed"]


def test_a_banned_guest_is_told_so_by_both_embeds(live, alice_client, alice):
    guest = Client()
    guest.get(f"/api/stream/token/{alice.pk}")
    ChatBan.objects.create(host=alice, guest_identity=guest_of(guest).person, kind="ban")
    chat = _soup(guest.get("/embed/alice/chat/"))
    assert chat.find(string="You are banned from this chat.")
    assert not chat.find("a", string="Sign in to chat")
    player = _soup(guest.get("/embed/alice/"))
    assert player.find(string="You are banned from this channel.")
    assert player.select_one("#channel-data") is None  # no player trying to join


def test_a_warm_guest_embed_runs_no_query_and_shows_the_chat_as_it_is_now(
    guest_client, bob, live, django_assert_num_queries
):
    for path in ["/embed/alice/", "/embed/alice/chat/"]:
        guest_client.get(path)
        with django_assert_num_queries(0):
            assert guest_client.get(path).status_code == 200
    ChatMessageFactory(stream=live, user=bob, text="new message")
    with django_assert_num_queries(1):  # the chat history, dropped by the new message
        soup = _soup(guest_client.get("/embed/alice/chat/"))
    assert "new message" in soup.select_one("[data-chat-messages]").get_text()


def test_the_dashboard_offers_both_iframe_codes_with_absolute_urls(alice_client):
    soup = _soup(alice_client.get("/u/alice/"))
    player = soup.select_one("#embed-player")["value"]
    chat = soup.select_one("#embed-chat")["value"]
    assert player.startswith('<iframe src="http://testserver/embed/alice/" title="alice')
    assert chat.startswith('<iframe src="http://testserver/embed/alice/chat/" title="alice')
    assert soup.select_one("label[for=embed-player]")
    assert soup.select_one("[data-copy=embed-chat]")


def test_embed_is_no_username_so_no_channel_hides_the_embeds():
    with pytest.raises(ValidationError):
        validate_username_not_reserved("Embed")
