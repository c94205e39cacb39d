"""Chat under concurrent requests, on both databases the site runs on: PostgreSQL (the test
server of this suite) and SQLite (what `make run` uses, served here by gunicorn with two
processes of ten threads). Every request gets its correct answer: nothing is lost to
"database is locked", slow mode lets exactly one of a sender's simultaneous messages
through, and the flood limit (in a cache both processes share) exactly twenty."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import Client

from devservers.servers import ROOT, free_port, wait_until
from streams.models import ChatMessage, Stream
from tests.factories import UserFactory

SENDERS = 20
CSRF = "c" * 32  # a cookie secret the same request sends back in the header


@dataclass
class ChatSite:
    url: str
    host_id: str
    sessions: list[str]  # one signed-in viewer each
    count_messages: object  # () -> int


def post_together(site: ChatSite, sessions: list[str]) -> list[int]:
    """POST one chat message per session, all released at the same moment; the statuses."""
    start = threading.Barrier(len(sessions))

    def post(n_session: tuple[int, str]) -> int:
        n, session = n_session
        request = urllib.request.Request(
            f"{site.url}/api/stream/{site.host_id}/chat",
            data=json.dumps({"message": f"message {n}"}).encode(),
            headers={
                "Content-Type": "application/json",
                "X-CSRFToken": CSRF,
                "Cookie": f"sessionid={session}; csrftoken={CSRF}",
            },
            method="POST",
        )
        start.wait(timeout=10)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    with ThreadPoolExecutor(len(sessions)) as pool:
        return sorted(pool.map(post, enumerate(sessions)))


def check_many_senders(site: ChatSite) -> None:
    statuses = post_together(site, site.sessions)
    assert statuses == [201] * SENDERS
    assert site.count_messages() == SENDERS


def check_one_sender_many_tabs(site: ChatSite) -> None:
    before = site.count_messages()
    statuses = post_together(site, [site.sessions[0]] * SENDERS)
    assert statuses == [201] + [429] * (SENDERS - 1)
    assert site.count_messages() == before + 1


# ------------------------------------------------------------------------- PostgreSQL


@pytest.fixture
def postgres_site(live_server, transactional_db) -> ChatSite:
    host = UserFactory(username="host")
    Stream.objects.filter(user=host).update(is_live=True, slow_mode_seconds=3)
    sessions = []
    for n in range(SENDERS):
        client = Client()
        client.force_login(UserFactory(username=f"viewer{n}"))
        sessions.append(client.cookies["sessionid"].value)
    return ChatSite(live_server.url, str(host.pk), sessions, ChatMessage.objects.count)


def test_postgresql_saves_every_sender_in_slow_mode(postgres_site):
    check_many_senders(postgres_site)


def test_postgresql_lets_one_of_a_senders_simultaneous_messages_through(postgres_site):
    check_one_sender_many_tabs(postgres_site)


# ------------------------------------------------------------------------- SQLite

SETUP = f"""
import json
from django.test import Client
from streams.models import Stream
from accounts.models import User
host = User.objects.create_user("host", password="x")
Stream.objects.filter(user=host).update(is_live=True, slow_mode_seconds=3)
sessions = []
for n in range({SENDERS}):
    client = Client()
    client.force_login(User.objects.create_user(f"viewer{{n}}", password="x"))
    sessions.append(client.cookies["sessionid"].value)
print(json.dumps({{"host_id": str(host.pk), "sessions": sessions}}))
"""


def _manage(env: dict, *args: str) -> str:
    command = [sys.executable, str(ROOT / "manage.py"), *args]
    return subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def sqlite_site(tmp_path: Path):
    yield from _sqlite_site(tmp_path, slow_mode_seconds=3)


def _sqlite_site(tmp_path: Path, *, slow_mode_seconds: int, cache_url: str = "locmemcache://"):
    database = tmp_path / "db.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "streamsite.settings",
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
        # Nothing listens there: broadcasts fail at once, as with LiveKit stopped.
        "LIVEKIT_URL": f"http://127.0.0.1:{free_port()}",
        "CACHE_URL": cache_url,
    }
    _manage(env, "migrate", "-v0")
    setup = SETUP.replace("slow_mode_seconds=3", f"slow_mode_seconds={slow_mode_seconds}")
    data = json.loads(_manage(env, "shell", "-v0", "-c", setup))
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "streamsite.wsgi",
            f"--bind=127.0.0.1:{port}",
            "--workers=2",
            "--threads=10",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            with urllib.request.urlopen(f"{url}/robots.txt", timeout=1):
                return True
        except OSError:
            return False

    def count_messages() -> int:

        with sqlite3.connect(database) as db:
            return db.execute("SELECT COUNT(*) FROM streams_chatmessage").fetchone()[0]

    try:
        wait_until(answers, 30, "gunicorn on SQLite", server)
        yield ChatSite(url, data["host_id"], data["sessions"], count_messages)
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_sqlite_saves_every_sender_in_slow_mode(sqlite_site):
    check_many_senders(sqlite_site)


def test_sqlite_lets_one_of_a_senders_simultaneous_messages_through(sqlite_site):
    check_one_sender_many_tabs(sqlite_site)


# ------------------------------------------------------------------------- flood limit


@pytest.fixture
def two_processes_one_cache(tmp_path: Path, livekit_stack):
    """gunicorn's two processes sharing the Redis of the LiveKit stack as their cache."""
    redis = f"redis://127.0.0.1:{livekit_stack.config.redis_port}/7"
    yield from _sqlite_site(tmp_path, slow_mode_seconds=0, cache_url=redis)


def test_the_flood_limit_holds_across_server_processes(two_processes_one_cache):
    site = two_processes_one_cache
    statuses = post_together(site, [site.sessions[0]] * 30)
    assert statuses == [201] * 20 + [429] * 10
    assert site.count_messages() == 20
