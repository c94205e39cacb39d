"""A stream recorded for real (ffmpeg over RTMP, LiveKit Ingress, the recorder) played back in
Chromium: it plays, and seeking to the middle shows the right moment: the stream's picture
flashes white every 2 s, so a frame in a flash is white and one between flashes is black."""

from __future__ import annotations

import time

import pytest
from django.core.files.storage import default_storage
from playwright.sync_api import expect

from devservers.media import WhipEncoder, flashes_and_beeps
from streams import services
from tests.e2e.conftest import off_the_browser_thread
from tests.e2e.test_video_page import seek
from tests.test_recording import end, recorder, recording, stream_to  # noqa: F401 (a fixture)

pytestmark = [
    pytest.mark.obs,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.e2e.media_urls"),
]

VIDEO = "document.querySelector('[data-video]')"
# The picture's mean brightness (0-255) where the video is now, drawn on a canvas.
BRIGHTNESS = """() => new Promise((resolve) => {
  const video = document.querySelector('[data-video]');
  const canvas = document.createElement('canvas');
  canvas.width = 64; canvas.height = 36;
  const context = canvas.getContext('2d');
  context.drawImage(video, 0, 0, canvas.width, canvas.height);
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
  let sum = 0;
  for (let i = 0; i < pixels.length; i += 4) sum += (pixels[i] + pixels[i + 1] + pixels[i + 2]) / 3;
  resolve(sum / (pixels.length / 4));
})"""


def record(alice, encoders):
    encoder = stream_to(alice, encoders)
    recording(alice)
    time.sleep(12)
    return end(alice, encoder)


def test_a_recorded_stream_plays_and_seeks_to_the_right_moment(
    recorder,  # noqa: F811 (the fixture imported above)
    encoders,
    alice,
    open_page,
):
    broadcast = off_the_browser_thread(record, alice, encoders)
    flashes, _ = flashes_and_beeps(default_storage.path(broadcast.playlist))
    middle = min(flashes, key=lambda flash: abs(flash - broadcast.duration / 2))

    page = open_page(f"/videos/{broadcast.pk}/")
    page.wait_for_function(f"{VIDEO}.readyState >= 2", timeout=20_000)
    assert page.evaluate(f"{VIDEO}.duration") == pytest.approx(broadcast.duration, abs=0.5)
    page.evaluate(f"{VIDEO}.muted = true; {VIDEO}.play()")
    page.wait_for_function(f"{VIDEO}.currentTime > 1", timeout=15_000)
    page.evaluate(f"{VIDEO}.pause()")

    assert seek(page, middle + 0.06) == pytest.approx(middle + 0.06, abs=0.05)
    assert page.evaluate(BRIGHTNESS) > 200  # in the flash
    seek(page, middle + 1.0)
    assert page.evaluate(BRIGHTNESS) < 40  # between two flashes


def test_a_whip_stream_in_vp8_is_refused_and_the_host_is_told_why(
    recorder,  # noqa: F811 (the fixture imported above)
    alice,
    open_page,
):
    """WHIP is passed through as the encoder sends it; Chromium sends VP8, which HLS in fMP4
    cannot carry without transcoding: the broadcast says so on the host's dashboard."""
    stream = off_the_browser_thread(
        lambda: services.connection_generate(stream=alice.stream, kind="whip")
    )
    encoder = WhipEncoder(open_page("/robots.txt"), f"{stream.server_url}/{stream.stream_key}")
    encoder.start()
    try:
        off_the_browser_thread(recording, alice, "failed")
    finally:
        encoder.stop()
    dashboard = open_page("/u/alice/videos/", alice)
    expect(dashboard.locator("main")).to_contain_text("VP8 video from WHIP is not recorded")
