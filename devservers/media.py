"""The browser and the encoders every script and test here drives: one set of Chromium flags
for this closed, headless machine, and the stand-ins for OBS: ffmpeg pushing RTMP, and
Chromium's fake camera sent over WHIP. Both encoders start(), tell their failure() and stop()
as OBS does."""

from __future__ import annotations

import contextlib
import os
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


class RtmpEncoder:
    """ffmpeg pushing the test pattern to an RTMP URL, as OBS would; what it says goes to
    `log`."""

    def __init__(self, url: str, log: Path) -> None:
        self.url, self.log = url, log
        self.process: subprocess.Popen | None = None

    def start(self) -> float:
        """Start ffmpeg; returns time.time() just before."""
        with self.log.open("wb") as log:
            started, quiet = time.time(), subprocess.DEVNULL
            command = ffmpeg_rtmp_command(self.url)
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
