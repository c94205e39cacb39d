"""The real worker process (`manage.py db_worker`, the Procfile's `worker`) delivering go-live
notifications from the database queue on PostgreSQL: after signed webhooks, and after the
real LiveKit Ingress took a stream from ffmpeg (marker `obs`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from devservers.media import RtmpEncoder
from social.models import Notification
from streams import services
from streams.models import Stream
from tests.conftest import wait_for
from tests.test_go_live_notifications import started
from tests.test_webhook_view import post, sign

ROOT = Path(__file__).resolve().parent.parent


def _worker_env() -> dict[str, str]:
    """The worker reaches the test database the way production's reaches its own."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    url = f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": url}


def _db_worker(*options: str, **kwargs) -> list[str]:
    if connection.vendor != "postgresql":
        pytest.skip("the worker test runs on PostgreSQL (`make test` starts one)")
    return [sys.executable, "manage.py", "db_worker", "--no-reload", *options]


def notified() -> list[tuple[str, str]]:
    return sorted(Notification.objects.values_list("recipient__username", "broadcast"))


@pytest.mark.django_db(transaction=True)
def test_the_worker_process_delivers_what_the_webhook_queued(alice, bob):
    Stream.objects.filter(user=alice).update(ingress_id="IN_alice")
    body = started("EV_1")
    assert post(body, sign(body)).json()["outcome"] == "live"
    assert notified() == []  # queued, not delivered
    done = subprocess.run(
        _db_worker("--batch", "--no-startup-delay"),
        cwd=ROOT,
        env=_worker_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "deliver_live_notifications" in done.stdout + done.stderr
    assert notified() == [("bob", "session:IR_one")]


@pytest.fixture
def worker(transactional_db, tmp_path):
    """`manage.py db_worker` running as a process of its own, as the Procfile starts it."""
    log = (tmp_path / "worker.log").open("wb")
    command = _db_worker("--interval", "0.2", "--no-startup-delay")
    process = subprocess.Popen(command, cwd=ROOT, env=_worker_env(), stdout=log, stderr=log)
    yield process
    process.terminate()
    process.wait(timeout=30)
    log.close()


@pytest.mark.obs
def test_each_broadcast_from_obs_through_ingress_notifies_once(
    ingress, worker, alice, bob, tmp_path
):
    stream = services.connection_generate(stream=alice.stream, kind="rtmp")
    for broadcast in (1, 2):
        encoder = RtmpEncoder(f"{stream.server_url}/{stream.stream_key}", tmp_path / "ffmpeg.log")
        encoder.start()
        try:
            wait_for(lambda: Stream.objects.get(pk=stream.pk).is_live, "ingress_started")
            wait_for(lambda n=broadcast: len(notified()) == n, "the worker's notification")
        finally:
            encoder.stop()
        wait_for(lambda: not Stream.objects.get(pk=stream.pk).is_live, "ingress_ended")
    (bob_first, first), (bob_second, second) = notified()
    assert bob_first == bob_second == "bob"
    # LiveKit names each session from the encoder: two broadcasts, two notifications.
    assert first.startswith("session:") and second.startswith("session:")
    assert first != second
