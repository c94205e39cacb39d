"""GET /api/stream/token/<host_id> and GET /api/stream/<host_id>."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from livekit import api

from streams import live_status, rooms
from streams.models import Stream

pytestmark = pytest.mark.django_db


def claims(token: str):
    return api.TokenVerifier(settings.LIVEKIT_API_KEY, settings.LIVEKIT_API_SECRET).verify(token)


def token_url(user) -> str:
    return f"/api/stream/token/{user.pk}"


def test_a_signed_in_viewer_gets_a_subscribe_only_token(bob_client, alice, bob):
    response = bob_client.get(token_url(alice))
    assert response.status_code == 200
    data = response.json()
    assert data["name"] == "bob"
    assert data["ws_url"] == settings.LIVEKIT_WS_URL
    assert data["identity"].split("#")[0] == str(bob.pk)
    grant = claims(data["token"])
    assert grant.identity == data["identity"]
    assert grant.video.room == str(alice.pk)
    assert grant.video.room_join and grant.video.can_subscribe
    assert grant.video.can_publish is False
    assert grant.video.can_publish_data is False
    assert json.loads(grant.metadata) == {
        "user_id": str(bob.pk),
        "username": "bob",
        "role": "viewer",
        "person": str(bob.pk),
    }


def test_the_chat_embed_gets_a_hidden_token_that_receives_no_video(guest_client, alice):
    """The chat embed is in the room only for the chat's messages: nobody's viewer."""
    reader = claims(guest_client.get(f"{token_url(alice)}?for=chat").json()["token"]).video
    assert (reader.hidden, reader.can_subscribe, reader.can_publish_data) == (True, False, False)
    viewer = claims(guest_client.get(token_url(alice)).json()["token"]).video
    assert (bool(viewer.hidden), viewer.can_subscribe) == (False, True)


def test_the_hosts_dashboard_preview_gets_a_hidden_token_that_watches(alice_client, alice):
    """The dashboard's preview watches the stream but is nobody's viewer (no count)."""
    preview = claims(alice_client.get(f"{token_url(alice)}?for=preview").json()["token"]).video
    assert (preview.hidden, preview.can_subscribe, preview.can_publish) == (True, True, False)


def test_nobody_else_may_ask_for_a_preview_token(bob_client, guest_client, alice):
    for client in (bob_client, guest_client):
        response = client.get(f"{token_url(alice)}?for=preview")
        assert response.status_code == 403
        assert response.json()["code"] == "not_your_stream"


def test_a_cross_site_frame_gets_a_guest_token_without_cookies_or_csrf_token(alice):
    """Framed by another site, the player has none of the site's cookies (SameSite=Lax)."""
    client = Client(enforce_csrf_checks=True)
    response = client.get(token_url(alice), HTTP_SEC_FETCH_SITE="cross-site")
    assert response.status_code == 200
    assert response.json()["name"].startswith("guest-")


def test_two_tabs_of_one_viewer_get_distinct_identities(bob_client, alice):
    first = bob_client.get(token_url(alice)).json()["identity"]
    second = bob_client.get(token_url(alice)).json()["identity"]
    assert first != second
    assert first.split("#")[0] == second.split("#")[0]


def test_no_browser_or_proxy_keeps_a_token_for_the_next_tab(guest_client, alice):
    # Each tab must join with its own identity: a cached answer would be a duplicate one,
    # and LiveKit disconnects the first tab when a second joins with the same identity.
    response = guest_client.get(token_url(alice))
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_the_host_watching_their_own_channel_is_host_prefixed(alice_client, alice):
    data = alice_client.get(token_url(alice)).json()
    assert data["identity"].startswith(f"Host-{alice.pk}#")
    assert json.loads(claims(data["token"]).metadata)["role"] == "host"


def test_a_guest_gets_a_five_digit_guest_name_kept_across_reloads(guest_client, alice):
    first = guest_client.get(token_url(alice)).json()
    second = guest_client.get(token_url(alice)).json()
    assert re.fullmatch(r"guest-\d{5}", first["name"])
    assert second["name"] == first["name"]
    assert first["identity"].split("#")[0] == second["identity"].split("#")[0]
    assert first["identity"].startswith("guest-")


def test_a_guest_costs_no_session_row_and_keeps_the_name_in_a_signed_cookie(
    guest_client, alice, django_assert_max_num_queries
):
    guest_client.get(token_url(alice))  # the channel is cached from here on
    fresh = Client()
    with django_assert_max_num_queries(0):  # a new guest cannot have been banned yet
        response = fresh.get(token_url(alice))
    assert not Session.objects.exists()  # a raid of new guests writes nothing
    cookie = response.cookies[rooms.GUEST_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert fresh.get(token_url(alice)).json()["name"] == response.json()["name"]


def test_a_guest_cookie_that_was_tampered_with_makes_a_new_guest(guest_client, alice):
    first = guest_client.get(token_url(alice)).json()
    value = guest_client.cookies[rooms.GUEST_COOKIE].value
    forged = value.replace(first["person"][len("guest-") :], "0" * 32)
    guest_client.cookies[rooms.GUEST_COOKIE] = forged
    second = guest_client.get(token_url(alice)).json()
    assert second["person"] not in {first["person"], "guest-" + "0" * 32}


def test_different_guests_get_different_identities(alice, client):
    one = Client().get(token_url(alice)).json()["identity"].split("#")[0]
    two = Client().get(token_url(alice)).json()["identity"].split("#")[0]
    assert one != two


@pytest.mark.parametrize("host_id", ["not-a-uuid", str(uuid.uuid4()), "%00", "1' OR 1=1"])
def test_unknown_or_malformed_host_ids_are_404_json(guest_client, host_id):
    for url in [f"/api/stream/token/{host_id}", f"/api/stream/{host_id}"]:
        response = guest_client.get(url)
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "detail": "No such stream."}


def test_a_viewer_blocked_by_the_host_is_refused_403(carol_client, alice):
    for url in [token_url(alice), f"/api/stream/{alice.pk}"]:
        response = carol_client.get(url)
        assert response.status_code == 403
        assert response.json()["code"] == "blocked"


def test_a_block_refuses_the_next_request_although_the_host_is_cached(
    alice_client, bob_client, alice
):
    for url in [token_url(alice), f"/api/stream/{alice.pk}"]:
        assert bob_client.get(url).status_code == 200
    alice_client.post("/bob/block/")
    for url in [token_url(alice), f"/api/stream/{alice.pk}"]:
        assert bob_client.get(url).json()["code"] == "blocked"


def test_a_deactivated_host_is_not_found_although_cached(guest_client, alice):
    assert guest_client.get(f"/api/stream/{alice.pk}").status_code == 200
    alice.is_active = False
    alice.save()
    assert guest_client.get(f"/api/stream/{alice.pk}").status_code == 404
    assert guest_client.get(token_url(alice)).status_code == 404


def test_the_apis_read_the_host_from_the_cache(
    guest_client, bob_client, alice, django_assert_num_queries
):
    info = f"/api/stream/{alice.pk}"
    guest_client.get(info)
    with django_assert_num_queries(0):
        assert guest_client.get(info).status_code == 200
    for url in [info, token_url(alice)]:
        with django_assert_num_queries(3):  # session, user, and whether alice blocked bob
            assert bob_client.get(url).status_code == 200


def test_a_token_is_issued_while_livekit_is_down(livekit_down, guest_client, alice):
    assert guest_client.get(token_url(alice)).status_code == 200


def test_stream_info_describes_the_stream_without_the_key(guest_client, alice):
    went_live = timezone.now() - timedelta(minutes=83)
    Stream.objects.filter(user=alice).update(
        is_live=True,
        live_changed_at=went_live,
        slow_mode_seconds=3,
        stream_key="sk_secret",
        ingress_id="IN_1",
    )
    response = guest_client.get(f"/api/stream/{alice.pk}")
    assert response.status_code == 200
    assert response.json() == {
        "id": str(alice.pk),
        "host": {"id": str(alice.pk), "username": "alice"},
        "title": "alice's stream",
        "is_live": True,
        "thumbnail_url": None,
        "live_since": went_live.isoformat(),
        "is_chat_enabled": True,
        "slow_mode_seconds": 3,
        "followers_only_minutes": None,
        "is_chat_signed_in_only": False,
    }
    assert "sk_secret" not in response.content.decode()
    assert "IN_1" not in response.content.decode()


# GET /api/live?ids=...: which of the channels a page shows are live --------------------------


def test_live_says_which_of_the_given_channels_are_live(guest_client, alice, bob):
    Stream.objects.filter(user=alice).update(is_live=True)
    response = guest_client.get(f"/api/live?ids={alice.pk},{bob.pk}")
    assert response.status_code == 200
    assert response.json() == {"live": {str(alice.pk): True, str(bob.pk): False}}


def test_live_leaves_out_a_host_who_blocked_the_viewer(carol_client, alice, bob):
    # carol is blocked by alice (conftest): alice's state is none of her business.
    Stream.objects.filter(user=alice).update(is_live=True)
    response = carol_client.get(f"/api/live?ids={alice.pk},{bob.pk}")
    assert response.json() == {"live": {str(bob.pk): False}}


def test_live_answers_an_id_that_is_no_channel_as_not_live(guest_client, alice):
    nobody = uuid.uuid4()
    response = guest_client.get(f"/api/live?ids={alice.pk},{nobody}")
    assert response.json() == {"live": {str(alice.pk): False, str(nobody): False}}


def test_live_follows_a_go_live_at_once_in_this_process(guest_client, alice):
    url = f"/api/live?ids={alice.pk}"
    assert guest_client.get(url).json() == {"live": {str(alice.pk): False}}
    live_status.set_live(Stream.objects.filter(user=alice), live=True, at=timezone.now())
    assert guest_client.get(url).json() == {"live": {str(alice.pk): True}}


def test_live_is_answered_without_a_query_for_a_guest(
    guest_client, alice, django_assert_num_queries
):
    url = f"/api/live?ids={alice.pk}"
    guest_client.get(url)
    with django_assert_num_queries(0):  # a raid's open pages poll it every 10 s
        assert guest_client.get(url).json() == {"live": {str(alice.pk): False}}


@pytest.mark.parametrize(
    "ids",
    ["", ",", "alice", "1,2", "\x00", ",".join(str(uuid.uuid4()) for _ in range(101))],
    ids=["none", "empty", "a-name", "numbers", "nul", "too-many"],
)
def test_live_refuses_what_is_not_a_list_of_channel_ids(guest_client, ids):
    response = guest_client.get("/api/live", {"ids": ids})
    assert response.status_code == 400
    assert response.json()["code"] == "bad_ids"
    assert response.json()["detail"]
