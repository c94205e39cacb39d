"""Two livekit-server nodes on one Redis (LiveKit's distributed mode): a room lives on one
node, and the site works through either: viewers, OBS through Ingress, the site's API calls
and the webhooks."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter

import pytest
from django.conf import settings
from livekit import api, rtc

from devservers.rtc import publisher_token
from streams import livekit, rooms, services
from streams.models import Stream, WebhookEvent
from tests.conftest import with_ingress


@pytest.fixture
def site_on(settings):
    """Point the site at one node: its API calls, and the URL it gives browsers."""

    def point(node) -> None:
        settings.LIVEKIT_URL = node.url
        settings.LIVEKIT_WS_URL = node.ws_url

    return point


def room_service(node, method: str, request):
    """One RoomService call on `node` with the site's keys: ("create_room", request)."""

    async def run():
        keys = settings.LIVEKIT_API_KEY, settings.LIVEKIT_API_SECRET
        async with api.LiveKitAPI(node.url, *keys) as lk:
            return await getattr(lk.room, method)(request)

    return asyncio.run(run())


@pytest.fixture
def room_on(transactional_db):
    """Create a host's room on a given node; otherwise the cluster places it on a random
    node when the first participant arrives."""
    created: list[tuple] = []

    def create(node, host) -> str:
        room = rooms.room_name(host.pk)
        # Long enough for the test's participants to arrive; once they leave, the
        # server's departure timeout (1 s) ends the room.
        request = api.CreateRoomRequest(name=room, node_id=node.node_id, empty_timeout=30)
        room_service(node, "create_room", request)
        created.append((node, room))
        return room

    yield create
    # End the rooms now and wait for their last webhook, so that no webhook of this test
    # reaches the site during another one.
    for node, room in created:
        with contextlib.suppress(api.TwirpError):  # a room that already ended
            room_service(node, "delete_room", api.DeleteRoomRequest(room=room))
    deadline = time.monotonic() + 10
    for _, room in created:
        while time.monotonic() < deadline:
            if WebhookEvent.objects.filter(event="room_finished", room=room).exists():
                break
            time.sleep(0.05)


@pytest.fixture
def camera(rtc_clients):
    """The host's own identity publishing a synthetic camera through a given node, as
    LiveKit Ingress publishes OBS."""

    def publish(node, host):
        token = publisher_token(
            api_key=settings.LIVEKIT_API_KEY,
            api_secret=settings.LIVEKIT_API_SECRET,
            room=rooms.room_name(host.pk),
            identity=rooms.publisher_identity(host.pk),
            name=host.username,
        )
        client = rtc_clients(node.ws_url, token)
        client.publish_video()
        return client

    return publish


@pytest.fixture
def cluster_ingress(livekit_cluster):
    """The real LiveKit Ingress, connected to the cluster's first node (once started, it
    runs until the cluster stops)."""
    return with_ingress(livekit_cluster)


def watch(client, host, rtc_clients):
    """Join `host`'s room as a browser does: a token and a URL from the site."""
    answer = client.get(f"/api/stream/token/{host.pk}").json()
    return rtc_clients(answer["ws_url"], answer["token"]), answer


def subscribed_video(viewer, host) -> rtc.RemoteVideoTrack | None:
    participant = viewer.room.remote_participants.get(rooms.publisher_identity(host.pk))
    publications = participant.track_publications.values() if participant else []
    for publication in publications:
        if publication.kind == rtc.TrackKind.KIND_VIDEO and publication.subscribed:
            return publication.track
    return None


def frames_received(track: rtc.RemoteVideoTrack, wanted: int = 3, timeout: float = 10) -> int:
    """Decoded frames of `track`, counted until `wanted` arrive or `timeout` passes."""

    async def count() -> int:
        stream = rtc.VideoStream(track)
        received = 0
        try:
            async with asyncio.timeout(timeout):
                async for _ in stream:
                    received += 1
                    if received == wanted:
                        break
        except TimeoutError:
            pass
        finally:
            await stream.aclose()
        return received

    return asyncio.run(count())


def chat_texts(viewer) -> list[str]:
    return [json.loads(r.payload)["text"] for r in viewer.received if r.topic == "chat"]


@pytest.mark.django_db
def test_a_room_on_one_node_is_watched_and_chatted_in_through_the_other(
    livekit_cluster, site_on, room_on, camera, rtc_clients, alice, bob_client, alice_client
):
    node_a, node_b = livekit_cluster.servers
    room = room_on(node_a, alice)
    camera(node_a, alice)
    Stream.objects.filter(user=alice).update(is_live=True)
    site_on(node_b)
    viewer, answer = watch(bob_client, alice, rtc_clients)
    assert answer["ws_url"] == node_b.ws_url
    assert livekit_cluster.room_node(room) == node_a.node_id

    assert viewer.wait_for(lambda: subscribed_video(viewer, alice) is not None)
    assert frames_received(subscribed_video(viewer, alice)) == 3

    # Chat reaches the viewer on node B whichever node the site sends it through.
    site_on(node_a)
    assert bob_client.post(f"/api/stream/{alice.pk}/chat", {"message": "via A"}).status_code == 201
    site_on(node_b)
    response = alice_client.post(f"/api/stream/{alice.pk}/chat", {"message": "via B"})
    assert response.status_code == 201
    assert viewer.wait_for(lambda: len(chat_texts(viewer)) == 2)
    assert chat_texts(viewer) == ["via A", "via B"]


@pytest.mark.django_db
@pytest.mark.parametrize("room_node", [0, 1], ids=["room-on-node-a", "room-on-node-b"])
def test_each_webhook_of_a_room_reaches_the_site_once(
    livekit_cluster, room_node, site_on, room_on, camera, alice
):
    Stream.objects.filter(user=alice).update(is_live=True)
    host, other = livekit_cluster.servers[room_node], livekit_cluster.servers[1 - room_node]
    site_on(other)
    room = room_on(host, alice)
    publisher = camera(other, alice)

    def received(name: str) -> bool:
        return WebhookEvent.objects.filter(event=name, room=room).exists()

    assert publisher.wait_for(lambda: received("track_published"), timeout=15)
    publisher.close()
    assert publisher.wait_for(lambda: received("room_finished"), timeout=20)
    events = Counter(WebhookEvent.objects.filter(room=room).values_list("event", flat=True))
    assert {"room_started", "participant_joined", "participant_left"} <= events.keys()
    assert set(events.values()) == {1}, f"an event came more than once: {events}"
    assert WebhookEvent.objects.get(event="room_finished", room=room).outcome == "offline"
    assert not Stream.objects.get(user=alice).is_live


@pytest.mark.obs
@pytest.mark.django_db
def test_obs_through_ingress_on_one_node_goes_live_in_a_room_on_the_other(
    cluster_ingress, site_on, room_on, encoders, rtc_clients, alice, bob_client
):
    node_a, node_b = cluster_ingress.servers
    room = room_on(node_b, alice)
    site_on(node_a)  # like Ingress, the viewer joins through node A
    stream = services.connection_generate(stream=alice.stream, kind="rtmp")
    encoder = encoders(f"{stream.server_url}/{stream.stream_key}")
    viewer, _ = watch(bob_client, alice, rtc_clients)

    def is_live() -> bool:
        return Stream.objects.get(pk=stream.pk).is_live

    assert viewer.wait_for(is_live, timeout=30), encoder.failure() or "ingress_started is late"
    assert cluster_ingress.room_node(room) == node_b.node_id
    assert viewer.wait_for(lambda: subscribed_video(viewer, alice) is not None, timeout=20)
    assert frames_received(subscribed_video(viewer, alice)) == 3
    viewer.close()
    encoder.stop()
    assert viewer.wait_for(lambda: not is_live(), timeout=20), "ingress_ended is late"
    events = WebhookEvent.objects.filter(ingress_id=stream.ingress_id)
    assert sorted(events.values_list("event", "outcome")) == [
        ("ingress_ended", "offline"),
        ("ingress_started", "live"),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "site_node", [0, 1], ids=["site-on-the-room-node", "site-on-the-other-node"]
)
def test_keys_chat_and_removal_work_with_the_site_on_either_node(
    livekit_cluster, site_node, site_on, room_on, rtc_clients, alice, bob, bob_client
):
    site, other = livekit_cluster.servers[site_node], livekit_cluster.servers[1 - site_node]
    room = room_on(livekit_cluster.servers[0], alice)
    site_on(site)

    stream = services.connection_generate(stream=alice.stream, kind="rtmp")
    assert stream.ingress_id and stream.stream_key
    site_on(other)  # the cluster keeps ingresses in its Redis: every node knows them
    assert [i.ingress_id for i in livekit.list_ingresses(room)] == [stream.ingress_id]
    site_on(site)

    Stream.objects.filter(pk=stream.pk).update(is_live=True)
    viewer, answer = watch(bob_client, alice, rtc_clients)
    assert [p.identity for p in livekit.list_participants(room)] == [answer["identity"]]
    assert bob_client.post(f"/api/stream/{alice.pk}/chat", {"message": "hi"}).status_code == 201
    assert viewer.wait_for(lambda: chat_texts(viewer) == ["hi"])

    assert services.viewer_remove_from_room(host=alice, viewer=bob) == 1
    assert viewer.disconnected.wait(10), "the removed viewer is still connected"
