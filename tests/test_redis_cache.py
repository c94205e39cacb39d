"""The Redis cache backend (streamsite.cache) against a real redis-server: what Django's does,
with one redis-py client per connection pool."""

from __future__ import annotations

import json
import subprocess

import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.core.cache import caches
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client

from devservers.servers import free_port, install_redis, wait_until
from social import services
from social.models import Follow, Notification
from streams.models import ChatMessage, Stream
from tests.factories import UserFactory


@pytest.fixture
def redis_url():
    port = free_port()
    command = [install_redis(), "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    try:
        url = f"redis://127.0.0.1:{port}/1"

        def answers() -> bool:
            try:
                import redis

                return redis.Redis.from_url(url).ping()
            except Exception:
                return False

        wait_until(answers, 10, "redis-server", server)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_redis_cache_stores_counts_and_forgets_with_one_client(settings, redis_url):
    settings.CACHES = {"default": {"BACKEND": "streamsite.cache.RedisCache", "LOCATION": redis_url}}
    cache = caches["default"]
    cache.set("a", {"x": 1}, 30)
    assert cache.get("a") == {"x": 1}
    assert cache.add("n", 1, 30) and cache.incr("n") == 2
    cache.delete_many(["a", "n"])
    assert cache.get_many(["a", "n"]) == {}
    client = cache._cache.get_client("a")
    assert cache._cache.get_client("b", write=True) is client


@pytest.fixture
def redis_shared(settings, redis_url):
    """The site on a Redis cache every process would share, as production runs it."""
    settings.CACHES = {"default": {"BACKEND": "streamsite.cache.RedisCache", "LOCATION": redis_url}}
    settings.CACHE_IS_SHARED = True
    settings.SESSION_ENGINE = "accounts.sessions"
    caches["default"].clear()
    yield caches["default"]
    caches["default"].clear()


def _say(client, host, text: str):
    body = json.dumps({"message": text})
    return client.post(f"/api/stream/{host.pk}/chat", body, "application/json")


def test_a_count_and_a_read_in_one_round_trip_count_every_use(redis_shared):
    assert redis_shared.count_and_get_many("c:1", 30, ["c:0", "c:1"]) == {"c:1": 1}
    redis_shared.set("c:0", 5, 30)
    assert redis_shared.count_and_get_many("c:1", 30, ["c:0", "c:1"]) == {"c:0": 5, "c:1": 2}
    assert redis_shared.incr("c:1") == 3
    key = redis_shared.make_and_validate_key("c:1")
    assert 0 < redis_shared._cache.get_client(key).ttl(key) <= 30  # the counter expires


@pytest.mark.django_db
def test_with_redis_the_chat_counts_20_messages_then_refuses_and_refusals_do_not_count(
    redis_shared, live, alice, bob_client
):
    for n in range(20):
        assert _say(bob_client, alice, f"m{n}").status_code == 201
    for _ in range(3):
        response = _say(bob_client, alice, "one too many")
        assert (response.status_code, response.json()["code"]) == (429, "rate_limited")
    assert ChatMessage.objects.count() == 20


@pytest.mark.django_db
def test_with_redis_the_chat_rules_read_from_the_cache_hold_at_once(
    redis_shared, live, alice, bob, bob_client, alice_client
):
    Stream.objects.filter(pk=live.pk).update(followers_only_minutes=0)
    live.refresh_from_db()
    live.save()  # the hosts kept in the cache show the setting
    assert _say(bob_client, alice, "a follower").status_code == 201
    Follow.objects.filter(follower=bob, following=alice).delete()
    assert _say(bob_client, alice, "hi").json()["code"] == "followers_only"
    Follow.objects.create(follower=bob, following=alice)
    assert _say(bob_client, alice, "hi").status_code == 201
    ban = {"person": str(bob.pk)}
    response = alice_client.post(f"/api/stream/{alice.pk}/ban", json.dumps(ban), "application/json")
    assert response.status_code == 200
    assert _say(bob_client, alice, "again").json()["code"] == "blocked"  # a user's ban blocks


@pytest.mark.django_db
def test_with_redis_the_chat_history_shows_a_new_and_a_deleted_message_at_once(
    redis_shared, live, alice, bob_client, alice_client
):
    guest = Client()
    url = f"/api/stream/{alice.pk}/chat"

    def texts(client) -> list[str]:
        response = client.get(url)
        assert response["Content-Type"] == "application/json"
        return [m["text"] for m in response.json()["messages"]]

    assert texts(guest) == [] and texts(bob_client) == []  # kept now
    sent = _say(bob_client, alice, "hello <b>").json()
    assert texts(guest) == ["hello <b>"] and texts(bob_client) == ["hello <b>"]
    assert alice_client.post(f"{url}/{sent['id']}/delete").status_code == 200
    assert texts(guest) == [] and texts(bob_client) == []


@pytest.mark.django_db
def test_with_redis_two_signed_in_viewers_of_a_channel_each_see_only_their_own_page(
    redis_shared, live, alice, bob, bob_client, client_for
):
    dave = UserFactory(username="dave")
    dave_client = client_for(dave)
    url = f"/{alice.username}/"
    for _ in range(2):  # the second time, each page reads ahead what the first one read
        bob_page = bob_client.get(url).content.decode()
        dave_page = dave_client.get(url).content.decode()
        assert "Account menu for bob" in bob_page and "dave" not in bob_page
        assert "Account menu for dave" in dave_page and "Account menu for bob" not in dave_page
        assert ">Unfollow</button>" in bob_page and ">Unfollow</button>" not in dave_page
    services.notify_followers_live(channel=alice, broadcast="one", title="Live")
    assert "bell-count" in bob_client.get(url).content.decode()  # bob follows alice
    assert "bell-count" not in dave_client.get(url).content.decode()
    assert dave_client.post(f"/{alice.username}/follow/").status_code in {200, 302}
    assert ">Unfollow</button>" in dave_client.get(url).content.decode()
    assert bob_client.post(f"/{alice.username}/block/").status_code in {200, 302}
    assert ">Unblock</button>" in bob_client.get(url).content.decode()


def _reads(redis) -> dict[str, int]:
    """The reads Redis answered since the last call: GETs and MGETs, each a round trip."""
    stats = redis.info("commandstats")
    redis.config_resetstat()
    return {name: stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in ("get", "mget")}


@pytest.mark.django_db
def test_with_redis_a_signed_in_viewers_channel_page_reads_the_cache_in_two_round_trips(
    redis_shared, live, alice, bob_client
):
    import redis

    url = f"/{alice.username}/"
    for _ in range(2):  # the second time, the page reads ahead what the first one read
        assert bob_client.get(url).status_code == 200
    server = redis.Redis.from_url(redis_shared._cache._servers[0])
    _reads(server)
    page = bob_client.get(url).content.decode()
    assert "Account menu for bob" in page and ">Unfollow</button>" in page
    # The session, the streams version, the channel's entries and the sidebar the last page
    # showed; bob's user, ties and bell count with what is kept under the version (the host,
    # the page).
    assert _reads(server) == {"get": 0, "mget": 2}


@pytest.mark.django_db
def test_with_redis_a_logged_out_session_read_ahead_is_a_guest_at_once(
    redis_shared, live, alice, bob_client
):
    url = f"/{alice.username}/"
    cookie = bob_client.cookies[settings.SESSION_COOKIE_NAME].value
    for _ in range(2):
        assert "Account menu for bob" in bob_client.get(url).content.decode()
    bob_client.post("/accounts/logout/")
    old = Client()
    old.cookies[settings.SESSION_COOKIE_NAME] = cookie
    page = old.get(url).content.decode()
    assert "Account menu for bob" not in page and "Log in" in page


@pytest.mark.django_db
def test_with_redis_a_viewers_first_page_reads_their_ties_and_bell_count_in_one_query(
    redis_shared, live, alice, bob_client
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    services.notify_followers_live(channel=alice, broadcast="one", title="Live")
    redis_shared.clear()  # bob's first page after the session was made: nothing kept
    with CaptureQueriesContext(connection) as queries:
        page = bob_client.get(f"/{alice.username}/").content.decode()
    assert "Account menu for bob" in page
    assert ">Unfollow</button>" in page  # bob follows alice
    assert "data-bell-count>1</span>" in page
    reads = [q["sql"] for q in queries.captured_queries if "social_notification" in q["sql"]]
    assert len(reads) == 1 and "social_follow" in reads[0]
    page = bob_client.get(f"/{alice.username}/").content.decode()  # kept as each is read
    assert ">Unfollow</button>" in page and "data-bell-count>1</span>" in page


@pytest.mark.django_db
def test_with_redis_the_stream_apis_read_the_cache_in_one_round_trip_two_signed_in(
    redis_shared, live, alice, bob_client
):
    import redis

    server = redis.Redis.from_url(redis_shared._cache._servers[0])
    api = f"/api/stream/{alice.pk}"
    for path in (f"/api/stream/token/{alice.pk}", api):
        for client in (Client(), bob_client):
            assert client.get(path).status_code == 200  # kept now, and the version read
        _reads(server)
        assert Client().get(path).status_code == 200
        # The streams version with the host kept under it (as this process read it last).
        assert _reads(server) == {"get": 0, "mget": 1}, path
        answer = bob_client.get(path)
        assert answer.status_code == 200
        # bob's session with them; then his user and ties.
        assert _reads(server) == {"get": 0, "mget": 2}, path
    # The chat history: the chat version too, with the answer kept under the version this
    # process read last. After a message the guess is wrong: the answer is built again, as
    # exact, and the next read is back to one round trip.
    for client in (Client(), bob_client):
        assert client.get(f"{api}/chat").status_code == 200
    _reads(server)
    assert Client().get(f"{api}/chat").json() == {"messages": []}
    assert _reads(server) == {"get": 0, "mget": 1}
    assert _say(bob_client, alice, "hello").status_code == 201
    for _ in range(2):
        _reads(server)
        assert [m["text"] for m in Client().get(f"{api}/chat").json()["messages"]] == ["hello"]
    assert _reads(server) == {"get": 0, "mget": 1}


@pytest.mark.django_db
def test_with_redis_a_viewers_account_links_follow_their_bell_and_avatar_on_every_page(
    redis_shared, live, alice, bob, bob_client
):
    """The header's account links are kept for each viewer apart, the same on every page:
    a new notification or avatar shows on the next one, and another browser of theirs gets
    a CSRF token of its own in the log-out form."""
    for url in ("/alice/", "/"):
        assert "data-bell-count" not in bob_client.get(url).content.decode()
    Notification.objects.create(recipient=bob, channel=alice, broadcast="b1")
    for url in ("/alice/", "/"):
        page = BeautifulSoup(bob_client.get(url).content, "html.parser")
        assert page.select_one("[data-bell-count]").string == "1", url
    bob.avatar = "avatars/bob.png"
    bob.save()
    page = BeautifulSoup(bob_client.get("/alice/").content, "html.parser")
    assert page.select_one(".user-menu summary img")["alt"] == "bob's avatar"
    other_browser = Client()
    other_browser.force_login(bob)
    for browser in (bob_client, other_browser):
        browser.get(f"/api/stream/token/{alice.pk}")  # the CSRF cookie, as the page's script
        page = BeautifulSoup(browser.get("/alice/").content, "html.parser")
        token = page.select_one("form[action='/accounts/logout/'] [name=csrfmiddlewaretoken]")
        secret = browser.cookies[settings.CSRF_COOKIE_NAME].value
        assert _unmask_cipher_token(token["value"]) == secret
