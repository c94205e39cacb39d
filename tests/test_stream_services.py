from __future__ import annotations

import pytest
from django.test import Client

from streams import livekit, services
from streams.models import Stream
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_with_a_stubbed_facade_a_failed_cleanup_discards_the_new_ingress_and_keeps_the_old(
    monkeypatch, alice
):
    """Unit test of the error path: LiveKit creates the new ingress, then fails to list the
    old ones; the new one is deleted again and the saved connection is untouched."""
    Stream.objects.filter(user=alice).update(ingress_id="IN_old", stream_key="sk_old")
    deleted = []
    new = livekit.Ingress("IN_new", str(alice.pk), "rtmp://x/live", "sk_new", "rtmp", False)
    monkeypatch.setattr(livekit, "create_ingress", lambda **kwargs: new)

    def failing_list(room=None):
        raise livekit.LiveKitError("LiveKit is not reachable at http://127.0.0.1:1.")

    monkeypatch.setattr(livekit, "list_ingresses", failing_list)
    monkeypatch.setattr(livekit, "delete_ingress", deleted.append)
    with pytest.raises(livekit.LiveKitError):
        services.connection_generate(stream=Stream.objects.get(user=alice), kind="rtmp")
    assert deleted == ["IN_new"]
    stream = Stream.objects.get(user=alice)
    assert (stream.ingress_id, stream.stream_key) == ("IN_old", "sk_old")


def test_removing_a_viewer_leaves_other_people_in_the_room(livekit_server, rtc_clients, alice):
    bob, dave = UserFactory(username="bob"), UserFactory(username="dave")
    clients = {}
    for user in [bob, dave]:
        client = Client()
        client.force_login(user)
        token = client.get(f"/api/stream/token/{alice.pk}").json()["token"]
        clients[user.username] = rtc_clients(livekit_server.config.ws_url, token)
    assert services.viewer_remove_from_room(host=alice, viewer=bob) == 1
    assert clients["bob"].disconnected.wait(10)
    assert not clients["dave"].disconnected.is_set()
    assert clients["dave"].room.isconnected()
