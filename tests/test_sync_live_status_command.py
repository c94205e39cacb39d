from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from streams.models import Stream
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("sync_live_status", *args, stdout=out)
    return out.getvalue()


def test_a_stream_stuck_live_whose_ingress_is_not_publishing_is_set_offline(
    livekit_server, alice_client, alice, bob
):
    alice_client.post("/u/alice/keys/", {"action": "generate", "kind": "rtmp"})
    Stream.objects.filter(user__in=[alice, bob]).update(is_live=True)  # bob has no ingress
    output = run()
    assert "Set alice offline" in output
    assert "Set bob offline" in output
    assert not Stream.objects.filter(is_live=True).exists()
    assert "0 stream(s) changed." in run()


def test_dry_run_changes_nothing(livekit_server, alice):
    Stream.objects.filter(user=alice).update(is_live=True)
    assert "Would set alice offline" in run("--dry-run")
    assert Stream.objects.get(user=alice).is_live


def test_streams_that_are_offline_stay_offline(livekit_server, db):
    UserFactory(username="dave")
    run()
    assert not Stream.objects.filter(is_live=True).exists()


def test_it_fails_with_a_clear_message_when_livekit_is_stopped(livekit_down, alice):
    Stream.objects.filter(user=alice).update(is_live=True)
    with pytest.raises(CommandError, match="LiveKit is not reachable"):
        run()
    assert Stream.objects.get(user=alice).is_live


def test_loop_needs_a_positive_interval(livekit_down):
    with pytest.raises(CommandError, match="positive"):
        run("--loop", "0")
