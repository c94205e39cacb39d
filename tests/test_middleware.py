"""The middleware every request goes through: flash messages built only when used
(streamsite/middleware.py), and the security headers every answer keeps."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

FOLLOWED = "You are now following alice."


@pytest.fixture
def dave_client(alice) -> Client:
    client = Client()
    client.force_login(UserFactory(username="dave"))
    return client


def test_a_flash_message_shows_on_the_next_page_once(dave_client):
    assert dave_client.post("/alice/follow/").status_code == 302
    assert FOLLOWED in dave_client.get("/alice/").content.decode()
    assert FOLLOWED not in dave_client.get("/alice/").content.decode()


def test_a_flash_message_waits_through_the_api_calls_the_page_makes(dave_client, alice):
    dave_client.post("/alice/follow/")
    for api in (f"/api/stream/{alice.pk}", f"/api/stream/{alice.pk}/chat", "/robots.txt"):
        response = dave_client.get(api)
        assert response.status_code == 200
        assert "messages" not in response.cookies  # neither stored again nor cleared
    assert FOLLOWED in dave_client.get("/alice/").content.decode()


def test_signing_in_says_so_on_the_next_page(alice):
    browser = Client()
    assert browser.post("/alice/follow/").status_code == 302  # asks to log in: no message
    assert "messages" not in browser.cookies
    dave = UserFactory(username="dave")
    browser.post("/accounts/login/", {"login": dave.username, "password": PASSWORD})
    assert "Successfully signed in as dave." in browser.get("/").content.decode()


@pytest.mark.parametrize("who", ["guest", "signed in"])
def test_api_answers_and_pages_keep_their_security_headers(who, dave_client, alice):
    client = dave_client if who == "signed in" else Client()
    apis = [f"/api/stream/{alice.pk}", f"/api/live?ids={alice.pk}", "/robots.txt"]
    for url in [*apis, "/alice/", "/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["X-Frame-Options"] == "DENY", url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["Referrer-Policy"] == "same-origin", url
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", url
