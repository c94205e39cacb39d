"""The real LiveKit server (and the Redis it needs) on this machine, for `make run` and the
tests: installing them (and the recorder) when missing, rendering a loopback-only config,
starting and stopping.

Standard library only, so it runs before the project's dependencies are installed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field, replace
from pathlib import Path
from string import Template

ROOT = Path(__file__).resolve().parent.parent
BIN_DIR = ROOT / ".bin"

# The one place the LiveKit server version is pinned: v1.13.5, paired with Ingress v1.5.0
# below (Ingress v1.5.0 speaks the protocol of the v1.13 servers). The later v1.13 releases
# (v1.13.10 fixes the crash that the patch below mends) replace pion's WebRTC, DTLS and ICE
# with LiveKit's own forks, which the Go module proxy does not serve: they cannot be built
# from it. So v1.13.5 is built from the proxy's module with the patches in
# devservers/patches/livekit-server/ applied, each naming the upstream issue it mends.
LIVEKIT_SERVER_MODULE = "github.com/livekit/livekit-server"
LIVEKIT_SERVER_VERSION = "v1.13.5"
LIVEKIT_SERVER = BIN_DIR / "livekit-server"
LIVEKIT_SERVER_PATCHES = Path(__file__).resolve().parent / "patches" / "livekit-server"

# LiveKit Ingress (OBS -> RTMP/WHIP -> room), built with cgo against Debian's GStreamer:
# v1.5.0, the release that pairs with the server above.
INGRESS_MODULE = "github.com/livekit/ingress"
INGRESS_VERSION = "v1.5.0"
INGRESS = BIN_DIR / "ingress"  # it re-executes itself as `ingress run-handler`: keep the name
INGRESS_BUILD_PACKAGES = [
    "pkg-config",
    "libgstreamer1.0-dev",
    "libgstreamer-plugins-base1.0-dev",
    "libgstreamer-plugins-bad1.0-dev",
    "libglib2.0-dev",
]
INGRESS_RUNTIME_PACKAGES = [
    "gstreamer1.0-plugins-base",
    "gstreamer1.0-plugins-good",
    "gstreamer1.0-plugins-bad",
    "gstreamer1.0-plugins-ugly",
    "gstreamer1.0-libav",
]

# The recorder of past broadcasts (docs/recording.md): this repository's recorder/, a Go
# program on LiveKit's Go SDK, built with the Go that builds the servers. Its stamp is a
# digest of its sources, so a change to them rebuilds it.
RECORDER_SOURCES = ROOT / "recorder"
RECORDER = BIN_DIR / "recorder"

TEMPLATES = Path(__file__).resolve().parent
CONFIG_TEMPLATE = TEMPLATES / "livekit.yaml"
INGRESS_TEMPLATE = TEMPLATES / "ingress.yaml"


class SetupError(Exception):
    """Something needed is missing and cannot be installed here; the message says what."""


def say(message: str) -> None:
    print(f"==> {message}", file=sys.stderr, flush=True)


def _patches(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.patch")) if directory.is_dir() else []


def livekit_server_build() -> str:
    """What .bin/livekit-server must be: the version and, when patched, which patches."""
    patches = _patches(LIVEKIT_SERVER_PATCHES)
    if not patches:
        return LIVEKIT_SERVER_VERSION
    digest = hashlib.sha256(b"".join(patch.read_bytes() for patch in patches)).hexdigest()
    return f"{LIVEKIT_SERVER_VERSION}+patches.{digest[:12]}"


def recorder_build() -> str:
    """What .bin/recorder must be: a digest of recorder/'s Go files, go.mod and go.sum."""
    digest = hashlib.sha256()
    for path in sorted(RECORDER_SOURCES.rglob("*")):
        if path.suffix == ".go" or path.name in {"go.mod", "go.sum"}:
            name, data = path.relative_to(RECORDER_SOURCES).as_posix(), path.read_bytes()
            digest.update(f"{name}\0{len(data)}\0".encode() + data)
    return f"sources.{digest.hexdigest()[:12]}"


def _installed(binary: Path, build: str) -> bool:
    stamp = binary.with_suffix(".version")
    return binary.is_file() and stamp.is_file() and stamp.read_text().strip() == build


def livekit_installed() -> bool:
    return _installed(LIVEKIT_SERVER, livekit_server_build())


def ingress_installed() -> bool:
    return _installed(INGRESS, INGRESS_VERSION)


def recorder_installed() -> bool:
    return _installed(RECORDER, recorder_build())


def _go(what: str) -> str:
    go = shutil.which("go")
    if go is None:
        raise SetupError(f"Go is not installed, so {what} cannot be built.")
    return go


def build_go_module(module: str, version: str, binary: Path, patches: list[Path]) -> None:
    """Download `module@version` from the Go module proxy, apply `patches` to a copy (a patch
    that does not apply stops the build) and build its ./cmd/server into `binary`.

    Built in place rather than with `go install`, which refuses modules with `replace`
    directives (Ingress has some)."""
    go = _go(f"{module} {version}")
    env = {**os.environ, "GOFLAGS": "-buildvcs=false"}
    download = subprocess.run(
        [go, "mod", "download", "-json", f"{module}@{version}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    BIN_DIR.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=BIN_DIR) as work:
        source = Path(json.loads(download.stdout)["Dir"])
        if patches:
            copy = Path(work, "source")
            shutil.copytree(source, copy)
            for path in [copy, *copy.rglob("*")]:
                path.chmod(path.stat().st_mode | 0o200)  # the module cache is read-only
            for patch in patches:
                applied = subprocess.run(
                    ["patch", "-p1", "--forward", "--batch", "-i", str(patch)],
                    cwd=copy,
                    capture_output=True,
                    text=True,
                )
                if applied.returncode != 0:
                    raise SetupError(
                        f"{patch.name} does not apply to {module} {version}: "
                        f"{applied.stdout.strip()} {applied.stderr.strip()}"
                    )
            source = copy
        out = Path(work, binary.name)
        subprocess.run(
            [go, "build", "-o", str(out), "./cmd/server"], cwd=source, env=env, check=True
        )
        out.replace(binary)


def install_livekit() -> Path:
    """Build livekit-server into .bin/ unless that build is there."""
    if livekit_installed():
        return LIVEKIT_SERVER
    patches = _patches(LIVEKIT_SERVER_PATCHES)
    say(
        f"Building livekit-server {LIVEKIT_SERVER_VERSION} with {len(patches)} patch(es) into "
        ".bin/ (the first time takes several minutes; later runs reuse it)"
    )
    build_go_module(LIVEKIT_SERVER_MODULE, LIVEKIT_SERVER_VERSION, LIVEKIT_SERVER, patches)
    LIVEKIT_SERVER.with_suffix(".version").write_text(livekit_server_build() + "\n")
    return LIVEKIT_SERVER


def install_ingress() -> Path:
    """Build LiveKit Ingress into .bin/ingress unless that version is there."""
    if ingress_installed():
        return INGRESS
    _go(f"LiveKit Ingress {INGRESS_VERSION}")
    install_debian_packages(INGRESS_BUILD_PACKAGES + INGRESS_RUNTIME_PACKAGES, "LiveKit Ingress")
    say(
        f"Building LiveKit Ingress {INGRESS_VERSION} (cgo + GStreamer) into .bin/ "
        "(the first time takes several minutes; later runs reuse it)"
    )
    build_go_module(INGRESS_MODULE, INGRESS_VERSION, INGRESS, [])
    INGRESS.with_suffix(".version").write_text(INGRESS_VERSION + "\n")
    return INGRESS


def install_recorder() -> Path:
    """Build recorder/ into .bin/recorder unless that build of its sources is there. Its
    dependencies are pinned by recorder/go.sum: the build downloads nothing else."""
    if recorder_installed():
        return RECORDER
    go = _go("the recorder")
    say("Building the recorder (Go, first time about 3 minutes)")
    env = {**os.environ, "GOFLAGS": "-buildvcs=false -mod=readonly"}
    BIN_DIR.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=BIN_DIR) as work:
        out = Path(work, RECORDER.name)
        subprocess.run(
            [go, "build", "-trimpath", "-o", str(out), "."],
            cwd=RECORDER_SOURCES,
            env=env,
            check=True,
        )
        out.replace(RECORDER)
    RECORDER.with_suffix(".version").write_text(recorder_build() + "\n")
    return RECORDER


def _dpkg_installed(package: str) -> bool:
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True
    )
    return result.returncode == 0 and "install ok installed" in result.stdout


def install_debian_packages(packages: list[str], purpose: str) -> None:
    missing = [p for p in packages if not _dpkg_installed(p)]
    if missing:
        apt_install(missing, purpose)


# How long an install waits for another package manager (an unattended upgrade, another
# apt-get) to let go of the dpkg lock before it gives up.
APT_LOCK_WAIT_SECONDS = 300


def apt_install(packages: list[str], purpose: str) -> None:
    """`apt-get install` as root, after `apt-get update` if the package lists are too old to
    have them. While another package manager holds the lock it waits, saying so; when apt
    fails, the SetupError carries apt's own error lines."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise SetupError(f"{purpose} needs Debian packages: apt-get install {' '.join(packages)}")
    say(f"Installing {' '.join(packages)} from Debian's packages")
    try:
        _apt("install", *packages)
    except AptLocked:
        raise  # waited long enough: updating the lists would wait again
    except SetupError:  # most often, lists too old to know the packages
        _apt("update")
        _apt("install", *packages)


class AptLocked(SetupError):
    """Another package manager held the dpkg lock for all of APT_LOCK_WAIT_SECONDS."""


def _apt(*arguments: str) -> None:
    command = ["apt-get", "-q", "-y", "-o", f"DPkg::Lock::Timeout={APT_LOCK_WAIT_SECONDS}"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    apt = subprocess.Popen(
        [*command, *arguments], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    said, lines, minutes = False, [], APT_LOCK_WAIT_SECONDS // 60
    for line in apt.stdout:
        lines.append(line.rstrip())
        if line.startswith("Waiting for cache lock") and not said:
            holder = line.partition("It is held by ")[2].strip(" .\n") or "another process"
            say(f"Waiting for {holder} to let go of the dpkg lock ({minutes} minutes at most)")
            said = True
    if apt.wait() == 0:
        return
    errors = [line for line in lines if line.startswith("E:")] or lines[-3:]
    message = f"apt-get {arguments[0]} failed (status {apt.returncode}): {' '.join(errors)}"
    if any("lock" in line for line in errors):
        raise AptLocked(message)
    raise SetupError(message)


def install_redis() -> str:
    """Debian's redis-server, installed with apt-get when missing and we are root."""
    found = shutil.which("redis-server")
    if found:
        return found
    apt_install(["redis-server"], "LiveKit's ingress APIs")
    # The package starts a system service on 6379; ours run on their own ports.
    found = shutil.which("redis-server")
    if not found:
        raise SetupError("apt-get installed redis-server but it is not on PATH.")
    return found


# Nodes of a cluster on one machine (`python -m devservers livekit --nodes N`) listen this
# far apart: 7880-7882 for the first node, 7890-7892 for the second, and so on.
NODE_PORT_STEP = 10


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
    rtc_udp_port: int = 7882
    redis_port: int = 6390
    rtmp_port: int = 1935
    whip_port: int = 8080
    http_relay_port: int = 9090
    ingress_health_port: int = 9091
    ingress_udp_port: int = 7885
    empty_timeout: int = 300
    departure_timeout: int = 20
    log_level: str = "info"
    transport_log_level: str = "info"  # livekit-server's WebRTC transports

    @classmethod
    def on_free_ports(cls, **fields) -> LiveKitConfig:
        """A config whose every port (server, WebRTC, Redis, Ingress) is a free one."""
        ports = {
            name: free_port()
            for name in [
                "port",
                "redis_port",
                "rtmp_port",
                "whip_port",
                "http_relay_port",
                "ingress_health_port",
            ]
        }
        ports.update(rtc_udp_port=free_udp_port(), ingress_udp_port=free_udp_port())
        return cls(**{**ports, **fields})

    def node(self, index: int) -> LiveKitConfig:
        """Node `index` of a cluster on this machine (node 0 is this config): the same Redis,
        keys, webhook and Ingress, with its own API and WebRTC ports NODE_PORT_STEP apart."""
        step = index * NODE_PORT_STEP
        return replace(
            self,
            port=self.port + step,
            rtc_udp_port=self.rtc_udp_port + step,
        )

    def node_on_free_ports(self) -> LiveKitConfig:
        """Another node of this config's cluster, on free API and WebRTC ports."""
        return replace(self, port=free_port(), rtc_udp_port=free_udp_port())

    def render(self, template: Path = CONFIG_TEMPLATE) -> str:
        if len(self.api_secret) < 32:
            raise SetupError("LIVEKIT_API_SECRET must have at least 32 characters.")
        return Template(template.read_text()).substitute(vars(self))

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


def http_ok(url: str) -> bool:
    """Whether `url` answers 200 within a second."""
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


# livekit-server marks itself running 100 ms after it starts answering; a SIGTERM that comes
# before is lost and it then never exits. It is ready once it answers and this has passed.
LIVEKIT_SETTLE_SECONDS = 0.15

# The server makes up its node id when it starts and says it in its log ("starting LiveKit
# server ... nodeID"); in Redis it is only one among the others'.
NODE_ID_LOGGED = re.compile(r'"nodeID": "(ND_\w+)"')


@dataclass
class LiveKitNode:
    """One livekit-server of a stack: its config (its own ports) and its process."""

    config: LiveKitConfig
    process: subprocess.Popen
    log: Path

    @property
    def url(self) -> str:
        return self.config.url

    @property
    def ws_url(self) -> str:
        return self.config.ws_url

    @property
    def node_id(self) -> str:
        """The id the node registered in Redis (`CreateRoom` takes it as `node_id`)."""
        logged = NODE_ID_LOGGED.findall(self.log.read_text(errors="replace"))
        if not logged:
            raise SetupError(f"livekit-server logged no node id in {self.log}.")
        return logged[-1]  # the log is appended to: the last start is this one


@dataclass
class LiveKitStack:
    """Redis, livekit-server and (optionally) Ingress on the ports of `config`, started and
    stopped together.

    With `nodes` > 1 the stack is a LiveKit cluster (its distributed mode): that many
    livekit-servers share the Redis, the keys and the webhook URL; the first listens on
    `config`'s ports, the others on free ones. Ingress, when started, connects to the first.
    """

    config: LiveKitConfig
    log_dir: Path
    with_ingress: bool = False
    nodes: int = 1
    processes: list[subprocess.Popen] = field(default_factory=list)
    redis: subprocess.Popen | None = None
    servers: list[LiveKitNode] = field(default_factory=list)
    ingress: subprocess.Popen | None = None
    ingress_ready_seconds: float = 0.0  # from starting Ingress until its RTMP port accepts

    def start(self) -> LiveKitStack:
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> LiveKitStack:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        redis = install_redis()
        self.redis = self._spawn(
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
        wait_until(redis_up, 15, "redis-server", self.redis)
        configs = [self.config] + [self.config.node_on_free_ports() for _ in range(self.nodes - 1)]
        # All nodes start at once; each is ready when it answers.
        self.servers = [self._spawn_node(index, config) for index, config in enumerate(configs)]
        for node in self.servers:
            node_up = lambda node=node: http_ok(node.url + "/")  # noqa: E731
            wait_until(node_up, 30, f"livekit-server on port {node.config.port}", node.process)
        time.sleep(LIVEKIT_SETTLE_SECONDS)
        if self.with_ingress:
            self.start_ingress()
        return self

    def _spawn_node(self, index: int, config: LiveKitConfig) -> LiveKitNode:
        name = "livekit" if index == 0 else f"livekit-{index}"
        config_file = self.log_dir / f"{name}.yaml"
        config_file.write_text(config.render())
        process = self._spawn(name, [str(LIVEKIT_SERVER), "--config", str(config_file)])
        return LiveKitNode(config, process, self.log_dir / f"{name}.log")

    def restart_node(self, index: int = 0) -> LiveKitNode:
        """Kill node `index` at once, as a crash would, and start it again on the same ports
        and config; returns it once it answers."""
        old = self.servers[index]
        old.process.kill()
        old.process.wait(timeout=10)
        self.processes.remove(old.process)
        node = self._spawn_node(index, old.config)
        self.servers[index] = node
        wait_until(lambda: http_ok(node.url + "/"), 30, "livekit-server again", node.process)
        return node

    def room_node(self, room: str) -> str | None:
        """The id of the node `room` lives on, as the cluster records it in Redis (None while
        the room does not exist)."""
        redis_cli = ["redis-cli", "-p", str(self.config.redis_port), "--raw"]
        answer = subprocess.run(
            [*redis_cli, "HGET", "room_node_map", room],
            capture_output=True,
            text=True,
            check=True,
        )
        return answer.stdout.strip() or None

    def start_ingress(self) -> subprocess.Popen:
        config_file = self.log_dir / "ingress.yaml"
        config_file.write_text(self.config.render(INGRESS_TEMPLATE))
        env = {**os.environ, "PATH": f"{BIN_DIR}{os.pathsep}{os.environ.get('PATH', '')}"}
        began = time.perf_counter()
        process = self._spawn("ingress", [str(INGRESS), "--config", str(config_file)], env=env)
        self.ingress = process
        rtmp_up = lambda: _port_open(self.config.rtmp_port)  # noqa: E731
        wait_until(rtmp_up, 30, "LiveKit Ingress", process)
        self.ingress_ready_seconds = time.perf_counter() - began
        return process

    def kill_ingress(self) -> None:
        """Kill Ingress at once, as a crash would: no ingress_ended webhook is sent."""
        self.ingress.kill()
        self.ingress.wait(timeout=10)

    def _spawn(self, name: str, command: list[str], env: dict | None = None) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, cwd=self.log_dir, env=env
        )
        self.processes.append(process)
        return process

    def stop(self) -> None:
        """Ingress first, then every node at once, then the Redis they all use."""
        nodes = [node.process for node in self.servers]
        ingresses = [p for p in self.processes if p is not self.redis and p not in nodes]
        for layer in (ingresses, nodes, [self.redis]):
            terminate(p for p in layer if p is not None)
        self.processes.clear()
        self.servers.clear()
        self.redis = None

    def __enter__(self) -> LiveKitStack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def terminate(processes) -> None:
    """SIGTERM to each process at once, and 5 s for them all to exit before SIGKILL."""
    running = [p for p in processes if p.poll() is None]
    for process in running:
        process.send_signal(signal.SIGTERM)
    for process in running:
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            # livekit-server waits for participants on the first SIGTERM.
            process.kill()
            process.wait(timeout=5)
