"""The browser and the encoder every script and test here drives: one set of Chromium flags
for this closed, headless machine, and the ffmpeg command that stands in for OBS."""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # No network but loopback here: background services would only fail, repeatedly.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Viewers' players start muted anyway; this keeps muted autoplay deterministic.
    "--autoplay-policy=no-user-gesture-required",
]
# A synthetic camera and microphone, for Chromium as a WHIP encoder.
FAKE_MEDIA_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


def ffmpeg_rtmp_command(url: str) -> list[str]:
    """ffmpeg pushing a test pattern with a tone to an RTMP URL, encoded as OBS would."""
    return [
        "ffmpeg",
        "-hide_banner",
        "-loglevel",
        "error",
        "-re",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=640x360:rate=25",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-tune",
        "zerolatency",
        "-g",
        "50",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-b:a",
        "96k",
        "-f",
        "flv",
        url,
    ]
