"""What `make run` prints: what a developer needs and nothing that looks like a failure when
nothing failed. (A broadcast to a room that just closed: tests/test_livekit_room.py.)"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.utils.log import log_response

from devservers.rtc import publisher_token
from devservers.servers import (
    LIVEKIT_SETTLE_SECONDS,
    ROOT,
    LiveKitConfig,
    free_port,
    http_ok,
    livekit_installed,
    wait_until,
)
from tests.test_devservers import _free_port_block


def _honcho() -> str:
    return os.path.join(os.path.dirname(sys.executable), "honcho")


def _start(command: list[str], log, cwd=ROOT, env=None) -> subprocess.Popen:
    """Start `command` in a session of its own with Ctrl-C (SIGINT) handled as in a
    terminal, whatever this process ignores."""
    return subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def test_ctrl_c_stops_make_run_with_one_line_and_no_error(tmp_path):
    (tmp_path / "Procfile").write_text(f'web: {sys.executable} -c "import time; time.sleep(60)"\n')
    (tmp_path / "Makefile").write_text(
        f"run:\n\t@exec {ROOT / 'scripts' / 'serve.sh'} {_honcho()} -f Procfile start\n"
    )
    output = tmp_path / "console.txt"
    with output.open("w") as log:
        make = _start(["make", "--no-print-directory", "run"], log, cwd=tmp_path)
    try:
        wait_until(lambda: "web.1 started" in output.read_text(), 30, "honcho", make)
        os.killpg(make.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        make.wait(timeout=30)
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
    console = output.read_text()
    assert console.rstrip().endswith("==> Stopped.")
    assert "Error" not in console


def test_a_process_that_fails_keeps_its_status():
    assert subprocess.run([ROOT / "scripts" / "serve.sh", "sh", "-c", "exit 3"]).returncode == 3


def test_runserver_says_nothing_of_clients_that_hang_up(caplog):
    server = logging.getLogger("django.server")
    hung_up = server.makeRecord(
        server.name, logging.INFO, __file__, 1, "- Broken pipe from %s", (("127.0.0.1", 1),), None
    )
    request = server.makeRecord(
        server.name, logging.INFO, __file__, 1, '"%s" %s %s', ("GET / HTTP/1.1", "200", "5"), None
    )
    assert not server.filter(hung_up)
    assert server.filter(request)


def test_runserver_keeps_quiet_about_the_recorder_asking_every_second_but_not_a_refusal():
    server = logging.getLogger("django.server")

    def line(request_line: str, status: str) -> logging.LogRecord:
        args = (request_line, status, "12")
        return server.makeRecord(server.name, logging.INFO, __file__, 1, '"%s" %s %s', args, None)

    assert not server.filter(line("GET /api/recorder/jobs HTTP/1.1", "200"))
    assert server.filter(line("GET /api/recorder/jobs HTTP/1.1", "401"))
    assert server.filter(line("POST /api/recorder/broadcasts/3/state HTTP/1.1", "200"))


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 429])
def test_django_logs_no_warning_for_an_ordinary_client_error(caplog, rf, status):
    with caplog.at_level(logging.DEBUG):
        log_response(
            "Refused: %s", "/x", response=HttpResponse(status=status), request=rf.get("/x")
        )
    assert not caplog.records  # runserver's request line is the one record of it


def test_django_still_logs_a_server_error_as_an_error(caplog, rf):
    with caplog.at_level(logging.DEBUG):
        log_response("Failed: %s", "/x", response=HttpResponse(status=500), request=rf.get("/x"))
    assert [record.levelname for record in caplog.records] == ["ERROR"]


def test_runserver_prints_a_client_error_once_and_not_as_a_warning(tmp_path):
    port, output = free_port(), tmp_path / "console.txt"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "streamsite.settings",
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_RUNSERVER_HIDE_WARNING": "true",
    }
    command = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    with output.open("w") as log:
        web = _start(command, log, env=env)
    try:
        wait_until(lambda: _listening(port), 30, "runserver", web)
        for path in ["/no/such/page/", "/metrics", "/api/webhook/livekit"]:  # 404, 404, 405
            with pytest.raises(urllib.error.HTTPError):
                urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10)
        wait_until(lambda: "/api/webhook/livekit" in output.read_text(), 10, "the log", web)
    finally:
        web.terminate()
        web.wait(timeout=10)
    console = output.read_text()
    for path in ["/no/such/page/", "/metrics", "/api/webhook/livekit"]:
        assert console.count(path) == 1, console
    assert "WARNING" not in console


def test_redis_for_make_run_logs_to_a_file_not_the_console(tmp_path):
    port, log_file = free_port(), tmp_path / "redis.log"
    output = tmp_path / "console.txt"
    command = [sys.executable, "-m", "devservers", "redis", "--port", str(port)]
    with output.open("w") as log:
        redis = _start([*command, "--log-file", str(log_file)], log)
    try:
        wait_until(lambda: _listening(port), 15, "redis-server", redis)
        said_at_start = output.read_text().splitlines()
    finally:
        redis.terminate()
        redis.wait(timeout=10)
    assert said_at_start == [f"==> Redis on 127.0.0.1:{port}, logging to {log_file}"]
    assert "Redis" in log_file.read_text()  # what it says is kept there


def test_redis_for_make_run_stops_once_its_clients_let_go(tmp_path):
    """Stopped before livekit-server, Redis would make it fail to leave the cluster."""
    port, output = free_port(), tmp_path / "console.txt"
    command = [sys.executable, "-m", "devservers", "redis", "--port", str(port)]
    with output.open("w") as log:
        redis = _start([*command, "--log-file", str(tmp_path / "redis.log")], log)
    try:
        wait_until(lambda: _listening(port), 15, "redis-server", redis)
        with socket.create_connection(("127.0.0.1", port)) as livekit:
            redis.send_signal(signal.SIGTERM)  # Ctrl-C: honcho stops everything at once
            wait_until(lambda: "Redis stops once" in output.read_text(), 10, "the stop", redis)
            livekit.sendall(b"PING\r\n")
            assert livekit.recv(64) == b"+PONG\r\n"  # still there for LiveKit's goodbye
        assert redis.wait(timeout=10) == 0
    finally:
        if redis.poll() is None:
            redis.kill()
    assert not _listening(port)


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def _livekit_for_make_run(tmp_path):
    """livekit-server (and Redis) as `make run` starts it; yields its port and what it prints
    until it has stopped."""
    if not livekit_installed():
        if os.environ.get("CI"):
            pytest.fail("make test installs livekit-server in CI")
        pytest.skip("livekit-server not installed here")
    redis_port, port = free_port(), _free_port_block(3)
    redis_log = tmp_path / "redis.log"
    redis = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "devservers",
            "redis",
            "--port",
            str(redis_port),
            "--log-file",
            redis_log,
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    env = {
        **os.environ,
        "LIVEKIT_API_KEY": settings.LIVEKIT_API_KEY,
        "LIVEKIT_API_SECRET": settings.LIVEKIT_API_SECRET,
    }
    command = [sys.executable, "-m", "devservers", "livekit", "--port", str(port)]
    output, livekit = tmp_path / "console.txt", None
    try:
        with output.open("w") as log:
            livekit = _start([*command, "--redis-port", str(redis_port)], log, env=env)
        config = LiveKitConfig(api_key="k", api_secret="s" * 32, webhook_url="", port=port)
        wait_until(lambda: http_ok(config.url), 30, "livekit-server", livekit)
        time.sleep(LIVEKIT_SETTLE_SECONDS)  # a SIGTERM sooner is lost
        yield port, output
        livekit.terminate()
        livekit.wait(timeout=15)
    finally:
        if livekit is not None and livekit.poll() is None:
            livekit.kill()
        redis.terminate()
        redis.wait(timeout=10)


def test_livekit_for_make_run_prints_no_routine_information(tmp_path):
    with _livekit_for_make_run(tmp_path) as (_, output):
        pass
    assert "INFO" not in output.read_text()  # "starting LiveKit server" and the like


def _leave_while_joining(port: int, identity: str) -> None:
    """What a browser does when its viewer leaves the page while the player is connecting:
    the join request (a WebSocket upgrade) is sent and the connection closed at once."""
    token = publisher_token(
        api_key=settings.LIVEKIT_API_KEY,
        api_secret=settings.LIVEKIT_API_SECRET,
        room="a-channel",
        identity=identity,
        name=identity,
    )
    request = (
        f"GET /rtc?access_token={token}&auto_subscribe=1&protocol=16 HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.sendall(request.encode())


def test_livekit_for_make_run_prints_nothing_when_a_viewer_leaves_while_joining(tmp_path):
    with _livekit_for_make_run(tmp_path) as (port, output):
        for viewer in range(3):
            _leave_while_joining(port, f"viewer-{viewer}")
        time.sleep(1)  # what the server says of it, it says within milliseconds
    console = output.read_text()
    assert "could not handle new participant" not in console
    assert "ERROR" not in console


def test_the_dev_configs_quiet_routine_warnings():
    config = LiveKitConfig(
        api_key="k",
        api_secret="s" * 32,
        webhook_url="",
        log_level="warn",
        transport_log_level="error",
    )
    assert "logging:\n  level: warn\n  component_levels:\n    transport: error\n" in config.render()
