"""The Keys page against the real livekit-server: generate, replace and reset connections."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.test import Client

from streams import livekit
from streams.models import Stream

pytestmark = pytest.mark.django_db

URL = "/u/alice/keys/"


def generate(client, kind: str = "rtmp"):
    return client.post(URL + "generate/", {"action": "generate", "kind": kind})


def room_ingresses(user) -> list[livekit.Ingress]:
    return livekit.list_ingresses(str(user.pk))


def test_generating_rtmp_keys_creates_one_ingress_and_shows_it_to_the_owner(
    livekit_server, alice_client, alice
):
    response = generate(alice_client)
    assert response.status_code == 302
    stream = Stream.objects.get(user=alice)
    [ingress] = room_ingresses(alice)
    assert ingress.ingress_id == stream.ingress_id
    assert ingress.kind == "rtmp"
    assert stream.server_url == ingress.url
    assert stream.server_url.startswith("rtmp://127.0.0.1:")
    assert stream.stream_key == ingress.stream_key
    page = BeautifulSoup(alice_client.get(URL).content, "html.parser")
    assert page.select_one("#server-url")["value"] == stream.server_url
    key_input = page.select_one("#stream-key")
    assert key_input["value"] == stream.stream_key
    assert key_input["type"] == "password"  # masked until "Show"
    assert page.select_one("[data-reveal=stream-key]").get_text() == "Show"


def test_generating_whip_keys_creates_a_whip_ingress(livekit_server, alice_client, alice):
    generate(alice_client, "whip")
    stream = Stream.objects.get(user=alice)
    [ingress] = room_ingresses(alice)
    assert (ingress.kind, stream.ingress_type) == ("whip", "whip")
    assert stream.server_url.startswith("http://127.0.0.1:")


def test_regenerating_replaces_the_old_ingress(livekit_server, alice_client, alice):
    generate(alice_client)
    old = Stream.objects.get(user=alice)
    Stream.objects.filter(pk=old.pk).update(is_live=True)
    generate(alice_client, "whip")
    new = Stream.objects.get(user=alice)
    assert new.ingress_id != old.ingress_id
    assert new.stream_key != old.stream_key
    assert [i.ingress_id for i in room_ingresses(alice)] == [new.ingress_id]
    assert not new.is_live


def test_resetting_deletes_the_ingress_and_clears_the_fields(livekit_server, alice_client, alice):
    generate(alice_client)
    response = alice_client.post(URL + "reset/", {"action": "reset"})
    assert response.status_code == 302
    stream = Stream.objects.get(user=alice)
    assert (stream.ingress_id, stream.server_url, stream.stream_key) == (None, "", "")
    assert room_ingresses(alice) == []
    assert "No connection yet" in alice_client.get(URL).content.decode()


def test_an_unknown_connection_type_is_a_form_error(livekit_server, alice_client, alice):
    response = generate(alice_client, "srt")
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert room_ingresses(alice) == []


def test_with_livekit_stopped_the_old_keys_stay_and_the_error_is_shown(
    livekit_down, alice_client, alice
):
    Stream.objects.filter(user=alice).update(
        ingress_id="IN_old", server_url="rtmp://127.0.0.1:1935/live", stream_key="sk_old"
    )
    for data in [{"action": "generate", "kind": "rtmp"}, {"action": "reset"}]:
        response = alice_client.post(f"{URL}{data['action']}/", data)
        assert response.status_code == 503
        page = response.content.decode()
        assert "LiveKit is not reachable at" in page
        assert "Your current connection was not changed." in page
        assert 'value="sk_old"' in page
        stream = Stream.objects.get(user=alice)
        assert (stream.ingress_id, stream.stream_key) == ("IN_old", "sk_old")


def test_channel_pages_still_render_while_livekit_is_stopped(livekit_down, guest_client, alice):
    assert guest_client.get("/alice/").status_code == 200


def test_the_stream_key_is_shown_to_nobody_else(bob_client, guest_client, alice):
    Stream.objects.filter(user=alice).update(stream_key="sk_private_123", ingress_id="IN_1")
    for client, url in [
        (bob_client, URL),
        (bob_client, "/alice/"),
        (guest_client, "/alice/"),
        (guest_client, f"/api/stream/{alice.pk}"),
        (bob_client, f"/api/stream/token/{alice.pk}"),
    ]:
        assert "sk_private_123" not in client.get(url).content.decode()


def test_generating_keys_needs_csrf(alice, livekit_server):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert generate(client).status_code == 403
    assert room_ingresses(alice) == []
