"""The real LiveKit server (and the Redis it needs) on this machine, for `make run` and the
tests: installing them when missing, rendering a loopback-only config, starting and stopping.

Standard library only, so it runs before the project's dependencies are installed.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

ROOT = Path(__file__).resolve().parent.parent
BIN_DIR = ROOT / ".bin"

# The one place the LiveKit server version is pinned. v1.8.2 (the tag paired with ingress
# v1.4.3) is refused by the Go module proxy reachable here; v1.13.5 is served and builds.
LIVEKIT_SERVER_MODULE = "github.com/livekit/livekit-server/cmd/server"
LIVEKIT_SERVER_VERSION = "v1.13.5"
LIVEKIT_SERVER = BIN_DIR / "livekit-server"

CONFIG_TEMPLATE = Path(__file__).resolve().parent / "livekit.yaml"


class SetupError(Exception):
    """Something needed is missing and cannot be installed here; the message says what."""


def say(message: str) -> None:
    print(f"==> {message}", file=sys.stderr, flush=True)


def livekit_installed() -> bool:
    stamp = LIVEKIT_SERVER.with_suffix(".version")
    return (
        LIVEKIT_SERVER.is_file()
        and stamp.is_file()
        and stamp.read_text().strip() == LIVEKIT_SERVER_VERSION
    )


def install_livekit() -> Path:
    """Build livekit-server with `go install` into .bin/ unless that version is there."""
    if livekit_installed():
        return LIVEKIT_SERVER
    go = shutil.which("go")
    if go is None:
        raise SetupError(
            "Go is not installed, so livekit-server cannot be built "
            f"(go install {LIVEKIT_SERVER_MODULE}@{LIVEKIT_SERVER_VERSION})."
        )
    BIN_DIR.mkdir(exist_ok=True)
    say(
        f"Building livekit-server {LIVEKIT_SERVER_VERSION} with go install into .bin/ "
        "(the first time takes several minutes; later runs reuse it)"
    )
    with tempfile.TemporaryDirectory(dir=BIN_DIR) as gobin:
        subprocess.run(
            [go, "install", f"{LIVEKIT_SERVER_MODULE}@{LIVEKIT_SERVER_VERSION}"],
            env={**os.environ, "GOBIN": gobin, "GOFLAGS": "-buildvcs=false"},
            check=True,
        )
        Path(gobin, "server").replace(LIVEKIT_SERVER)
    LIVEKIT_SERVER.with_suffix(".version").write_text(LIVEKIT_SERVER_VERSION + "\n")
    return LIVEKIT_SERVER


def install_redis() -> str:
    """Debian's redis-server, installed with apt-get when missing and we are root."""
    found = shutil.which("redis-server")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise SetupError(
            "redis-server is not installed (LiveKit's ingress APIs need it): "
            "install Debian's redis-server package."
        )
    say("Installing redis-server from Debian's packages")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "redis-server"]
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, check=True)
        subprocess.run(install, env=env, capture_output=True, check=True)
    # The package starts a system service on 6379; ours run on their own ports.
    found = shutil.which("redis-server")
    if not found:
        raise SetupError("apt-get installed redis-server but it is not on PATH.")
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveKitConfig:
    api_key: str
    api_secret: str
    webhook_url: str
    port: int = 7880
    rtc_tcp_port: int = 7881
    rtc_udp_port: int = 7882
    redis_port: int = 6390
    rtmp_port: int = 1935
    whip_port: int = 8080
    empty_timeout: int = 300
    departure_timeout: int = 20
    log_level: str = "info"

    def render(self) -> str:
        if len(self.api_secret) < 32:
            raise SetupError("LIVEKIT_API_SECRET must have at least 32 characters.")
        return Template(CONFIG_TEMPLATE.read_text()).substitute(vars(self))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"


def wait_until(check, timeout: float, what: str, process: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SetupError(f"{what} exited with status {process.returncode} while starting.")
        if check():
            return
        time.sleep(0.05)
    raise SetupError(f"{what} did not start within {timeout:.0f} s.")


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class LiveKitStack:
    """Redis and livekit-server on the ports of `config`, started and stopped together."""

    config: LiveKitConfig
    log_dir: Path
    processes: list[subprocess.Popen] = field(default_factory=list)

    def start(self) -> LiveKitStack:
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> LiveKitStack:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        redis = install_redis()
        self._spawn(
            "redis",
            [
                redis,
                "--port",
                str(self.config.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
        )
        redis_up = lambda: _port_open(self.config.redis_port)  # noqa: E731
        wait_until(redis_up, 15, "redis-server", self.processes[-1])
        config_file = self.log_dir / "livekit.yaml"
        config_file.write_text(self.config.render())
        self._spawn("livekit", [str(LIVEKIT_SERVER), "--config", str(config_file)])
        wait_until(
            lambda: _http_ok(self.config.url + "/"), 30, "livekit-server", self.processes[-1]
        )
        return self

    def _spawn(self, name: str, command: list[str]) -> None:
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
        self.processes.append(
            subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=self.log_dir)
        )

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    # livekit-server waits for participants on the first SIGTERM.
                    process.kill()
                    process.wait(timeout=5)
        self.processes.clear()

    def __enter__(self) -> LiveKitStack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
