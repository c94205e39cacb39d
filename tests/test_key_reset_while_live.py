"""New keys and resets while an encoder streams, against the real livekit-server and LiveKit
Ingress: deleting an ingress whose session is ending used to crash livekit-server (an
upstream race, see streams.livekit.delete_ingresses), taking every room down with it."""

from __future__ import annotations

import subprocess
from io import StringIO

import pytest
from django.core.management import call_command

from devservers.servers import http_ok
from streams import livekit, services
from streams.models import Stream, WebhookEvent
from tests.conftest import wait_for

pytestmark = [pytest.mark.obs, pytest.mark.django_db(transaction=True)]

TRIES = 20


def go_live(alice, encoders) -> Stream:
    stream = Stream.objects.get(user=alice)
    if not stream.ingress_id:
        stream = services.connection_generate(stream=stream, kind="rtmp")
    encoder = encoders(f"{stream.server_url}/{stream.stream_key}")
    wait_for(
        lambda: Stream.objects.get(user=alice).is_live or encoder.failure(),
        what="the stream to go live",
    )
    assert not encoder.failure()
    return Stream.objects.get(user=alice)


def orphaned_states(stack) -> set[str]:
    """Ingress states LiveKit keeps for ingresses it no longer has: what Ingress reported
    about a session while its ingress was being deleted, the race that crashed the server."""
    redis_cli = ["redis-cli", "-p", str(stack.config.redis_port), "--raw"]
    keys = subprocess.run(
        [*redis_cli, "KEYS", "{ingress}_state:*"], capture_output=True, text=True, check=True
    ).stdout.split()
    known = {ingress.ingress_id for ingress in livekit.list_ingresses()}
    return {key.split(":", 1)[1] for key in keys} - known


def test_twenty_new_keys_and_resets_while_live_leave_livekit_up_and_the_stream_offline(
    ingress, encoders, alice
):
    server = ingress.servers[0]
    for attempt in range(1, TRIES + 1):
        stream = go_live(alice, encoders)
        old = stream.ingress_id
        if attempt % 2:
            stream = services.connection_generate(stream=stream, kind="rtmp")
            expected = [stream.ingress_id]
        else:
            call_command("reset_ingresses", "--user", "alice", stdout=StringIO())
            expected = []
        where = f"after try {attempt}"
        assert server.process.poll() is None, f"livekit-server died {where}"
        assert http_ok(server.url + "/"), f"livekit-server does not answer {where}"
        assert not Stream.objects.get(user=alice).is_live, where
        assert [i.ingress_id for i in livekit.list_ingresses(str(alice.pk))] == expected, where
        assert not orphaned_states(ingress), where
        # The session ended while its ingress still existed, so LiveKit reported its end
        # (deleted first, the ingress is gone by the time Ingress reports it).
        wait_for(
            lambda old=old: WebhookEvent.objects.filter(event="ingress_ended", ingress_id=old),
            what=f"ingress_ended for the old connection {where}",
            timeout=15,
        )
