from __future__ import annotations

import logging
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from streams.management.commands.sync_live_status import Command
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
    alice_client.post("/u/alice/keys/generate/", {"action": "generate", "kind": "rtmp"})
    Stream.objects.filter(user__in=[alice, bob]).update(is_live=True)  # bob has no ingress
    output = run()
    assert "Set alice offline" in output
    assert "Set bob offline" in output
    assert not Stream.objects.filter(is_live=True).exists()
    assert "Checked 2 stream(s) marked live or publishing" in output
    assert output.endswith(": 2 changed.\n")


def test_it_says_what_it_checked_when_nothing_changed(livekit_server, alice):
    assert run() == (
        "Checked 0 stream(s) marked live or publishing (0 connection(s) publishing in "
        "LiveKit): nothing to change.\n"
    )
    assert run("--verbosity", "0") == ""


def test_dry_run_changes_nothing(livekit_server, alice):
    Stream.objects.filter(user=alice).update(is_live=True)
    output = run("--dry-run")
    assert "Would set alice offline" in output
    assert "1 would change." in output
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


class Stopped(Exception):
    pass


def test_each_pass_of_the_loop_logs_what_it_checked_at_info(
    livekit_server, alice, monkeypatch, caplog
):
    Stream.objects.filter(user=alice).update(is_live=True)
    passes = []

    def pause(self, seconds: float) -> None:
        passes.append(seconds)
        if len(passes) == 2:
            raise Stopped

    monkeypatch.setattr(Command, "pause", pause)
    caplog.set_level(logging.INFO, logger="streams")
    with pytest.raises(Stopped):
        run("--loop", "30")
    said = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == Command.__module__]
    assert said == [
        (logging.INFO, "Set alice offline"),
        (
            logging.INFO,
            "Checked 1 stream(s) marked live or publishing (0 connection(s) publishing in "
            "LiveKit): 1 changed.",
        ),
        (
            logging.INFO,
            "Checked 0 stream(s) marked live or publishing (0 connection(s) publishing in "
            "LiveKit): nothing to change.",
        ),
    ]
    assert passes == [30, 30]
