"""The recorder of past broadcasts (recorder/, built into .bin/recorder) run for a site on
loopback, as tests and benches need it: started, killed as a crash would, started again."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from devservers.servers import RECORDER


class Recorder:
    """One recorder process asking `site_url` what to record and writing under `spool`."""

    def __init__(
        self,
        *,
        site_url: str,
        spool: Path,
        log: Path,
        api_key: str,
        api_secret: str,
        poll_seconds: float = 0.5,
    ) -> None:
        self.log = log
        self.env = {
            **os.environ,
            "RECORDER_SITE_URL": site_url,
            "RECORDINGS_SPOOL_DIR": str(spool),
            "LIVEKIT_API_KEY": api_key,
            "LIVEKIT_API_SECRET": api_secret,
            "RECORDER_POLL_SECONDS": str(poll_seconds),
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> Recorder:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(RECORDER)], env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """At once, as a crash would: nothing is closed, its ffmpeg children are left."""
        if self.running:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM: every recording closed (ENDLIST), then it exits (or is killed)."""
        if self.running:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
