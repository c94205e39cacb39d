"""The tooling that installs and runs LiveKit for `make run` and the tests."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from devservers import servers
from devservers.servers import (
    LIVEKIT_SETTLE_SECONDS,
    NODE_PORT_STEP,
    ROOT,
    LiveKitConfig,
    SetupError,
    apt_install,
    free_port,
    http_ok,
    ingress_installed,
    install_redis,
    livekit_installed,
    recorder_installed,
    wait_until,
)
from tests.conftest import need


def test_install_reports_success_when_everything_is_installed():
    if not (livekit_installed() and ingress_installed() and recorder_installed()):
        if os.environ.get("CI"):
            pytest.fail("make test installs livekit-server, Ingress and the recorder in CI")
        pytest.skip("livekit-server, Ingress or the recorder not installed here")
    result = subprocess.run(
        [sys.executable, "-m", "devservers", "install", "--optional"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_the_recorder_is_built_again_when_its_sources_change(tmp_path, monkeypatch):
    sources = tmp_path / "recorder"
    shutil.copytree(servers.RECORDER_SOURCES, sources, ignore=shutil.ignore_patterns("recorder"))
    monkeypatch.setattr(servers, "RECORDER_SOURCES", sources)
    built = servers.recorder_build()
    (sources / "notes.txt").write_text("not a source")
    assert servers.recorder_build() == built
    main = sources / "main.go"
    main.write_text(main.read_text() + "\n// a change\n")
    assert servers.recorder_build() != built


def test_the_configs_refuse_a_short_secret():
    with pytest.raises(SetupError, match="32 characters"):
        LiveKitConfig(api_key="k", api_secret="short", webhook_url="http://x").render()


def test_the_livekit_config_is_loopback_only_and_signs_webhooks_with_our_key():
    text = LiveKitConfig(
        api_key="key1", api_secret="s" * 40, webhook_url="http://127.0.0.1:8000/api/webhook/livekit"
    ).render()
    assert "bind_addresses:\n  - 127.0.0.1" in text
    assert "node_ip: 127.0.0.1" in text
    assert "  api_key: key1\n  urls:\n    - http://127.0.0.1:8000/api/webhook/livekit" in text
    assert "$" not in text


def listening_sockets(pids: set[int]) -> list[str]:
    """The local addresses ("127.0.0.1:7880") of the TCP and UDP sockets `pids` listen on."""
    table = subprocess.run(["ss", "-ltnupH"], capture_output=True, text=True, check=True)
    return [
        line.split()[4]
        for line in table.stdout.splitlines()
        if any(f"pid={pid}," in line for pid in pids)
    ]


def test_livekit_server_and_ingress_listen_on_loopback_only(ingress):
    need(shutil.which("ss") is not None, "ss (Debian's iproute2)")
    stack = ingress
    processes = [node.process for node in stack.servers] + [stack.ingress]
    addresses = listening_sockets({process.pid for process in processes})
    assert f"127.0.0.1:{stack.config.port}" in addresses
    assert f"127.0.0.1:{stack.config.rtc_udp_port}" in addresses
    # Ingress v1.5.0 opens RTMP and WHIP on every interface: no setting takes their address.
    everywhere = {f"*:{stack.config.rtmp_port}", f"*:{stack.config.whip_port}"}
    assert [a for a in addresses if not a.startswith("127.0.0.1:") and a not in everywhere] == []


def test_the_nodes_of_a_cluster_share_redis_keys_and_webhook_on_ports_of_their_own():
    first = LiveKitConfig(api_key="key1", api_secret="s" * 40, webhook_url="http://x/hook")
    second = first.node(1)
    assert (second.port, second.rtc_udp_port) == (7890, 7892)
    assert first.node(0) == first
    for text in (first.render(), second.render()):
        assert "redis:\n  address: 127.0.0.1:6390" in text
        assert "keys:\n  key1: " + "s" * 40 in text
        assert "urls:\n    - http://x/hook" in text
    assert "port: 7890\n" in second.render()
    assert "udp_port: 7892\n" in second.render()
    other = first.node_on_free_ports()
    assert len({first.port, other.port, other.rtc_udp_port}) == 3


def _free_port_block(size: int) -> int:
    """A port from which `size` ports up are free (TCP and UDP) on loopback."""
    while True:
        base = free_port()
        if all(_bindable(base + offset) for offset in range(size)):
            return base


def _bindable(port: int) -> bool:
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_INET, kind) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def test_the_livekit_command_runs_a_cluster_of_nodes_and_stops_them_all(tmp_path):
    if not livekit_installed():
        if os.environ.get("CI"):
            pytest.fail("make test installs livekit-server in CI")
        pytest.skip("livekit-server not installed here")
    redis_port, base = free_port(), _free_port_block(NODE_PORT_STEP + 3)
    redis = subprocess.Popen(
        [install_redis(), "--port", str(redis_port), "--bind", "127.0.0.1", "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    command = [sys.executable, "-m", "devservers", "livekit", "--nodes", "2"]
    command += ["--port", str(base), "--redis-port", str(redis_port)]
    cluster, log = None, tmp_path / "cluster.log"
    try:
        with log.open("w") as output:
            cluster = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=output)
        urls = [f"http://127.0.0.1:{base}/", f"http://127.0.0.1:{base + NODE_PORT_STEP}/"]
        wait_until(lambda: all(http_ok(url) for url in urls), 30, "the two nodes", cluster)
        nodes = subprocess.run(
            ["redis-cli", "-p", str(redis_port), "HLEN", "nodes"], capture_output=True, text=True
        )
        assert nodes.stdout.strip() == "2"  # one cluster: both registered in the one Redis
        time.sleep(LIVEKIT_SETTLE_SECONDS)
        cluster.send_signal(signal.SIGTERM)
        assert cluster.wait(timeout=15) == 0
        assert not any(http_ok(url) for url in urls)
        assert f"Node 1: http://127.0.0.1:{base + NODE_PORT_STEP}" in log.read_text()
    finally:
        if cluster is not None and cluster.poll() is None:
            cluster.terminate()  # it stops its nodes (SIGKILL would leave them running)
            cluster.wait(timeout=15)
        redis.terminate()
        redis.wait(timeout=5)


# ------------------------------------------------------------ Debian packages and the dpkg lock

DPKG_LOCK = "/var/lib/dpkg/lock-frontend"


def _as_root_with_apt() -> None:
    if os.geteuid() != 0 or not os.path.exists(DPKG_LOCK):
        if os.environ.get("CI"):
            pytest.fail("CI runs as root on Debian")
        pytest.skip("needs root and apt")


@contextlib.contextmanager
def _dpkg_lock_held(seconds: float):
    """Hold the lock apt-get takes, as another package manager would, for `seconds`."""
    descriptor = os.open(DPKG_LOCK, os.O_RDWR)
    fcntl.lockf(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    release = threading.Timer(seconds, lambda: fcntl.lockf(descriptor, fcntl.LOCK_UN))
    release.start()
    try:
        yield
    finally:
        release.cancel()
        fcntl.lockf(descriptor, fcntl.LOCK_UN)
        os.close(descriptor)


def test_an_install_waits_while_another_package_manager_holds_the_lock_and_says_so(capsys):
    _as_root_with_apt()
    with _dpkg_lock_held(seconds=2):
        apt_install(["--no-upgrade", "redis-server"], "A test")  # installed: nothing to do
    said = capsys.readouterr().err
    assert f"==> Waiting for process {os.getpid()} (python" in said
    assert "to let go of the dpkg lock (5 minutes at most)" in said


def test_an_install_that_cannot_get_the_lock_says_apts_own_error(monkeypatch):
    _as_root_with_apt()
    monkeypatch.setattr(servers, "APT_LOCK_WAIT_SECONDS", 1)
    with _dpkg_lock_held(seconds=30), pytest.raises(SetupError) as refused:
        apt_install(["--no-upgrade", "redis-server"], "A test")
    assert "apt-get install failed (status 100)" in str(refused.value)
    assert "Unable to acquire the dpkg frontend lock" in str(refused.value)


def test_the_camera_pattern_keeps_its_flashes_and_beeps_measurable(tmp_path):
    # Noise on the picture and a hiss under the beeps, yet still black and silence to the
    # detectors that find each flash and its beep.
    from devservers.media import av_offsets, ffmpeg_rtmp_command

    recording = tmp_path / "camera.flv"
    encoder = subprocess.Popen(ffmpeg_rtmp_command(str(recording), "sync-camera"))
    time.sleep(5)
    encoder.terminate()
    assert encoder.wait(timeout=10) in (0, 255)  # 255: stopped by the signal, file closed
    offsets = av_offsets(str(recording))
    assert [round(when) for when, _ in offsets] == [2, 4]
    assert all(abs(offset) < 0.03 for _, offset in offsets), offsets
