"""A broadcast's figures from real rooms: OBS's stand-in (ffmpeg over RTMP) through the real
LiveKit Ingress, viewers joining and leaving with the site's own tokens (real rtc
participants), LiveKit's webhooks recording their visits, the viewer-count pass sampling;
then the stream ends and the stored figures say what happened."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from analytics.models import BroadcastStats, ViewerVisit
from social import services as social_services
from social.models import Follow
from streams import livekit, rooms, viewer_counts
from streams.models import Stream
from tests.conftest import wait_for
from tests.factories import UserFactory
from tests.test_recording import stream_to
from videos.models import Broadcast

pytestmark = [pytest.mark.obs, pytest.mark.django_db(transaction=True)]


def join(rtc_clients, client: Client, host, query: str = ""):
    """Join `host`'s room as the channel page does: a token from the site, for `client`."""
    response = client.get(f"/api/stream/token/{host.pk}{query}")
    assert response.status_code == 200, response.content
    data = response.json()
    participant = rtc_clients(data["ws_url"], data["token"])
    participant.identity = data["identity"]
    return participant


def say(client: Client, host, text: str) -> None:
    body = json.dumps({"message": text})
    response = client.post(f"/api/stream/{host.pk}/chat", body, "application/json")
    assert response.status_code == 201, response.content


def people_in_room(host) -> set[str]:
    room = rooms.room_name(host.pk)
    return {p.identity for p in livekit.list_participants(room)}


def sample_when_counted(host, people: int) -> None:
    """One pass of the viewer-count pass once LiveKit's room sizes count `people` (it
    refreshes them within 5 s), as if the last pass was an interval ago."""
    room = rooms.room_name(host.pk)

    def counted() -> bool:
        size = livekit.room_sizes([room], timeout=5).get(room)
        return size is not None and size.participants - size.publishers >= people

    wait_for(counted, f"LiveKit to count {people} in the room", timeout=20)
    Stream.objects.filter(user=host).update(viewers_counted_at=None)
    viewer_counts.count_viewers()


def visits_of(host) -> list[str]:
    return sorted(ViewerVisit.objects.filter(stream=host.stream).values_list("person", flat=True))


def test_the_figures_of_a_broadcast_match_who_came_and_went(
    ingress, encoders, rtc_clients, alice, bob, client_for, settings
):
    # bob has followed alice for a day (LiveKit stamps the start in whole seconds: a follow
    # made in the second the stream went live would count as made during it).
    Follow.objects.filter(follower=bob).update(created_at=timezone.now() - timedelta(days=1))
    encoder = stream_to(alice, encoders, pattern="testsrc")
    wait_for(lambda: Broadcast.objects.open().filter(stream__user=alice).exists(), "a broadcast")
    broadcast = Broadcast.objects.open().get(stream__user=alice)
    bob_client, guest, dave = client_for(bob), Client(), UserFactory(username="dave")

    bob_tab_1 = join(rtc_clients, bob_client, alice)
    bob_tab_2 = join(rtc_clients, bob_client, alice)  # a second tab: the same person
    guest_tab = join(rtc_clients, guest, alice)
    reader = join(rtc_clients, guest, alice, "?for=chat")  # hidden: the chat embed
    recorder = rtc_clients(
        settings.LIVEKIT_WS_URL,
        livekit.create_recorder_token(
            room=rooms.room_name(alice.pk), identity=rooms.recorder_identity(str(broadcast.pk))
        ),
    )
    everyone = [bob_tab_1, bob_tab_2, guest_tab]
    wait_for(
        lambda: {p.identity for p in everyone} <= people_in_room(alice),
        "the viewers to be in alice's room",
    )
    wait_for(lambda: len(visits_of(alice)) == 3, "LiveKit's participant_joined webhooks")
    sample_when_counted(alice, 2)  # bob and the guest, people not tabs

    say(bob_client, alice, "hello from tab one")
    say(bob_client, alice, "and again")
    say(guest, alice, "hi, a guest here")
    social_services.follow_create(follower=dave, following=alice)

    guest_tab.close()
    bob_tab_1.close()
    wait_for(
        lambda: ViewerVisit.objects.filter(left_at__isnull=False).count() == 2,
        "LiveKit's participant_left webhooks",
    )
    sample_when_counted(alice, 1)

    encoder.stop()
    wait_for(lambda: not Stream.objects.get(user=alice).is_live, "the stream to end")
    wait_for(
        lambda: BroadcastStats.objects.filter(broadcast=broadcast).exists(),
        "the broadcast's figures to be stored",
        timeout=20,
    )
    figures = BroadcastStats.objects.get(broadcast=broadcast)
    broadcast.refresh_from_db()

    # Three visits of two people; neither the reader, the recorder nor the stream itself.
    assert visits_of(alice) == sorted([str(bob.pk), str(bob.pk), guest_tab.identity.split("#")[0]])
    assert figures.unique_viewers == 2
    assert (figures.peak_viewers, figures.average_viewers) == (2, 1.5)
    assert (figures.chat_messages, figures.chatters) == (3, 2)
    assert figures.new_followers == 1
    assert (figures.raids_in, figures.raids_out) == (0, 0)
    assert figures.duration == (broadcast.ended_at - broadcast.started_at).total_seconds()
    assert figures.duration >= 1
    recorder.close()
    reader.close()
    bob_tab_2.close()
