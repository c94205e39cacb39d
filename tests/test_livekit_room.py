"""Viewer tokens, blocking and webhooks with real participants on the real server."""

from __future__ import annotations

import contextlib
import json
import logging
import time

import pytest
from django.conf import settings
from django.test import Client
from livekit import api
from livekit.api.room_service import RoomService
from livekit.rtc.participant import PublishDataError, PublishTrackError

from streams import chat
from streams.models import ChatMessage, Stream, WebhookEvent
from tests.conftest import guest_of
from tests.factories import ModeratorFactory, UserFactory


def viewer_token(client, host) -> str:
    return client.get(f"/api/stream/token/{host.pk}").json()["token"]


@pytest.mark.django_db
def test_a_viewer_token_joins_the_room_but_cannot_publish(
    livekit_server, rtc_clients, bob_client, alice
):
    viewer = rtc_clients(livekit_server.config.ws_url, viewer_token(bob_client, alice))
    assert viewer.room.isconnected()
    with pytest.raises(PublishTrackError):
        viewer.publish_video()


@pytest.mark.django_db
def test_data_sent_by_a_viewer_reaches_no_one(
    livekit_server, rtc_clients, host_publisher, bob_client, alice
):
    host = host_publisher(alice)
    viewer = rtc_clients(livekit_server.config.ws_url, viewer_token(bob_client, alice))
    assert viewer.wait_for(lambda: str(alice.pk) in viewer.remote_identities())
    # Control: the host's publisher token may send data, and the viewer receives it.
    host.publish_data(b'{"type": "message", "text": "from the host"}')
    assert viewer.wait_for(lambda: len(viewer.received) == 1)
    # The SDK may refuse locally or send and have the server drop it: either way, nobody
    # receives it.
    with contextlib.suppress(PublishDataError):
        viewer.publish_data(b'{"type": "message", "text": "injected"}')
    time.sleep(1.5)
    assert [r.payload for r in host.received] == []


@pytest.mark.django_db(transaction=True)
def test_blocking_a_viewer_removes_them_from_the_room_and_refuses_new_tokens(
    livekit_server, rtc_clients, client_for
):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    bob_client, alice_client = client_for(bob), client_for(alice)
    viewer = rtc_clients(livekit_server.config.ws_url, viewer_token(bob_client, alice))
    response = alice_client.post("/bob/block/", {"next": "/u/alice/community/"})
    assert response.status_code == 302
    assert viewer.disconnected.wait(10), "the blocked viewer is still connected"
    assert bob_client.get(f"/api/stream/token/{alice.pk}").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_real_room_webhooks_reach_the_site_and_room_finished_sets_offline(
    livekit_server, host_publisher
):
    alice = UserFactory(username="alice")
    Stream.objects.filter(user=alice).update(is_live=True)
    publisher = host_publisher(alice)
    publisher.publish_video()
    room = str(alice.pk)

    def received(name: str) -> bool:
        return WebhookEvent.objects.filter(event=name, room=room).exists()

    assert publisher.wait_for(lambda: received("room_started"), timeout=15)
    publisher.close()
    assert publisher.wait_for(lambda: received("room_finished"), timeout=20)
    assert WebhookEvent.objects.get(event="room_finished", room=room).outcome == "offline"
    assert not Stream.objects.get(user=alice).is_live


def _payloads(client) -> list[dict]:
    return [json.loads(r.payload) for r in client.received if r.topic == "chat"]


@pytest.mark.django_db
def test_a_chat_message_is_saved_then_broadcast_to_the_room(
    livekit_server, rtc_clients, bob_client, guest_client, alice
):
    Stream.objects.filter(user=alice).update(is_live=True)
    viewer = rtc_clients(livekit_server.config.ws_url, viewer_token(guest_client, alice))
    response = bob_client.post(f"/api/stream/{alice.pk}/chat", {"message": "<b>hi</b> everyone"})
    assert response.status_code == 201
    assert viewer.wait_for(lambda: _payloads(viewer))
    [payload] = _payloads(viewer)
    assert payload == {"type": "message", **response.json()}


@pytest.mark.django_db
def test_deletions_and_settings_changes_are_broadcast(
    livekit_server, rtc_clients, alice_client, bob_client, alice
):
    Stream.objects.filter(user=alice).update(is_live=True)
    viewer = rtc_clients(livekit_server.config.ws_url, viewer_token(bob_client, alice))
    message_id = bob_client.post(f"/api/stream/{alice.pk}/chat", {"message": "x"}).json()["id"]
    alice_client.post(f"/api/stream/{alice.pk}/chat/{message_id}/delete")
    alice_client.post("/u/alice/chat/", {"is_chat_enabled": "on", "slow_mode_seconds": "5"})
    assert viewer.wait_for(lambda: len(_payloads(viewer)) == 3)
    _, deletion, settings_change = _payloads(viewer)
    assert deletion == {"type": "delete", "id": message_id}
    assert settings_change == {
        "type": "settings",
        "is_live": True,
        "is_chat_enabled": True,
        "slow_mode_seconds": 5,
        "followers_only_minutes": None,
        "is_chat_signed_in_only": False,
    }


# LiveKit answers SendData to a room that does not exist only after 3 s. These requests
# broadcast to rooms nobody is in, which would take over 3 s if sent. The bound is generous: it
# tells "waited on LiveKit" from "did not", not how fast the site is.
NO_STALL_SECONDS = 1.0


def timed(request) -> tuple[float, object]:
    started = time.monotonic()
    response = request()
    return time.monotonic() - started, response


@pytest.mark.django_db
def test_saving_chat_settings_while_nobody_is_in_the_room_does_not_wait(
    livekit_server, alice_client, alice, caplog
):
    seconds, response = timed(
        lambda: alice_client.post(
            "/u/alice/chat/", {"is_chat_enabled": "on", "slow_mode_seconds": "0"}
        )
    )
    assert response.status_code == 302
    assert seconds < NO_STALL_SECONDS
    assert not [r for r in caplog.records if r.levelname == "WARNING"]


@pytest.mark.django_db
def test_deleting_a_message_while_offline_does_not_wait(livekit_server, alice_client, alice, bob):
    message = ChatMessage.objects.create(stream=alice.stream, user=bob, author_name="bob", text="x")
    url = f"/api/stream/{alice.pk}/chat/{message.pk}/delete"
    seconds, response = timed(lambda: alice_client.post(url))
    assert response.status_code == 200
    assert seconds < NO_STALL_SECONDS


@pytest.mark.django_db
def test_chat_on_a_live_stream_whose_room_is_gone_does_not_wait(livekit_server, bob_client, alice):
    Stream.objects.filter(user=alice).update(is_live=True, slow_mode_seconds=3)
    url = f"/api/stream/{alice.pk}/chat"
    seconds, response = timed(lambda: bob_client.post(url, {"message": "anyone?"}))
    assert response.status_code == 201
    assert seconds < NO_STALL_SECONDS
    # Slow mode's 3 s counts from the message, not from the end of a stalled broadcast.
    assert bob_client.post(url, {"message": "again"}).status_code == 429


@pytest.mark.django_db(transaction=True)
def test_a_moderator_bans_a_guest_who_is_removed_from_the_room_at_once(
    livekit_server, rtc_clients, client_for
):
    alice, mod = UserFactory(username="alice"), UserFactory(username="mod")
    ModeratorFactory(host=alice, user=mod)
    Stream.objects.filter(user=alice).update(is_live=True)
    guest = Client()
    watcher = rtc_clients(livekit_server.config.ws_url, viewer_token(Client(), alice))
    viewer = rtc_clients(livekit_server.config.ws_url, viewer_token(guest, alice))
    assert guest.post(f"/api/stream/{alice.pk}/chat", {"message": "spam"}).status_code == 201
    person = guest_of(guest).person
    response = client_for(mod).post(
        f"/api/stream/{alice.pk}/ban", json.dumps({"person": person}), "application/json"
    )
    assert response.json() == {"banned": guest_of(guest).name, "removed": 1, "already": False}
    assert viewer.disconnected.wait(10), "the banned guest is still connected"
    assert watcher.wait_for(lambda: {"type": "ban", "person": person} in _payloads(watcher))
    assert guest.get(f"/api/stream/token/{alice.pk}").status_code == 403


@pytest.mark.django_db
def test_a_timeout_is_broadcast_with_when_it_ends(
    livekit_server, rtc_clients, alice_client, bob_client, alice, bob
):
    Stream.objects.filter(user=alice).update(is_live=True)
    viewer = rtc_clients(livekit_server.config.ws_url, viewer_token(bob_client, alice))
    response = alice_client.post(
        f"/api/stream/{alice.pk}/timeout", {"person": str(bob.pk), "seconds": "600"}
    )
    assert viewer.wait_for(lambda: _payloads(viewer))
    [event] = _payloads(viewer)
    assert event == {
        "type": "timeout",
        "person": str(bob.pk),
        "until": response.json()["until"],
        "seconds": 600,
    }
    assert viewer.room.isconnected()  # a timeout does not remove anyone


def _closed_room(livekit_server, rtc_clients, host) -> str:
    """The host's room, after its only participant left and LiveKit closed it."""
    room = str(host.pk)
    rtc_clients(livekit_server.config.ws_url, _last_viewer_token(room)).close()
    deadline = time.monotonic() + 15
    while livekit_server.room_node(room) is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert livekit_server.room_node(room) is None, "the room never closed"
    return room


def _last_viewer_token(room: str) -> str:
    return (
        api.AccessToken(settings.LIVEKIT_API_KEY, settings.LIVEKIT_API_SECRET)
        .with_identity("last-viewer")
        .with_grants(api.VideoGrants(room_join=True, room=room, can_publish=False))
        .to_jwt()
    )


def _room_still_listed(monkeypatch, room: str, *, times: int | None) -> None:
    """LiveKit's room lookup lists `room` `times` more times (None: always), as it did just
    before the room closed: a broadcast's lookup and the room closing cross."""
    real = RoomService.list_rooms
    listed = []

    async def list_rooms(self, request):
        if times is None or len(listed) < times:
            listed.append(request)
            return api.ListRoomsResponse(rooms=[api.Room(name=room)])
        return await real(self, request)

    monkeypatch.setattr(RoomService, "list_rooms", list_rooms)


@pytest.mark.django_db
def test_a_broadcast_to_a_room_that_closed_meanwhile_logs_nothing_above_debug(
    livekit_server, rtc_clients, alice, monkeypatch, caplog
):
    room = _closed_room(livekit_server, rtc_clients, alice)
    _room_still_listed(monkeypatch, room, times=1)
    caplog.set_level(logging.DEBUG, logger="streams")
    chat.broadcast(alice.stream, {"type": "settings", "is_live": False})
    said = [r for r in caplog.records if r.name in {"streams.chat", "streams.livekit"}]
    assert [r.getMessage() for r in said if r.levelno > logging.DEBUG] == []
    assert f"Room {room} closed before a broadcast reached it" in caplog.text


@pytest.mark.django_db
def test_a_broadcast_to_a_room_that_is_listed_but_never_answers_warns(
    livekit_server, rtc_clients, alice, monkeypatch, caplog
):
    room = _closed_room(livekit_server, rtc_clients, alice)
    _room_still_listed(monkeypatch, room, times=None)  # as for a room whose node died
    chat.broadcast(alice.stream, {"type": "settings", "is_live": False})
    assert "Chat broadcast to alice failed" in caplog.text


@pytest.mark.django_db
def test_a_broadcast_livekit_refuses_warns(livekit_server, alice, settings, caplog):
    settings.LIVEKIT_API_SECRET = "a-wrong-secret-with-more-than-32-characters"
    chat.broadcast(alice.stream, {"type": "settings", "is_live": False})
    assert "Chat broadcast to alice failed: LiveKit refused" in caplog.text


@pytest.mark.django_db
def test_a_broadcast_to_a_stopped_livekit_warns(livekit_down, alice, caplog):
    chat.broadcast(alice.stream, {"type": "settings", "is_live": False})
    assert "Chat broadcast to alice failed: LiveKit is not reachable" in caplog.text
