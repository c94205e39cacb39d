"""`manage.py count_viewers`: the viewer-count pass once, or every N seconds as the Procfile
runs it, against the real livekit-server."""

from __future__ import annotations

import logging
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from streams import livekit, rooms
from streams.management.commands.count_viewers import Command
from streams.models import Stream, ViewerSample
from tests.conftest import wait_for

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("count_viewers", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def alice_watched(livekit_server, rtc_clients, guest_client, alice, bob):
    """alice and bob live; one guest watching alice, as LiveKit reports it."""
    Stream.objects.filter(user__in=[alice, bob]).set_live(live=True, at=timezone.now())
    token = guest_client.get(f"/api/stream/token/{alice.pk}").json()["token"]
    rtc_clients(livekit_server.config.ws_url, token)
    room = rooms.room_name(alice.pk)
    wait_for(
        lambda: livekit.room_sizes([room], timeout=5).get(room) == livekit.RoomSize(1, 0),
        "LiveKit to report the guest in alice's room",
        timeout=20,
    )


def test_it_stores_the_counts_and_says_what_changed(alice_watched, alice):
    assert run() == (
        "alice: 1 (was 0)\n"
        "Counted 1 viewer(s) in 2 live stream(s), 1 room(s) listed, 2 LiveKit request(s): "
        "1 changed, 2 stored with a sample.\n"
    )
    assert Stream.objects.get(user=alice).viewer_count == 1
    assert ViewerSample.objects.count() == 2


def test_with_verbosity_2_it_says_every_count_and_with_0_nothing(alice_watched):
    assert run("--verbosity", "2").splitlines()[:2] == ["alice: 1 (was 0)", "bob: 0 (was 0)"]
    Stream.objects.update(viewers_counted_at=None)
    assert run("--verbosity", "0") == ""


def test_a_second_run_within_15_s_counts_nothing(alice_watched):
    run()
    assert run() == "No live stream to count (none, or all counted in the last 15 s).\n"
    assert ViewerSample.objects.count() == 2


def test_dry_run_prints_every_count_and_stores_nothing(alice_watched, alice):
    assert run("--dry-run") == (
        "alice: 1 (was 0)\n"
        "bob: 0 (was 0)\n"
        "Counted 1 viewer(s) in 2 live stream(s), 1 room(s) listed, 2 LiveKit request(s): "
        "nothing stored (dry run).\n"
    )
    assert Stream.objects.get(user=alice).viewer_count == 0
    assert not ViewerSample.objects.exists()


def test_it_fails_with_a_clear_message_when_livekit_is_stopped(livekit_down, live):
    with pytest.raises(CommandError, match=r"LiveKit is not reachable at http://127\.0\.0\.1:"):
        run()
    assert not ViewerSample.objects.exists()


class Stopped(Exception):
    pass


def stop_after(passes: int, monkeypatch) -> list[float]:
    """Make the loop stop (raise Stopped) at its `passes`-th pause; the pauses asked for."""
    pauses: list[float] = []

    def pause(self, seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == passes:
            raise Stopped

    monkeypatch.setattr(Command, "pause", pause)
    return pauses


def said(caplog) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == Command.__module__]


def test_the_loop_logs_each_pass_at_info(alice_watched, monkeypatch, caplog):
    pauses = stop_after(2, monkeypatch)
    caplog.set_level(logging.INFO, logger="streams")
    with pytest.raises(Stopped):
        run("--loop", "15")
    assert said(caplog) == [
        (logging.INFO, "alice: 1 (was 0)"),
        (
            logging.INFO,
            "Counted 1 viewer(s) in 2 live stream(s), 1 room(s) listed, 2 LiveKit "
            "request(s): 1 changed, 2 stored with a sample.",
        ),
        # The loop came back at once (the pause is stubbed): too soon to count again.
        (logging.INFO, "No live stream to count (none, or all counted in the last 15 s)."),
    ]
    assert pauses == [15, 15]


def test_the_loop_logs_livekit_being_unreachable_and_goes_on(
    livekit_down, live, monkeypatch, caplog
):
    pauses = stop_after(2, monkeypatch)
    caplog.set_level(logging.INFO, logger="streams")
    with pytest.raises(Stopped):
        run("--loop", "15")
    warnings = [message for level, message in said(caplog) if level == logging.WARNING]
    assert len(warnings) == 2
    assert "LiveKit is not reachable" in warnings[0]
    assert warnings[0].endswith("Trying again in 15 s.")
    assert pauses == [15, 15]
