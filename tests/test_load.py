"""A short raid (bench/load.py, a few dozen viewers for a few seconds) on servers of its own,
through nginx in front as production runs it: nothing fails, no chat message is lost, and
the static files come from nginx. No timing is asserted: the machine is shared."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from devservers.proxy import MISSING, nginx_installed
from devservers.servers import ROOT, livekit_installed

pytestmark = [pytest.mark.livekit, pytest.mark.load]

SHORT_RAID = [
    *("--rates", "4", "--seconds", "8", "--drain", "30"),
    *("--logged-in", "0.5", "--accounts", "10", "--subscribers", "3"),
    *("--database", "loadbench_test", "--ceiling", "0"),
]


def needs(what: str, there: bool) -> None:
    if not there:
        if os.environ.get("CI"):
            pytest.fail(f"{what} (in CI it must be: `make test` provides it)")
        pytest.skip(what)


def test_a_short_raid_fails_no_request_and_loses_no_chat_message(tmp_path):
    missing = "livekit-server is not installed: run `python -m devservers install`"
    needs(missing, livekit_installed())
    needs(MISSING, nginx_installed())
    database = os.environ.get("DATABASE_URL", "")
    needs("the load test needs PostgreSQL (DATABASE_URL)", database.startswith("postgres"))
    figures = tmp_path / "raid.json"
    command = [sys.executable, "bench/load.py", *SHORT_RAID, "--pg-url", database]
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    with subprocess.Popen(
        [*command, "--json", str(figures)],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as bench:
        try:
            output = bench.communicate(timeout=240)[0]
        except subprocess.TimeoutExpired:
            bench.terminate()  # the bench then stops the servers it started
            pytest.fail(f"the short raid took over 240 s: {bench.communicate(timeout=60)[0]}")
    assert bench.returncode == 0, output[-4000:]
    (raid,) = json.loads(Path(figures).read_text())
    assert raid["errors"] == {}
    assert raid["arrived"] == raid["finished"] == 32
    chat = raid["chat"]
    assert chat["sent"] == 16
    assert chat["saved"] == chat["sent"]
    assert chat["delivered"] == [chat["sent"]] * 3
    answered = raid["answered"]
    assert answered["static css"] == {"nginx": 32}
    assert answered["static js"]["nginx"] >= 32
    assert sum(answered["token"].values()) == answered["token"]["gunicorn"] == 32
    # Every guest's history twice (the second once the proxy's copy has expired), some from
    # the proxy's cache; each signed-in viewer's once, from gunicorn.
    assert raid["endpoints"]["chat again"]["requests"] == 16
    assert sum(answered["chat history"].values()) == 16 * 2 + 16
    assert answered["chat history"]["proxy cache"] > 0
