"""The live panel's stream health for real: ffmpeg (OBS's stand-in) over RTMP into the real
LiveKit Ingress; the dashboard's live-status endpoint reports what ffmpeg sends."""

from __future__ import annotations

import pytest

from streams.models import Stream
from tests import test_metrics_view as metrics
from tests.conftest import wait_for
from tests.test_recording import stream_to

pytestmark = [pytest.mark.obs, pytest.mark.django_db(transaction=True)]

URL = "/u/alice/live-status/"
HEALTH_CALL = "read the health of a stream connection"


def reported(client, what) -> dict:
    """The live status once `what(status)` holds (Ingress reports the input's caps a moment
    after the stream goes live)."""
    found = {}

    def holds() -> bool:
        found["status"] = client.get(URL).json()
        return what(found["status"])

    wait_for(holds, what="the live status to report the stream", timeout=30)
    return found["status"]


def has_video(status: dict) -> bool:
    return bool(status.get("health") and status["health"]["video"])


def test_the_panel_reports_the_resolution_and_frame_rate_ffmpeg_sends(
    ingress, encoders, alice, alice_client, settings
):
    settings.METRICS_TOKEN = metrics.TOKEN
    stream_to(alice, encoders, "testsrc")  # 640x360 at 25 fps, AAC
    before = metrics.scrape()
    status = reported(alice_client, has_video)
    health = status["health"]
    assert status["live"] is True
    assert health["status"] == "publishing"
    video = health["video"]
    assert (video["width"], video["height"], video["framerate"]) == (640, 360, 25)
    assert video["codec"] == "video/H264"
    assert health["shown"]["resolution"] == "640x360"
    assert health["shown"]["framerate"] == "25 fps"
    assert health["audio"]["codec"] == "audio/aac"
    assert health["audio"]["sample_rate"] == 48_000
    # Viewers get the preset's top layer, no larger than the input.
    assert health["shown"]["output"] == "640x360, 25 fps, 1.0 Mb/s"
    # A steady stream with sound: nothing to warn about, and going live was no reconnect.
    assert status["warnings"] == []
    assert status["reconnects"] == 0
    # The call is counted with LiveKit's other calls.
    after = metrics.scrape()
    timed = "streamsite_livekit_call_duration_seconds_count"
    assert metrics.value(after, timed, call=HEALTH_CALL) > metrics.value(
        before, timed, call=HEALTH_CALL
    )


def test_a_15_fps_stream_is_warned_about_its_frame_rate(ingress, encoders, alice, alice_client):
    stream_to(alice, encoders, "testsrc-15fps")
    status = reported(alice_client, has_video)
    assert status["health"]["video"]["framerate"] == 15
    assert [warning["code"] for warning in status["warnings"]] == ["low_framerate"]


def test_the_stream_ending_turns_the_panel_offline(ingress, encoders, alice, alice_client):
    encoder = stream_to(alice, encoders, "testsrc")
    reported(alice_client, has_video)
    encoder.stop()
    wait_for(lambda: not Stream.objects.get(user=alice).is_live, what="the stream to end")
    assert alice_client.get(URL).json() == {"live": False}


def test_an_encoder_that_drops_and_comes_back_is_warned_as_a_reconnect(
    ingress, encoders, alice, alice_client
):
    encoder = stream_to(alice, encoders, "testsrc")
    assert reported(alice_client, has_video)["reconnects"] == 0
    encoder.stop()  # OBS losing its connection: Ingress ends the session
    wait_for(lambda: not Stream.objects.get(user=alice).is_live, what="the stream to end")
    stream_to(alice, encoders, "testsrc")  # and making a new one at once
    status = reported(alice_client, has_video)
    assert status["reconnects"] == 1
    assert [warning["code"] for warning in status["warnings"]] == ["reconnects"]
    assert "dropped and came back once" in status["warnings"][0]["text"]
