"""With a cache every server process shares (settings.CACHE_IS_SHARED), a signed-in request
reads its session, its user, the viewer's ties and unread count from it (accounts.cache,
streams.page_cache.ties, social.unread): a log-out, a password change, a block or a
notification still shows on the very next request, in this process and in another."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection
from django.test import Client

from accounts.cache import _key as user_key
from social import services
from social.models import Notification
from social.selectors import unread_count_label
from tests.factories import PASSWORD

CACHED_DB = "accounts.sessions"  # cached_db, read ahead by the signed-in pages


@pytest.fixture
def shared_cache(settings):
    settings.CACHE_IS_SHARED = True
    settings.SESSION_ENGINE = CACHED_DB
    cache.clear()
    yield
    cache.clear()


def _signed_in(client: Client) -> bool:
    return client.get("/notifications/").status_code == 200


def _logged_in_client(user) -> Client:
    client = Client()
    assert client.post("/accounts/login/", {"login": user.username, "password": PASSWORD})
    return client


@pytest.mark.django_db
def test_after_logout_the_old_session_cookie_is_a_guest_at_once(shared_cache, bob):
    client = _logged_in_client(bob)
    assert _signed_in(client)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert cache.get(user_key(bob.pk)) is not None  # the user is read from the cache

    client.post("/accounts/logout/")

    old = Client()
    old.cookies[django_settings.SESSION_COOKIE_NAME] = cookie
    assert not _signed_in(old)


@pytest.mark.django_db
def test_a_password_change_ends_the_other_sessions_at_once(shared_cache, bob):
    other, client = _logged_in_client(bob), _logged_in_client(bob)
    assert _signed_in(other)
    bob.set_password("another-strong-password-7")
    bob.save()
    assert not _signed_in(other)
    assert not _signed_in(client)


@pytest.mark.django_db
def test_the_kept_user_holds_no_password_hash_nor_email(shared_cache, bob):
    client = _logged_in_client(bob)
    assert _signed_in(client)
    kept = cache.get(user_key(bob.pk))
    assert "password" not in kept.__dict__ and "email" not in kept.__dict__
    # Read from the database when a page asks for them.
    assert kept.email == bob.email and kept.check_password(PASSWORD)


@pytest.mark.django_db
def test_a_block_shows_on_the_blocked_viewers_next_request(shared_cache, alice, bob):
    client = _logged_in_client(bob)
    assert client.get(f"/api/stream/token/{alice.pk}").status_code == 200
    services.block_create(blocker=alice, blocked=bob)
    assert client.get(f"/api/stream/token/{alice.pk}").status_code == 403
    assert client.get("/alice/").status_code == 404
    services.block_delete(blocker=alice, blocked=bob)
    assert client.get(f"/api/stream/token/{alice.pk}").status_code == 200


SIGNED_IN_ELSEWHERE = """
import sys, django
django.setup()
from django.conf import settings
from django.test import Client
client = Client()
client.cookies[settings.SESSION_COOKIE_NAME] = sys.argv[1]
print(client.get("/notifications/").status_code)
"""


@pytest.mark.django_db(transaction=True)
def test_after_logout_another_process_sharing_the_cache_sees_a_guest(settings, bob, tmp_path):
    """Two processes on one file cache (shared as Redis is), each with its own memory."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }
    settings.CACHE_IS_SHARED, settings.SESSION_ENGINE = True, CACHED_DB
    client = _logged_in_client(bob)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    database = connection.settings_dict
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": url,
        "CACHE_URL": f"filecache://{tmp_path / 'cache'}",
        "DJANGO_CACHE_SHARED": "true",
    }

    def status_elsewhere() -> str:
        command = [sys.executable, "-c", SIGNED_IN_ELSEWHERE, cookie]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout.split()[-1]

    assert status_elsewhere() == "200"  # the other process read (and kept) the session
    client.post("/accounts/logout/")
    assert status_elsewhere() == "302"  # to the log-in page: a guest


@pytest.mark.django_db
def test_the_bells_count_follows_every_notification_write(shared_cache, alice, bob):
    def bell() -> str:
        return unread_count_label(bob)

    assert bell() == ""  # kept now
    services.notify_followers_live(channel=alice, broadcast="one", title="Live")
    assert bell() == "1"
    services.notifications_mark_all_read(user=bob)
    assert bell() == ""
    services.notify_followers_live(channel=alice, broadcast="two", title="Live again")
    only = Notification.objects.get(recipient=bob, broadcast="two")
    assert bell() == "1"
    services.notification_mark_read(user=bob, notification_id=only.pk)
    assert bell() == ""
    services.notify_followers_live(channel=alice, broadcast="three", title="And again")
    assert bell() == "1"
    services.block_create(blocker=bob, blocked=alice)  # deletes the notifications between them
    assert bell() == ""


@pytest.mark.django_db
def test_the_chat_history_api_shows_a_new_and_a_deleted_message_at_once(
    shared_cache, live, alice, bob_client, alice_client, guest_client
):
    url = f"/api/stream/{alice.pk}/chat"

    def texts() -> list[str]:
        return [m["text"] for m in guest_client.get(url).json()["messages"]]

    assert texts() == []  # kept now
    sent = bob_client.post(url, {"message": "hello"}).json()
    assert texts() == ["hello"]
    assert alice_client.post(f"{url}/{sent['id']}/delete").status_code == 200
    assert texts() == []
