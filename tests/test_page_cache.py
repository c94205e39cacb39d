"""The pages' cache (streams/page_cache.py): what one viewer changes shows on their next page
load and a live-status change right after it is applied, although every page below is
loaded once first so that its fragments are cached; nothing meant for one viewer is shared."""

from __future__ import annotations

import json
import re
import time

import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client
from django.utils import timezone

from streams import chat, live_status, livekit, page_cache, services
from streams.models import ChatMessage, Stream
from tests.factories import PASSWORD, ChatMessageFactory, UserFactory
from tests.test_webhook_view import event, post, sign

pytestmark = pytest.mark.django_db


def _soup(response) -> BeautifulSoup:
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def _cards(client) -> dict[str, bool]:
    """The home feed's cards: username -> shows LIVE."""
    cards = _soup(client.get("/")).select(".card-grid .card")
    return {
        c.select_one(".card-user").get_text(): bool(c.select_one(".badge-live:not([hidden])"))
        for c in cards
    }


def _sidebar(client, url: str = "/") -> dict[str, list[str]]:
    soup = _soup(client.get(url))
    return {
        section.h2.get_text(): [n.get_text() for n in section.select(".sidebar-name")]
        for section in soup.select(".sidebar-section")
    }


def _follow_button(client, url: str = "/alice/") -> str:
    return _soup(client.get(url)).select_one(".channel-actions button").get_text()


def _page_data(soup: BeautifulSoup) -> dict:
    return json.loads(soup.select_one("#channel-data").string)


def _cached_entries(*, but: str = "pages:viewer-fragment:") -> list[bytes]:
    """The cache's values (local memory keeps each pickled), but those under keys holding
    `but` (by default each viewer's own fragments)."""
    return [value for key, value in cache._cache.items() if but not in key]


def _viewer_fragments() -> list[bytes]:
    return [v for k, v in cache._cache.items() if "pages:viewer-fragment:" in k]


def test_a_follow_shows_on_the_followers_next_page_load(client_for, alice):
    dave = client_for(UserFactory(username="dave"))
    assert _follow_button(dave) == "Follow"
    assert _sidebar(dave) == {"Recommended": ["alice"]}
    dave.post("/alice/follow/")
    assert _follow_button(dave) == "Unfollow"
    assert _sidebar(dave) == {"Following": ["alice"]}
    dave.post("/alice/unfollow/")
    assert _follow_button(dave) == "Follow"
    assert _sidebar(dave, "/alice/") == {"Recommended": ["alice"]}


def test_the_follower_count_shows_a_follow_at_once(client_for, guest_client, alice):
    def followers() -> str:
        return _soup(guest_client.get("/alice/")).select_one(".about-followers").get_text()

    assert followers() == "0 followers"
    client_for(UserFactory(username="dave")).post("/alice/follow/")
    assert followers() == "1 follower"


def test_a_blocked_viewer_never_sees_the_host_in_a_cached_page(alice_client, client_for, alice):
    dave = client_for(UserFactory(username="dave"))
    erin = client_for(UserFactory(username="erin", streamed=True))
    assert "alice" in _cards(dave)
    assert _sidebar(dave) == {"Recommended": ["erin", "alice"]}
    assert "alice" in _cards(erin)

    alice_client.post("/dave/block/")

    assert "alice" not in _cards(dave)
    assert _sidebar(dave) == {"Recommended": ["erin"]}
    assert _sidebar(dave, "/search/?term=stream") == {"Recommended": ["erin"]}
    assert dave.get("/alice/").status_code == 404
    assert dave.get(f"/api/stream/{alice.pk}").status_code == 403
    assert dave.get(f"/api/stream/token/{alice.pk}").status_code == 403
    assert "alice" in _cards(erin)  # others still see her


def test_an_unblock_shows_the_host_again_on_the_next_load(alice_client, carol_client, alice):
    assert "alice" not in _cards(carol_client)
    assert carol_client.get("/alice/").status_code == 404
    alice_client.post("/carol/unblock/")
    assert "alice" in _cards(carol_client)
    assert carol_client.get("/alice/").status_code == 200


def test_a_stream_going_live_shows_right_after_the_webhook(guest_client, alice):
    Stream.objects.filter(user=alice).update(ingress_id="IN_alice")
    page_cache.streams_changed()  # what the update above did not say
    assert _cards(guest_client) == {"alice": False}
    assert _sidebar(guest_client, "/alice/") == {"Recommended": ["alice"]}

    body = event("ingress_started", "EV_1", ingressInfo={"ingressId": "IN_alice"})
    assert post(body, sign(body)).json()["outcome"] == "live"

    assert _cards(guest_client) == {"alice": True}
    soup = _soup(guest_client.get("/alice/"))
    assert "hidden" not in soup.select_one("[data-live-badge]").attrs
    assert soup.select_one(".sidebar-section .live-dot:not([hidden])")


def test_reconcile_and_stream_end_show_at_once(guest_client, alice, monkeypatch):
    assert _cards(guest_client) == {"alice": False}
    live_status.set_live(Stream.objects.filter(user=alice), live=True, at=timezone.now())
    assert _cards(guest_client) == {"alice": True}
    # LiveKit is down in these tests, and ending its room is not what this test is about.
    monkeypatch.setattr(livekit, "delete_room", lambda room: None)
    services.stream_end(stream=Stream.objects.get(user=alice))
    assert _cards(guest_client) == {"alice": False}


def test_a_change_no_hook_sees_shows_once_the_ttl_is_over(guest_client, alice, monkeypatch):
    assert _cards(guest_client) == {"alice": False}
    # As another process with its own local-memory cache would see it: nothing says so here.
    Stream.objects.filter(user=alice).update(is_live=True)
    assert _cards(guest_client) == {"alice": False}
    later = time.time() + page_cache.FRAGMENT_TTL + 1
    monkeypatch.setattr(time, "time", lambda: later)
    assert _cards(guest_client) == {"alice": True}


def test_the_hosts_own_settings_show_on_the_next_page_load(alice_client, guest_client, alice):
    assert "alice's stream" in guest_client.get("/").content.decode().replace("&#x27;", "'")
    response = alice_client.post(
        "/u/alice/title/", {"action": "title", "title-title": "Speedrun night"}, follow=True
    )
    assert response.status_code == 200
    assert "Speedrun night" in guest_client.get("/").content.decode()
    assert "Speedrun night" in alice_client.get("/alice/").content.decode()


def test_a_renamed_or_deactivated_user_shows_so_at_once(guest_client, alice, bob):
    Stream.objects.filter(user=bob).update(last_live_at=timezone.now())
    assert set(_cards(guest_client)) == {"alice", "bob"}
    bob.username = "robert"
    bob.save()
    assert set(_cards(guest_client)) == {"alice", "robert"}
    alice.is_active = False
    alice.save()
    assert set(_cards(guest_client)) == {"robert"}


def test_a_log_in_leaves_the_cached_pages_alone(client, alice):
    version = page_cache.streams_version()
    assert client.login(username="alice", password=PASSWORD)
    assert page_cache.streams_version() == version


def test_the_cache_holds_no_csrf_token_no_message_and_no_secret(
    bob_client, alice_client, guest_client, alice
):
    Stream.objects.filter(user=alice).update(stream_key="sk_secret_key_123")
    page_cache.streams_changed()
    bob_client.post("/alice/unfollow/")  # a flash message for bob's next page
    assert "You unfollowed alice." in bob_client.get("/alice/").content.decode()
    tokens = set()
    for client in (bob_client, alice_client, guest_client):
        for url in ("/", "/alice/", f"/api/stream/{alice.pk}", f"/api/stream/token/{alice.pk}"):
            response = client.get(url)
            assert response.status_code == 200
            page = response.content.decode()
            tokens.update(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page))
            tokens.update(cookie.value for cookie in response.cookies.values())
            assert page_cache.hole("csrf") not in page
            assert page_cache.hole("chat") not in page
    cached = b"".join(_cached_entries()).decode("latin-1")
    assert "alice&#x27;s stream" in cached  # the pages did use the cache
    assert len(tokens) > 3
    for private in [*tokens, "unfollowed", "sk_secret_key_123", alice.password]:
        assert private not in cached
    assert "You unfollowed alice." not in guest_client.get("/alice/").content.decode()
    assert "You unfollowed alice." not in bob_client.get("/alice/").content.decode()


def test_each_viewer_gets_their_own_page_data_and_a_signed_in_one_their_csrf_token(
    guest_client, bob_client, alice_client, bob
):
    pages = {
        name: _soup(client.get("/alice/"))
        for name, client in [("guest", guest_client), ("bob", bob_client), ("alice", alice_client)]
    }
    viewers = {name: _page_data(soup)["viewer"] for name, soup in pages.items()}
    assert viewers["guest"] == {
        "role": "guest",
        "id": None,
        "username": None,
        "is_following": False,
        "blocking": [],
    }
    assert viewers["bob"] == {
        "role": "viewer",
        "id": str(bob.pk),
        "username": "bob",
        "is_following": True,
        "blocking": [],
    }
    assert viewers["alice"]["role"] == "host"
    assert viewers["alice"]["username"] == "alice"
    assert pages["guest"].select_one("[name=csrfmiddlewaretoken]") is None  # a shared page
    tokens = {
        pages[name].select_one("[name=csrfmiddlewaretoken]")["value"] for name in ("bob", "alice")
    }
    assert len(tokens) == 2


def test_two_signed_in_viewers_share_one_channel_page_yet_each_sees_only_their_own(
    bob_client, client_for, alice, live
):
    dave_client = client_for(UserFactory(username="dave"))
    ChatMessageFactory(stream=live, text="hi @bob and @dave")
    secrets = {}
    for _ in range(2):  # rendered for the first viewer, then taken from the cache
        for me, other, client, button in [
            ("bob", "dave", bob_client, "Unfollow"),
            ("dave", "bob", dave_client, "Follow"),
        ]:
            response = client.get("/alice/")
            soup = _soup(response)
            assert soup.select_one(".user-menu .visually-hidden").string == f"Account menu for {me}"
            assert f"Account menu for {other}" not in response.content.decode()
            assert _page_data(soup)["viewer"]["username"] == me
            assert soup.select_one("[data-follow-form] button").string == button
            assert [m["data-mention"] for m in soup.select(".chat-mention-me")] == [me]
            fields = soup.select("[name=csrfmiddlewaretoken]")
            secrets[me] = {_unmask_cipher_token(field["value"]) for field in fields}
            assert len(secrets[me]) == 1  # every form of the page: this viewer's own token
            for name in ("csrf", "account_nav_html", "sidebar_html", "controls_html", "chat"):
                assert page_cache.hole(name) not in response.content.decode()
        assert secrets["bob"] != secrets["dave"]
        for me, other, client in [("bob", "dave", bob_client), ("dave", "bob", dave_client)]:
            home = client.get("/").content.decode()  # the home page is kept once too
            assert f"Account menu for {me}" in home and f"Account menu for {other}" not in home
            for name in ("csrf", "account_nav_html", "sidebar_html", "feed_html"):
                assert page_cache.hole(name) not in home
    cached = b"".join(_cached_entries()).decode("latin-1")
    assert "Account menu for" not in cached and "chat-mention-me" not in cached
    assert "alice&#x27;s stream" in cached  # the signed-in page did use the cache
    # Each viewer's account links are kept for them apart, with no CSRF token in them.
    fragments = [f.decode("latin-1") for f in _viewer_fragments()]
    assert len(fragments) == 2 and all(page_cache.hole("csrf") in f for f in fragments)
    for me, other in [("bob", "dave"), ("dave", "bob")]:
        (mine,) = [f for f in fragments if f"Account menu for {me}" in f]
        assert f"Account menu for {other}" not in mine
    dave_client.post("/alice/follow/")
    assert _soup(dave_client.get("/alice/")).select_one("[data-follow-form] button").string == (
        "Unfollow"
    )


def test_each_viewers_follow_and_block_controls_are_their_own_and_post_with_their_token(bob, alice):
    """The controls are kept once per tie to the channel (views.channel_controls): a viewer
    who follows, one who does not and one who blocks the host each get their own buttons, and
    each form posts with that viewer's own CSRF token."""
    clients = {}
    for user in (bob, UserFactory(username="dave"), UserFactory(username="erin")):
        clients[user.username] = Client(enforce_csrf_checks=True)
        clients[user.username].force_login(user)
    erin = clients["erin"]
    token = erin.get("/alice/").cookies["csrftoken"].value
    erin.post("/alice/block/", {"next": "/alice/"}, HTTP_X_CSRFTOKEN=token)
    erin.get("/alice/")  # the flash message shown: the next loads are the kept page's
    expected = {"bob": ["Unfollow", "Block"], "dave": ["Follow", "Block"], "erin": ["Unblock"]}
    for _ in range(2):
        forms = {}
        for name, client in clients.items():
            soup = _soup(client.get("/alice/"))
            buttons = [b.get_text() for b in soup.select(".channel-actions button")]
            assert buttons == expected[name]
            form = soup.select_one(".channel-actions form")
            fields = soup.select("[name=csrfmiddlewaretoken]")
            assert len({_unmask_cipher_token(f["value"]) for f in fields}) == 1
            forms[name] = (form["action"], form.select_one("[name=csrfmiddlewaretoken]")["value"])
        assert len({token for _, token in forms.values()}) == 3
    action, token = forms["erin"]
    assert action == "/alice/unblock/"
    assert clients["bob"].post(action, {"csrfmiddlewaretoken": token}).status_code == 403
    assert erin.post(action, {"csrfmiddlewaretoken": token, "next": "/alice/"}).status_code == 302
    soup = _soup(erin.get("/alice/"))
    assert [b.get_text() for b in soup.select(".channel-actions button")] == ["Follow", "Block"]


def test_a_change_in_a_transaction_is_announced_again_once_it_commits(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        page_cache.streams_changed()
        during = page_cache.streams_version()
    assert len(callbacks) == 1
    assert page_cache.streams_version() != during


def test_an_unknown_or_evicted_version_starts_a_new_one(alice):
    cache.delete(page_cache.STREAMS_VERSION_KEY)
    first = page_cache.streams_version()
    assert first == page_cache.streams_version()
    cache.delete(page_cache.STREAMS_VERSION_KEY)
    assert page_cache.streams_version() != first


def test_a_cached_host_is_the_host_as_saved(guest_client, alice):
    info = f"/api/stream/{alice.pk}"
    assert guest_client.get(info).json()["title"] == "alice's stream"
    stream = Stream.objects.get(user=alice)
    stream.title = "Retro night"
    stream.save()
    assert guest_client.get(info).json()["title"] == "Retro night"
    assert guest_client.get(info).json()["host"] == {"id": str(alice.pk), "username": "alice"}


def test_every_guest_gets_a_csrf_token_of_their_own_with_the_viewer_token_and_it_works(alice):
    Stream.objects.filter(user=alice).update(is_live=True)
    page_cache.streams_changed()
    tokens = []
    for text in ["first guest", "second guest"]:
        guest = Client(enforce_csrf_checks=True)
        page = guest.get("/alice/")
        assert _soup(page).select_one("[name=csrfmiddlewaretoken]") is None
        assert not page.cookies  # the page is the same for every guest: a proxy may share it
        assert guest.get(f"/api/stream/token/{alice.pk}").status_code == 200
        token = guest.cookies["csrftoken"].value  # what the page's script sends back
        chat_url = f"/api/stream/{alice.pk}/chat"
        sent = guest.post(chat_url, {"message": text}, HTTP_X_CSRFTOKEN=token)
        assert sent.status_code == 201, sent.content
        tokens.append(token)
    assert tokens[0] != tokens[1]


def test_the_chat_history_on_a_guest_page_is_never_stale(guest_client, bob, alice):
    stream = Stream.objects.get(user=alice)
    assert "Welcome to the chat!" in guest_client.get("/alice/").content.decode()
    message = ChatMessage.objects.create(stream=stream, user=bob, author_name="bob", text="hi!")
    assert _soup(guest_client.get("/alice/")).select_one(".chat-text").get_text() == "hi!"
    chat.delete_message(stream=stream, message_id=message.pk)
    assert _soup(guest_client.get("/alice/")).select_one(".chat-text") is None


def test_the_chat_history_is_read_once_for_many_page_loads_until_a_message_changes(
    guest_client, bob_client, bob, alice, django_assert_num_queries
):
    stream = Stream.objects.get(user=alice)
    ChatMessage.objects.create(stream=stream, user=bob, author_name="bob", text="first")
    guest_client.get("/alice/")
    with django_assert_num_queries(0):  # a raid's page loads: nothing read
        assert _soup(guest_client.get("/alice/")).select_one(".chat-text").get_text() == "first"
    Stream.objects.filter(pk=stream.pk).update(is_live=True)
    assert bob_client.post(f"/api/stream/{alice.pk}/chat", {"message": "second"}).status_code == 201
    texts = [t.get_text() for t in _soup(guest_client.get("/alice/")).select(".chat-text")]
    assert texts == ["first", "second"]


def test_the_chat_apis_history_is_exact_even_after_writes_no_hook_of_this_process_saw(
    guest_client, bob, alice, django_assert_num_queries
):
    """Another server process saves and deletes messages: its hooks drop entries from its own
    cache only. What the page's script asks when it joins the room is right at once anyway."""
    stream = Stream.objects.get(user=alice)
    first, _ = ChatMessage.objects.bulk_create(  # bulk_create: no post_save, no hook
        ChatMessage(stream=stream, user=bob, author_name="bob", text=text)
        for text in ("first", "second")
    )

    def texts() -> list[str]:
        response = guest_client.get(f"/api/stream/{alice.pk}/chat")
        assert response.status_code == 200
        return [message["text"] for message in response.json()["messages"]]

    assert texts() == ["first", "second"]
    with django_assert_num_queries(1):  # a raid's viewers: which messages, the rest is kept
        assert texts() == ["first", "second"]
    ChatMessage.objects.filter(pk=first.pk).update(is_deleted=True)
    assert texts() == ["second"]
    ChatMessage.objects.bulk_create([ChatMessage(stream=stream, user=bob, text="third")])
    assert texts() == ["second", "third"]


def test_a_flash_message_goes_to_its_guest_only(bob_client, guest_client, alice):
    guest_client.get("/")
    signed_out = bob_client.post("/accounts/logout/", follow=True)  # bob is a guest now
    assert "You have signed out." in signed_out.content.decode()
    assert "You have signed out." not in bob_client.get("/").content.decode()
    assert "You have signed out." not in guest_client.get("/").content.decode()


def test_each_signed_in_viewer_gets_a_feed_without_their_own_channel(client_for, alice):
    erin = UserFactory(username="erin", streamed=True)
    assert set(_cards(client_for(alice))) == {"erin"}
    assert set(_cards(client_for(erin))) == {"alice"}  # not alice's feed from the cache


def _live_badge_shown(client) -> bool:
    return "hidden" not in _soup(client.get("/alice/")).select_one("[data-live-badge]").attrs


def test_the_write_doors_leave_no_guest_page_stale(guest_client, alice):
    """Live status and hidden messages are written through Stream.objects.set_live and
    ChatMessage.objects.hide, which tell the cache: a guest's next page load shows the
    change at once, not after the cache's time to live (FRAGMENT_TTL, 5 s)."""
    message = ChatMessageFactory(stream=alice.stream, text="soon hidden")
    assert not _live_badge_shown(guest_client)
    assert "soon hidden" in guest_client.get("/alice/").content.decode()
    Stream.objects.filter(user=alice).set_live(live=True, at=timezone.now())
    assert _live_badge_shown(guest_client)
    assert _cards(guest_client) == {"alice": True}
    assert ChatMessage.objects.filter(pk=message.pk).hide() == 1
    assert "soon hidden" not in guest_client.get("/alice/").content.decode()
    assert ChatMessage.objects.filter(pk=message.pk).hide() == 0  # hidden already
    Stream.objects.filter(user=alice).set_live(live=False, at=timezone.now())
    assert not _live_badge_shown(guest_client)


def test_viewers_who_follow_the_same_people_share_one_sidebar(
    client_for, alice, django_assert_num_queries
):
    UserFactory(username="erin", streamed=True)
    dave, frank = (client_for(UserFactory(username=name)) for name in ("dave", "frank"))
    for viewer in (dave, frank):
        viewer.post("/erin/follow/")
    assert _sidebar(dave) == {"Following": ["erin"], "Recommended": ["alice"]}
    # Frank's session, user, ties and bell count: his sidebar (and home feed) are the ones
    # dave's page kept, no query.
    with django_assert_num_queries(4):
        assert _sidebar(frank) == {"Following": ["erin"], "Recommended": ["alice"]}


def test_a_shared_sidebar_never_recommends_the_viewer_their_own_channel(client_for, alice):
    erin = client_for(UserFactory(username="erin", streamed=True))
    dave = client_for(UserFactory(username="dave", streamed=True))
    assert _sidebar(erin) == {"Recommended": ["dave", "alice"]}
    assert _sidebar(dave) == {"Recommended": ["erin", "alice"]}
    assert _sidebar(client_for(UserFactory(username="gina"))) == {
        "Recommended": ["dave", "erin", "alice"]
    }


def test_a_viewer_blocked_by_a_host_they_follow_gets_a_sidebar_of_their_own(
    client_for, alice_client, alice
):
    erin = UserFactory(username="erin", streamed=True)
    dave, frank = (client_for(UserFactory(username=name)) for name in ("dave", "frank"))
    for viewer in (dave, frank):
        viewer.post("/alice/follow/")
        viewer.post("/erin/follow/")
    assert _sidebar(dave) == {"Following": ["erin", "alice"]}
    alice_client.post("/frank/block/")
    assert _sidebar(frank) == {"Following": ["erin"]}
    assert _sidebar(dave) == {"Following": ["erin", "alice"]}
    assert erin.pk


def test_viewers_with_no_blocks_share_one_home_feed_which_never_shows_their_own_channel(
    client_for, alice, django_assert_num_queries
):
    erin = client_for(UserFactory(username="erin", streamed=True))
    dave, frank = (client_for(UserFactory(username=name)) for name in ("dave", "frank"))
    assert set(_cards(dave)) == {"alice", "erin"}
    # Frank's session, user, ties, bell count: his sidebar and feed are the ones dave's page
    # kept.
    with django_assert_num_queries(4):
        assert set(_cards(frank)) == {"alice", "erin"}
    assert set(_cards(erin)) == {"alice"}
    assert set(_cards(dave)) == {"alice", "erin"}
