"""What the site lets a shared cache in front of it keep (streams/public_cache.py): the
pages and APIs every guest gets alike, for PUBLIC_CACHE_SECONDS, and nothing of a viewer
with a session or a flash message. The proxy itself: tests/test_proxy.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory

from streams.public_cache import public_for_guests

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(alice, bob):
    """The addresses a proxy may share between guests."""
    api = f"/api/stream/{alice.pk}"
    return ["/", "/alice/", api, f"{api}/chat", f"/api/live?ids={alice.pk},{bob.pk}"]


def _directives(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part}


def test_a_guest_gets_the_shared_pages_and_apis_public_for_two_seconds(shared):
    for url in shared:
        response = Client().get(url)
        assert response.status_code == 200
        assert _directives(response) == {"public", "max-age=0", "s-maxage=2"}, url
        assert "Cookie" in response["Vary"]
        assert not response.cookies, url


def test_every_guest_gets_the_very_same_pages_with_no_csrf_token_in_them(live, shared):
    for url in shared:
        first, second = Client().get(url), Client().get(url)
        assert first.content == second.content, url
        assert b"csrfmiddlewaretoken" not in first.content


def test_a_signed_in_viewers_pages_are_private(bob_client, shared):
    for url in shared:
        response = bob_client.get(url)
        assert response.status_code == 200
        assert "private" in _directives(response), url
        assert "public" not in _directives(response)
        assert "s-maxage" not in response["Cache-Control"]


def test_a_guest_with_a_flash_message_waiting_is_not_served_a_public_page(bob_client):
    bob_client.post("/accounts/logout/")
    assert "sessionid" not in {k for k, v in bob_client.cookies.items() if v.value}
    response = bob_client.get("/")
    assert "You have signed out." in response.content.decode()
    assert "public" not in _directives(response)


def test_a_guest_with_a_session_cookie_of_no_session_gets_private_pages(alice):
    guest = Client()
    guest.cookies["sessionid"] = "no-such-session"
    response = guest.get("/alice/")
    assert response.status_code == 200
    assert "private" in _directives(response)


def test_nothing_is_public_when_the_setting_is_zero(settings, shared):
    settings.PUBLIC_CACHE_SECONDS = 0
    for url in shared:
        assert "public" not in _directives(Client().get(url)), url


def test_the_seconds_come_from_the_setting(settings, alice):
    settings.PUBLIC_CACHE_SECONDS = 5
    assert "s-maxage=5" in _directives(Client().get("/alice/"))


def test_errors_tokens_and_chat_posts_are_never_public(guest_client, live):
    for url in [
        "/nobody-here/",
        "/api/live?ids=not-an-id",
        f"/api/stream/token/{live.user.pk}",
        "/search/?term=alice",
    ]:
        assert "public" not in _directives(guest_client.get(url)), url
    chat = f"/api/stream/{live.user.pk}/chat"
    guest_client.get(f"/api/stream/token/{live.user.pk}")  # a guest's chat needs its cookies
    csrf = guest_client.cookies["csrftoken"].value
    sent = guest_client.post(
        chat, {"message": "hi"}, content_type="application/json", HTTP_X_CSRFTOKEN=csrf
    )
    assert sent.status_code == 201, sent.content
    assert "public" not in _directives(sent)


def test_an_answer_that_sets_a_cookie_or_used_a_csrf_token_is_not_made_public():
    @public_for_guests
    def with_token(request):
        return HttpResponse(get_token(request))

    @public_for_guests
    def with_cookie(request):
        response = HttpResponse("hi")
        response.set_cookie("seen", "1")
        return response

    for view in (with_token, with_cookie):
        response = view(RequestFactory().get("/"))
        assert "public" not in _directives(response)
        assert "Cookie" in response["Vary"]


def test_the_proxy_skips_its_cache_for_the_very_cookies_the_site_counts_as_personal(settings):
    template = (Path(__file__).parent.parent / "deploy" / "nginx.conf").read_text()
    skipped = set(re.findall(r"\$cookie_(\w+)", template))
    assert skipped == {settings.SESSION_COOKIE_NAME, CookieStorage.cookie_name}
