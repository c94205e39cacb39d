"""The bell, /notifications/ (list, mark read), the email setting and the one-click
unsubscribe link of go-live emails."""

from __future__ import annotations

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from django.utils import timezone

from social import emails
from social.models import Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def notify(recipient, channel, *, broadcast: str = "b1", read: bool = False, **fields):
    return Notification.objects.create(
        recipient=recipient,
        channel=channel,
        broadcast=broadcast,
        title=fields.pop("title", "A stream"),
        read_at=timezone.now() if read else None,
        **fields,
    )


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def bell(response) -> str | None:
    """The unread count on the bell, "" for none; None when there is no bell."""
    found = soup(response).select_one("[data-bell]")
    if found is None:
        return None
    count = found.select_one("[data-bell-count]")
    return count.get_text(strip=True) if count else ""


def test_the_bell_shows_the_unread_count_on_every_page(bob_client, alice, bob):
    assert bell(bob_client.get("/")) == ""
    notify(bob, alice, broadcast="b1")
    notify(bob, alice, broadcast="b2")
    notify(bob, alice, broadcast="b3", read=True)
    notify(alice, bob)  # someone else's
    for url in ["/", "/alice/", "/notifications/", "/u/bob/"]:
        assert bell(bob_client.get(url)) == "2", url
    assert "Notifications, 2 unread" in bob_client.get("/").content.decode()


def test_guests_have_no_bell(guest_client, alice):
    assert bell(guest_client.get("/")) is None
    assert bell(guest_client.get("/alice/")) is None


def test_the_bell_count_stops_at_99_plus(bob_client, alice, bob):
    Notification.objects.bulk_create(
        Notification(recipient=bob, channel=alice, broadcast=f"b{n}") for n in range(120)
    )
    assert bell(bob_client.get("/")) == "99+"


def test_the_list_shows_the_newest_first_with_links_to_the_channels(bob_client, alice, bob):
    dave = UserFactory(username="dave")
    old = notify(bob, dave, title="Yesterday's stream", read=True)
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=1))
    notify(bob, alice, title="Any% speedrun")
    page = soup(bob_client.get("/notifications/"))
    items = page.select(".notification")
    assert [item.select_one("a")["href"] for item in items] == ["/alice/", "/dave/"]
    assert "alice went live: Any% speedrun" in " ".join(items[0].get_text().split())
    assert "notification-unread" in items[0]["class"]
    assert "notification-unread" not in items[1]["class"]


def test_the_list_is_paginated(bob_client, alice, bob):
    Notification.objects.bulk_create(
        Notification(recipient=bob, channel=alice, broadcast=f"b{n}") for n in range(25)
    )
    assert len(soup(bob_client.get("/notifications/")).select(".notification")) == 20
    assert len(soup(bob_client.get("/notifications/?page=2")).select(".notification")) == 5


def test_the_list_needs_a_log_in(guest_client):
    response = guest_client.get("/notifications/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_marking_one_read_lowers_the_count(bob_client, alice, bob):
    first, second = notify(bob, alice, broadcast="b1"), notify(bob, alice, broadcast="b2")
    response = bob_client.post(f"/notifications/{first.pk}/read/", {"page": "2"})
    assert (response.status_code, response["Location"]) == (302, "/notifications/?page=2")
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None
    assert second.read_at is None
    assert bell(bob_client.get("/")) == "1"


def test_nobody_marks_someone_elses_notification_read(client_for, alice, bob):
    mine = notify(bob, alice)
    response = client_for(alice).post(f"/notifications/{mine.pk}/read/")
    assert response.status_code == 404
    mine.refresh_from_db()
    assert mine.read_at is None


def test_mark_all_read(bob_client, alice, bob):
    for n in range(3):
        notify(bob, alice, broadcast=f"b{n}")
    theirs = notify(alice, bob)
    assert bob_client.post("/notifications/read-all/").status_code == 302
    assert not Notification.objects.filter(recipient=bob, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert bell(bob_client.get("/")) == ""


def test_marking_read_is_a_post_with_a_csrf_token(bob, alice):
    notification = notify(bob, alice)
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)
    assert client.get(f"/notifications/{notification.pk}/read/").status_code == 405
    assert client.post(f"/notifications/{notification.pk}/read/").status_code == 403
    assert client.post("/notifications/read-all/").status_code == 403
    notification.refresh_from_db()
    assert notification.read_at is None


def test_the_settings_page_turns_go_live_emails_on_and_off(bob_client, bob):
    page = soup(bob_client.get("/notifications/settings/"))
    assert page.select_one("input[name=go_live_emails]").get("checked") is None
    response = bob_client.post("/notifications/settings/", {"go_live_emails": "on"}, follow=True)
    assert "Go-live emails on." in response.content.decode()
    bob.refresh_from_db()
    assert bob.go_live_emails
    bob_client.post("/notifications/settings/", {})
    bob.refresh_from_db()
    assert not bob.go_live_emails


def test_turning_emails_off_drops_the_ones_not_sent_yet(bob_client, alice, bob):
    notify(bob, alice, email_pending=True)
    bob_client.post("/notifications/settings/", {})
    assert not Notification.objects.filter(email_pending=True).exists()


@pytest.fixture
def subscribed_bob(bob):
    type(bob).objects.filter(pk=bob.pk).update(go_live_emails=True)
    bob.refresh_from_db()
    return bob


def unsubscribe_url(user) -> str:
    return f"/notifications/unsubscribe/{emails.unsubscribe_token(user)}/"


def test_the_unsubscribe_link_asks_first_and_changes_nothing_on_get(subscribed_bob):
    response = Client().get(unsubscribe_url(subscribed_bob))
    assert response.status_code == 200
    form = soup(response).select_one("main form")
    assert form["method"] == "post"
    assert form.get("action") is None  # posts to the link itself
    subscribed_bob.refresh_from_db()
    assert subscribed_bob.go_live_emails


def test_one_click_unsubscribes_without_a_log_in_or_a_csrf_token(subscribed_bob):
    # RFC 8058: the mail program POSTs "List-Unsubscribe=One-Click" to the link.
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        unsubscribe_url(subscribed_bob),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert "gets no more go-live emails" in response.content.decode()
    subscribed_bob.refresh_from_db()
    assert not subscribed_bob.go_live_emails


@pytest.mark.parametrize(
    "token",
    ["nonsense", "cut-short:", "{user_id}:forged-signature", "{other_token}"],
    ids=["garbage", "cut-short", "forged", "signed-for-another-purpose"],
)
def test_a_bad_unsubscribe_link_says_so_and_changes_nothing(subscribed_bob, token):
    from django.core import signing

    token = token.format(
        user_id=subscribed_bob.pk,
        other_token=signing.Signer(salt="another.purpose").sign(str(subscribed_bob.pk)),
    )
    for method in ("get", "post"):
        response = getattr(Client(), method)(f"/notifications/unsubscribe/{token}/")
        assert response.status_code == 400
        assert "This unsubscribe link is not valid" in response.content.decode()
    subscribed_bob.refresh_from_db()
    assert subscribed_bob.go_live_emails


def test_notifications_is_not_a_username(guest_client):
    response = guest_client.post(
        "/accounts/signup/",
        {
            "username": "notifications",
            "email": "n@example.com",
            "password1": "a-long-password-1",
            "password2": "a-long-password-1",
        },
    )
    assert "reserved" in response.content.decode()


def test_blocking_removes_notifications_both_ways(alice_client, alice, bob):
    notify(bob, alice)
    notify(alice, bob)
    alice_client.post("/bob/block/")
    assert not Notification.objects.exists()
