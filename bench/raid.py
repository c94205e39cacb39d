"""A real raid: N viewers in one live channel's room moved to another channel at once.

The site as production serves it (gunicorn, sync workers, on PostgreSQL), the real
livekit-server and the task worker (`manage.py db_worker`, which sends a raid when its
countdown ends), on free ports of 127.0.0.1. Two live channels, each with the host's own
identity publishing a synthetic camera, as Ingress would. N guest viewers, each with its
own cookies, join the source's room with a token from the site; the source's host starts a
raid to the target through the API. When the room's `raid_go` reaches a viewer, it does what
the channel page does when it lands on the target: the channel page (with `?raid=<id>`), the
stream info, a token, the chat history and the arrival report, then it joins the target's
room (its arrival).

Printed: the viewers the server counted in the announcement, arrivals per second at the
target (joined its room), the time from the go to the last arrival, the arrivals the site
counted, and each endpoint's p50/p95 while they arrived.

`.venv/bin/python bench/raid.py [--quick]`; `make load` runs it after bench/load.py.
Options: --viewers (N), --workers (gunicorn's), --pg-url (a PostgreSQL server,
scripts/postgres.sh's when not given), --database (recreated).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.common import log, ms, out, percentile
from devservers.rtc import RtcClient, publisher_token
from devservers.servers import ROOT, LiveKitStack, wait_until

SOURCE, TARGET = "raidsource", "raidtarget"
ENDPOINTS = ["channel page", "stream info", "token", "chat history", "arrival"]


def seed() -> tuple:
    """The two live channels, and a session for the source's host (who starts the raid)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils import timezone

    from accounts.models import User
    from streams.models import Stream

    source = User.objects.create_user(SOURCE, f"{SOURCE}@example.invalid")
    target = User.objects.create_user(TARGET, f"{TARGET}@example.invalid")
    Stream.objects.filter(user__in=[source, target]).update(
        is_live=True, live_changed_at=timezone.now()
    )
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(source.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = source.get_session_auth_hash()
    session.create()
    return source, target, session.session_key


@contextlib.contextmanager
def db_worker():
    """The Procfile's `worker`, with this process's (production) settings."""
    common.OUT_DIR.mkdir(parents=True, exist_ok=True)
    with (common.OUT_DIR / "raid-worker.log").open("wb") as log_file:
        command = [sys.executable, "manage.py", "db_worker", "--no-reload", "--interval", "0.2"]
        worker = subprocess.Popen(command, cwd=ROOT, stdout=log_file, stderr=log_file)
        try:
            yield worker
        finally:
            worker.terminate()
            worker.wait(timeout=30)


def csrf_headers(http: requests.Session, base: str) -> dict:
    """A CSRF cookie and the headers the page's script sends with it (as bench/locustfile.py
    does: production's cookie is Secure, which plain HTTP on loopback would not send back)."""
    token = os.urandom(16).hex()  # 32 characters, as Django's own
    http.cookies.set("csrftoken", token)
    return {"X-CSRFToken": token, "Origin": base}


class Raider:
    """One guest viewer: its cookies, its tab in the source's room, and what it timed."""

    def __init__(self, base: str, ws_url: str, source_id: str) -> None:
        self.base, self.ws_url = base, ws_url
        self.http = requests.Session()
        self.csrf = csrf_headers(self.http, base)
        self.timings: list[tuple[str, float, float, int]] = []  # endpoint, start, seconds, status
        self.go_at: float | None = None
        self.arrived_at: float | None = None
        self.error = ""
        token = self.get("token", f"/api/stream/token/{source_id}").json()["token"]
        self.room_a = RtcClient(ws_url, token).connect()
        self.room_b: RtcClient | None = None

    def get(self, endpoint: str, path: str, method: str = "GET", **kwargs) -> requests.Response:
        start = time.time()
        response = self.http.request(method, self.base + path, timeout=30, **kwargs)
        self.timings.append((endpoint, start, time.time() - start, response.status_code))
        # Production's guest cookie is Secure; a browser on HTTPS sends it back, as this does
        # over loopback HTTP: the guest keeps their identity from one channel to the next.
        for cookie in self.http.cookies:
            cookie.secure = False
        if response.status_code >= 400:
            self.error = self.error or f"{endpoint}: HTTP {response.status_code}"
        return response

    def go(self, url: str, target_id: str, raid_id: int) -> None:
        """What the channel page does on the target after the raid moved it."""
        try:
            self.get("channel page", url)
            self.get("stream info", f"/api/stream/{target_id}")
            token = self.get("token", f"/api/stream/token/{target_id}").json()["token"]
            self.get("chat history", f"/api/stream/{target_id}/chat")
            self.get("arrival", f"/api/raids/{raid_id}/arrive", "POST", headers=self.csrf)
            self.room_a.close()
            self.room_b = RtcClient(self.ws_url, token).connect()
            self.arrived_at = time.time()
        except Exception as error:  # one viewer that failed is counted, not fatal
            self.error = type(error).__name__

    def close(self) -> None:
        for client in (self.room_a, self.room_b):
            with contextlib.suppress(Exception):
                client and client.close()


def publish(host) -> RtcClient:
    from django.conf import settings

    from streams import rooms

    keys = {"api_key": settings.LIVEKIT_API_KEY, "api_secret": settings.LIVEKIT_API_SECRET}
    token = publisher_token(
        **keys,
        room=rooms.room_name(host.pk),
        identity=rooms.publisher_identity(host.pk),
        name=host.username,
    )
    client = RtcClient(settings.LIVEKIT_WS_URL, token).connect()
    client.publish_video()
    return client


def run_raid(port: int, source, target, session_key: str, raiders: list[Raider], n: int) -> dict:
    """Join `n` viewers (into `raiders`), start the raid, move each viewer as its go
    arrives; the figures."""
    from django.conf import settings

    from raids.models import Raid

    base = f"http://127.0.0.1:{port}"
    log(f"{n} guest viewers join {SOURCE}'s room")
    with ThreadPoolExecutor(max_workers=8) as pool:
        joining = [
            pool.submit(Raider, base, settings.LIVEKIT_WS_URL, str(source.pk)) for _ in range(n)
        ]
        raiders.extend(future.result() for future in joining)
    moving = ThreadPoolExecutor(max_workers=min(64, n))
    for raider in raiders:

        def on_data(received, raider=raider) -> None:
            message = json.loads(received.payload)
            if message.get("type") == "raid_go" and raider.go_at is None:
                raider.go_at = time.time()
                moving.submit(raider.go, message["url"], str(target.pk), message["id"])

        raider.room_a.on_data = on_data
    try:
        host = requests.Session()
        host.cookies.set(settings.SESSION_COOKIE_NAME, session_key)
        csrf = csrf_headers(host, base)
        log(f"{SOURCE} raids {TARGET}: a 10-second countdown, then the worker sends it")
        started = host.post(
            f"{base}/api/raids/{source.pk}/start", json={"target": TARGET}, headers=csrf
        )
        if started.status_code != 201:
            raise RuntimeError(f"the raid did not start: {started.status_code} {started.text}")
        raid_id = started.json()["id"]
        wait_until(
            lambda: all(r.go_at and (r.arrived_at or r.error) for r in raiders),
            60,
            "every viewer to arrive",
        )
    finally:
        moving.shutdown(wait=True)
    raid = Raid.objects.get(pk=raid_id)
    return {"viewers": n, "counted": raid.viewers, "arrivals_counted": raid.arrivals}


def report(figures: dict, raiders: list[Raider]) -> None:
    go = min(r.go_at for r in raiders if r.go_at)
    arrived = sorted(r.arrived_at - go for r in raiders if r.arrived_at)
    errors = Counter(r.error for r in raiders if r.error)
    out(f"viewers in the source's room: {figures['viewers']}")
    out(f"counted by the server when the raid went: {figures['counted']}")
    out(f"arrivals reported to the site (one per person): {figures['arrivals_counted']}")
    out(f"joined the target's room: {len(arrived)}; failed: {dict(errors) or 0}")
    if arrived:
        out(f"first arrival {ms(arrived[0])}, last {ms(arrived[-1])} after the go")
    per_second = Counter(int(seconds) for seconds in arrived)
    common.table(
        ["second after the go", "arrivals"],
        [[f"{s}-{s + 1} s", per_second[s]] for s in range(max(per_second, default=-1) + 1)],
    )
    last = go + (arrived[-1] if arrived else 0)
    timings: dict[str, list[float]] = defaultdict(list)
    failed: Counter = Counter()
    for raider in raiders:
        for endpoint, start, seconds, status in raider.timings:
            if go <= start <= last:
                timings[endpoint].append(seconds)
                failed[endpoint] += status >= 400
    out("while they arrived:")
    common.table(
        ["endpoint", "requests", "errors", "p50", "p95"],
        [
            [name, len(timings[name]), failed[name]]
            + [ms(percentile(timings[name], q)) for q in (0.5, 0.95)]
            for name in ENDPOINTS
            if timings[name]
        ],
    )


def main(argv: list[str]) -> None:
    args = common.parse_args(
        __doc__, argv, {"viewers": 10}, viewers=40, workers=2, pg_url="", database="raidbench"
    )
    livekit, web_port, pg_version = common.start_site(args)
    source, target, session_key = seed()
    software = common.versions("django", "gunicorn", "psycopg", "livekit")
    software += [f"PostgreSQL {pg_version}"]
    site = f"gunicorn -w {args.workers} (sync workers, production settings) on PostgreSQL, "
    common.print_header(args, software, site + "livekit-server, db_worker: all on 127.0.0.1")
    publishers: list[RtcClient] = []
    raiders: list[Raider] = []
    with (
        LiveKitStack(livekit, common.OUT_DIR / "raid-livekit"),
        common.gunicorn(args.workers, web_port, "raid-gunicorn.log") as (port, _),
        db_worker(),
    ):
        try:
            publishers = [publish(source), publish(target)]
            figures = run_raid(port, source, target, session_key, raiders, args.viewers)
        finally:
            for raider in raiders:
                raider.close()
            for client in publishers:
                client.close()
    report(figures, raiders)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "streamsite.settings")
    common.run_main(main)
