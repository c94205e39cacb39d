"""`make run` survives one of its processes dying: honcho runs Procfile.dev, whose every line
is started again when it stops unasked, and live status heals by itself (the `sync` line)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import uuid

from django.conf import settings

from devservers.servers import ROOT, free_port, http_ok, livekit_installed, wait_until
from tests.conftest import need
from tests.test_console import _honcho, _start
from tests.test_devservers import _free_port_block

SYNC_SECONDS = 3


def procfile(web: int, livekit: int, redis: int) -> str:
    """Procfile.dev as make run reads it, on free ports, syncing every SYNC_SECONDS."""
    text = (ROOT / "Procfile.dev").read_text()
    for old, new in [
        ("127.0.0.1:8000", f"127.0.0.1:{web}"),
        ("--port 7880", f"--port {livekit}"),
        ("--port 6390", f"--port {redis}"),
        ("--redis-port 6390", f"--redis-port {redis}"),
        ("--loop 30", f"--loop {SYNC_SECONDS}"),
    ]:
        assert old in text, f"Procfile.dev no longer has {old!r}"
        text = text.replace(old, new)
    return text


def mark_live(database, username: str) -> None:
    with sqlite3.connect(database) as db:
        db.execute(
            "UPDATE streams_stream SET is_live = 1 WHERE user_id = "
            "(SELECT id FROM accounts_user WHERE username = ?)",
            [username],
        )


def is_live(database, username: str) -> bool:
    with sqlite3.connect(database) as db:
        (live,) = db.execute(
            "SELECT is_live FROM streams_stream JOIN accounts_user u ON u.id = user_id "
            "WHERE u.username = ?",
            [username],
        ).fetchone()
    return bool(live)


def livekit_pid(port: int) -> int | None:
    found = subprocess.run(
        ["pgrep", "-f", f"livekit-server --config .*livekit-{port}.yaml"],
        capture_output=True,
        text=True,
    )
    pids = found.stdout.split()
    return int(pids[0]) if pids else None


def test_make_run_outlives_a_livekit_crash_and_heals_live_status(tmp_path):
    need(livekit_installed(), "livekit-server")
    web, livekit, redis = free_port(), _free_port_block(3), free_port()
    database = tmp_path / "db.sqlite3"
    env_file = tmp_path / ".env"
    env_file.write_text(
        "\n".join(
            [
                "DJANGO_DEBUG=true",
                f"DJANGO_SECRET_KEY={uuid.uuid4().hex}",
                f"DATABASE_URL=sqlite:///{database}",
                f"DJANGO_MEDIA_ROOT={tmp_path / 'media'}",
                f"LIVEKIT_URL=http://127.0.0.1:{livekit}",
                f"LIVEKIT_WS_URL=ws://127.0.0.1:{livekit}",
                f"LIVEKIT_API_KEY={settings.LIVEKIT_API_KEY}",
                f"LIVEKIT_API_SECRET={settings.LIVEKIT_API_SECRET}",
            ]
        )
    )
    env = {**os.environ, **dict(line.split("=", 1) for line in env_file.read_text().split())}
    env.pop("DJANGO_SETTINGS_MODULE", None)  # make run uses the project's settings
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "seed_demo", "-v0"], cwd=ROOT, env=env, check=True)
    mark_live(database, "alice")  # as a lost webhook or a crash leaves it: live, no room
    (tmp_path / "Procfile").write_text(procfile(web, livekit, redis))
    console = tmp_path / "console.txt"
    command = [_honcho(), "-f", str(tmp_path / "Procfile"), "-e", str(env_file)]
    with console.open("w") as log:
        honcho = _start(
            [*command, "start", "redis", "livekit", "web", "worker", "sync"], log, env=env
        )
    site, server = f"http://127.0.0.1:{web}", f"http://127.0.0.1:{livekit}/"
    try:
        wait_until(lambda: http_ok(server) and http_ok(site + "/"), 60, "make run", honcho)
        # At start, the first pass of the sync sets alice offline.
        wait_until(lambda: not is_live(database, "alice"), SYNC_SECONDS + 10, "the sync", honcho)

        mark_live(database, "alice")
        os.kill(livekit_pid(livekit), signal.SIGKILL)
        assert http_ok(site + "/"), "the site stopped answering with LiveKit down"
        wait_until(lambda: http_ok(server), 30, "livekit-server to come back", honcho)
        said = "livekit-server stopped (killed by SIGKILL): starting it again in 1 s"
        assert said in console.read_text()
        # Within a period of the loop (and the pass's own time) once LiveKit is back.
        wait_until(lambda: not is_live(database, "alice"), SYNC_SECONDS + 5, "the sync", honcho)
        assert honcho.poll() is None, "make run stopped"
        assert http_ok(site + "/")
    finally:
        os.killpg(honcho.pid, signal.SIGINT)  # Ctrl-C
        try:
            honcho.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(honcho.pid, signal.SIGKILL)
    assert livekit_pid(livekit) is None, "livekit-server outlived make run"
