"""Sign up, log in, log out and password reset through django-allauth."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from tests.factories import PASSWORD

User = get_user_model()

pytestmark = pytest.mark.django_db


def _signup(client, username: str, email: str = "new@example.com"):
    return client.post(
        "/accounts/signup/",
        {
            "username": username,
            "email": email,
            "password1": "a-strong-password-42",
            "password2": "a-strong-password-42",
        },
    )


def test_signing_up_creates_the_user_with_a_stream_and_logs_them_in(guest_client):
    response = _signup(guest_client, "newbie")
    assert response.status_code == 302
    user = User.objects.get(username="newbie")
    assert user.stream.title == "newbie's stream"
    assert guest_client.get("/").context["user"] == user


def test_signing_up_with_a_reserved_username_shows_an_error_and_creates_nothing(guest_client):
    response = _signup(guest_client, "admin")
    assert response.status_code == 200
    assert "reserved" in response.content.decode()
    assert not User.objects.filter(username__iexact="admin").exists()


def test_signing_up_with_a_taken_username_in_other_case_is_refused(guest_client, alice):
    response = _signup(guest_client, "ALICE")
    assert response.status_code == 200
    assert User.objects.filter(username__iexact="alice").count() == 1


def test_a_user_logs_in_with_username_or_email(client, alice):
    response = client.post("/accounts/login/", {"login": "alice", "password": PASSWORD})
    assert response.status_code == 302
    client.logout()
    response = client.post("/accounts/login/", {"login": "alice@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").context["user"] == alice


def test_a_wrong_password_is_refused(client, alice):
    response = client.post("/accounts/login/", {"login": "alice", "password": "nope"})
    assert response.status_code == 200
    assert response.context["user"].is_anonymous


def test_log_out_needs_a_post(alice_client):
    alice_client.post("/accounts/logout/")
    assert alice_client.get("/").context["user"].is_anonymous


def test_password_reset_sends_an_email(client, alice):
    response = client.post("/accounts/password/reset/", {"email": "alice@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "alice@example.com" in mail.outbox[0].to
