"""The browser and the encoders every script and test here drives: one set of Chromium flags
for this closed, headless machine, and the stand-ins for OBS: ffmpeg pushing RTMP, and
Chromium's fake camera sent over WHIP. Both encoders start(), tell their failure() and stop()
as OBS does."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

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


# The test pattern, and a picture and a sound made to be measured: a white flash of the whole
# picture and a 1 kHz beep, starting together every SYNC_PERIOD seconds on black and silence
# (the tone switched on and off in 1 ms steps).
SYNC_PERIOD = 2.0
PATTERNS = {
    "testsrc": (
        "testsrc2=size=640x360:rate=25",
        "sine=frequency=440:sample_rate=48000",
    ),
    # An encoder that cannot keep up: the pattern at 15 frames per second.
    "testsrc-15fps": (
        "testsrc2=size=640x360:rate=15",
        "sine=frequency=440:sample_rate=48000",
    ),
    "sync": (
        "color=c=black:size=640x360:rate=25,drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill"
        rf":enable='lt(mod(t\,{SYNC_PERIOD:g})\,0.12)'",
        "sine=frequency=1000:sample_rate=48000:samples_per_frame=48,volume=volume=0"
        rf":enable='gte(mod(t\,{SYNC_PERIOD:g})\,0.12)'",
    ),
    # "sync" as a camera through OBS's default output: 1280x720 at 30 fps, moving dark noise
    # (black to blackdetect) and a faint hiss under the beeps (silence to silencedetect), so
    # that the encoder's bitrate, and Ingress's preset, are spent as on a real picture.
    "sync-camera": (
        "color=c=black:size=1280x720:rate=30,noise=alls=14:allf=t+u,drawbox=x=0:y=0:w=iw:h=ih"
        rf":color=white:t=fill:enable='lt(mod(t\,{SYNC_PERIOD:g})\,0.12)'",
        "sine=frequency=1000:sample_rate=48000:samples_per_frame=48,volume=volume=0"
        rf":enable='gte(mod(t\,{SYNC_PERIOD:g})\,0.12)'[beep];"
        "anoisesrc=color=pink:amplitude=0.003:sample_rate=48000[hiss];"
        "[beep][hiss]amix=inputs=2:normalize=0[out0]",
    ),
}
# How the video of a pattern is encoded: a keyframe every 2 s, and for the camera OBS's
# default constant bitrate (2500 kb/s).
VIDEO_ENCODING = {
    "sync-camera": ["-g", "60", "-b:v", "2500k", "-maxrate", "2500k", "-bufsize", "5000k"],
}


def ffmpeg_rtmp_command(url: str, pattern: str = "testsrc") -> list[str]:
    """ffmpeg pushing a test pattern with a tone to an RTMP URL, encoded as OBS would."""
    video, audio = PATTERNS[pattern]
    return [
        "ffmpeg",
        "-hide_banner",
        "-loglevel",
        "error",
        "-re",
        "-f",
        "lavfi",
        "-i",
        video,
        "-f",
        "lavfi",
        "-i",
        audio,
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-tune",
        "zerolatency",
        *VIDEO_ENCODING.get(pattern, ["-g", "50"]),
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


def flashes_and_beeps(media: str) -> tuple[list[float], list[float]]:
    """When the "sync" pattern's flashes and beeps begin in a recording (seconds on its
    time axis), as ffmpeg's blackdetect and silencedetect see them."""
    result = subprocess.run(
        [
            "ffmpeg", "-hide_banner", "-nostats", "-i", media,
            "-vf", "blackdetect=d=0.02:pix_th=0.1", "-af", "silencedetect=n=-40dB:d=0.05",
            "-f", "null", "-",
        ],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    flashes, beeps, duration = [], [], float("inf")
    for line in result.stderr.splitlines():
        if found := re.search(r"Duration: (\d+):(\d+):([\d.]+)", line):
            hours, minutes, seconds = found.groups()
            duration = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
        elif "black_end:" in line:
            flashes.append(float(line.split("black_end:")[1].split()[0]))
        elif "silence_end:" in line:
            beeps.append(float(line.split("silence_end:")[1].split()[0]))
    # Where the recording ends, black and silence end too: that is no flash nor beep.
    ends = duration - 0.3
    return [t for t in flashes if t < ends], [t for t in beeps if t < ends]


def av_offsets(media: str) -> list[tuple[float, float]]:
    """(when, how late the sound is against the picture), in seconds, for every flash of the
    "sync" pattern in a recording that has its beep within a third of a period (the end of
    the recording, where black or silence merely stops, has none)."""
    flashes, beeps = flashes_and_beeps(media)
    pairs = []
    for flash in flashes:
        nearest = min(beeps, key=lambda beep: abs(beep - flash), default=None)
        if nearest is not None and abs(nearest - flash) < SYNC_PERIOD / 3:
            pairs.append((flash, nearest - flash))
    return pairs


class RtmpEncoder:
    """ffmpeg pushing the test pattern to an RTMP URL, as OBS would; what it says goes to
    `log`."""

    def __init__(self, url: str, log: Path, pattern: str = "testsrc") -> None:
        self.url, self.log, self.pattern = url, log, pattern
        self.process: subprocess.Popen | None = None

    def start(self) -> float:
        """Start ffmpeg; returns time.time() just before."""
        with self.log.open("wb") as log:
            started, quiet = time.time(), subprocess.DEVNULL
            command = ffmpeg_rtmp_command(self.url, self.pattern)
            self.process = subprocess.Popen(command, stdin=quiet, stdout=quiet, stderr=log)
        return started

    def failure(self) -> str:
        """Why ffmpeg exited, if it did."""
        if (code := self.process.poll()) is None:
            return ""
        tail = self.log.read_text(errors="replace").strip().splitlines()[-1:]
        return f"ffmpeg exited with {code}: {' '.join(tail) or '(no output)'}"

    def stop(self) -> None:
        """SIGTERM: ffmpeg ends the RTMP stream properly, then exits (or is killed)."""
        if self.process is not None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
            self.process.kill()


# Runs in the encoder's page: the SDP offer for the fake camera and microphone, once ICE
# gathering is complete (3 s at most).
WHIP_OFFER = """
async () => {
  const media = await navigator.mediaDevices.getUserMedia(
    {video: {width: 640, height: 360}, audio: true});
  const pc = new RTCPeerConnection();
  for (const track of media.getTracks()) pc.addTransceiver(track, {direction: "sendonly"});
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") resolve();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && resolve();
    setTimeout(resolve, 3000);
  });
  window.whip = {pc, media};
  return pc.localDescription.sdp;
}
"""
WHIP_CLOSE = """
() => {
  window.whip?.pc.close();
  window.whip?.media.getTracks().forEach((track) => track.stop());
}
"""


class WhipEncoder:
    """Chromium's fake camera and microphone sent over WHIP to `endpoint` (`<server URL>/<stream
    key>`), as OBS would. `page` is any page of the site (a secure, loopback origin) in a
    Chromium with FAKE_MEDIA_ARGS."""

    def __init__(self, page: Any, endpoint: str) -> None:
        self.page, self.endpoint = page, endpoint
        self.session = ""  # the URL to DELETE to end the stream
        self.answered = 0.0  # time.time() when the answer to the offer was read

    def start(self) -> float:
        """The offer POSTed, the 201 answer applied; returns time.time() just before the POST."""
        offer = self.page.evaluate(WHIP_OFFER)
        posted, headers = time.time(), {"Content-Type": "application/sdp"}
        post = urllib.request.Request(self.endpoint, offer.encode(), headers, method="POST")
        with urllib.request.urlopen(post, timeout=15) as response:
            if response.status != 201:
                raise RuntimeError(f"WHIP POST answered {response.status}, not 201")
            answer, self.answered = response.read().decode(), time.time()
            self.session = urljoin(self.endpoint, response.headers["Location"])
        self.page.evaluate("sdp => whip.pc.setRemoteDescription({type: 'answer', sdp})", answer)
        return posted

    def failure(self) -> str:
        state = self.page.evaluate("whip.pc.connectionState")
        return f"the WHIP peer connection is {state}" if state in {"failed", "closed"} else ""

    def stop(self) -> None:
        """The WHIP way (DELETE the session), then the connection and the camera closed."""
        if self.session:
            delete = urllib.request.Request(self.session, method="DELETE")
            with contextlib.suppress(OSError):
                urllib.request.urlopen(delete, timeout=15).close()
        self.page.evaluate(WHIP_CLOSE)
