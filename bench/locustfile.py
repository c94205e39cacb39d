"""A raid's viewer for Locust, and the arrivals bench/load.py asks for.

`RaidViewer` arrives on the channel once: the page with its CSS and JavaScript bundle, the
stream info, a viewer token and the chat history, and, as the page's script does when a shared
cache may have kept that history from before it arrived (a guest's: `public, s-maxage=N`), the
chat history once more N + 1.2 seconds later ("chat again"); a logged-in one (session
prepared in the database, CSRF cookie and header as the page's script sends them) also says
something in chat, each message's text a unique marker. Then it leaves.

`python bench/locustfile.py CONFIG.json` (what bench/load.py runs: Locust's gevent patches this
whole process, so it runs apart from the bench's rtc clients) warms the site up with a few
viewers, then takes the steps bench/load.py writes to its standard input, one JSON line each,
`{"rate": 20, "ceiling": false}`, until the line `quit`: when the site is idle again, it says
`start` and waits for the line `go` (the bench has read its counters), then brings `rate` new
viewers per second for `seconds` and gives the last ones at most `drain` seconds to finish
(the rest are stopped and counted). It prints one JSON line with the step's figures: each
request's latency by endpoint, failures by kind, viewers arrived and finished, and the chat
markers answered 201.
In a step with `"ceiling": true` every request of the same viewers goes to `/robots.txt` (GET,
no database, no template, answered by Django through its whole middleware stack, never from a
cache): how many arrivals per second the site admits when a request costs nothing but Django's
per-request overhead. Its guests ask "chat again" too, after the same wait.
`RAID_CONFIG=CONFIG.json locust -f bench/locustfile.py --host URL` runs the same viewers from
Locust's own command line or web UI (each of its users arrives once).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import secrets
import sys
import time
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path

import gevent
from locust import FastHttpUser, events, task
from locust.env import Environment
from locust.exception import StopUser

CONFIG: dict = {}
STATIC = re.compile(r'(?:href|src)="(/static/[^"]+\.(css|js))"')
REQUEST_TIMEOUT = 10.0  # seconds; a request still unanswered then is a failure ("Timeout")
WARM_UP = (5, 2)  # viewers per second, seconds: before the rates, not counted
# A ceiling viewer's page is /robots.txt, with no CSS or JS in it: it asks for these two instead.
CEILING_STATIC = {"/static/a.css": "css", "/static/a.js": "js"}
SHARED = re.compile(r"(?:^|[\s,])s-maxage=(\d+)", re.IGNORECASE)
SHARED_MARGIN_SECONDS = 1.2  # as frontend/channel/chat.js waits past a shared copy's life


class Step:
    """What one arrival rate measured, filled as requests finish."""

    def __init__(self, rate: float, ceiling: bool = False) -> None:
        self.rate, self.ceiling, self.arrivals = rate, ceiling, itertools.count()
        self.latencies: dict[str, list[float]] = defaultdict(list)  # ms, failures included
        self.errors: dict[str, Counter[str]] = defaultdict(Counter)
        self.sent: list[str] = []  # chat markers answered 201
        self.finished = 0


STEP = Step(0)


@events.request.add_listener
def record(name: str, response_time: float, exception: BaseException | None, **_) -> None:
    STEP.latencies[name].append(round(response_time, 2))
    if exception is not None:
        STEP.errors[name][str(exception) or type(exception).__name__] += 1


class RaidViewer(FastHttpUser):
    network_timeout = connection_timeout = REQUEST_TIMEOUT

    def on_start(self) -> None:
        self.step, number = STEP, next(STEP.arrivals)
        self.label = f"{self.step.rate:g}-{number}"
        share, self.headers = CONFIG["logged_in"], {}
        # An even spread: viewer n is logged in when the running share passes a whole number.
        if int((number + 1) * share) > int(number * share):
            session = CONFIG["sessions"][number % len(CONFIG["sessions"])]
            self.csrf = secrets.token_hex(16)  # 32 characters, as Django's own cookie
            cookie = f"{CONFIG['session_cookie']}={session}; csrftoken={self.csrf}"
            self.headers = {"Cookie": cookie}

    def call(self, name: str, path: str, expect=200, method="GET", **kwargs) -> str | None:
        """One request, counted under `name`; its body, or None when it failed. Its answer's
        Cache-Control is kept in `self.cache_control`."""
        if self.step.ceiling:
            method, path, expect, kwargs = "GET", "/robots.txt", 200, {}
        kwargs["headers"] = {**self.headers, **kwargs.get("headers", {})}
        with self.client.request(
            method, path, name=name, catch_response=True, **kwargs
        ) as response:
            self.cache_control = response.headers.get("Cache-Control") or ""
            if response.status_code == expect:
                response.success()
                return response.text
            error = getattr(response, "error", None)  # no answer: the client's error, unwrapped
            cause = type(getattr(error, "original", None) or error).__name__
            response.failure(f"HTTP {response.status_code}" if response.status_code else cause)
            return None

    @task
    def arrive(self) -> None:
        host_id, api = CONFIG["host_id"], f"/api/stream/{CONFIG['host_id']}"
        page = self.call("channel page", f"/{CONFIG['channel']}/")
        if page is not None:
            static = dict(STATIC.findall(page)) or CEILING_STATIC
            for path, kind in static.items():
                self.call(f"static {kind}", path)
            self.call("stream info", api)
            self.call("token", f"/api/stream/token/{host_id}")
            if self.call("chat history", f"{api}/chat") is not None:
                self.catch_up_again(f"{api}/chat")
            if self.headers:
                self.chat(f"{api}/chat")
            self.step.finished += 1
        raise StopUser

    def catch_up_again(self, path: str) -> None:
        """What frontend/channel/chat.js does after a history a shared cache may have kept:
        once more when that copy has expired. A ceiling guest waits as long as a viewer."""
        if self.step.ceiling:
            seconds = 0 if self.headers else CONFIG["public_cache_seconds"]
        else:
            shared = SHARED.search(self.cache_control)
            public = re.search(r"(^|[\s,])public([\s,]|$)", self.cache_control)
            seconds = int(shared.group(1)) if shared and public else 0
        if seconds > 0:
            gevent.sleep(seconds + SHARED_MARGIN_SECONDS)
            self.call("chat again", path)

    def chat(self, path: str) -> None:
        marker = f"raid-{self.label}-{secrets.token_hex(4)}"
        headers = {"X-CSRFToken": self.csrf, "Origin": CONFIG["base_url"]}
        answer = self.call(
            "chat post", path, 201, method="POST", json={"message": marker}, headers=headers
        )
        if answer is not None and not self.step.ceiling:
            self.step.sent.append(marker)


def emit(**fields) -> None:
    print(json.dumps(fields), flush=True)


def idle(seconds: float) -> None:
    """Wait (at most `seconds`) until the site answers a trivial page within 50 ms three times
    in a row: the queue an overloaded rate left behind is served before the next one."""
    deadline, quick = time.monotonic() + seconds, 0
    while quick < 3 and time.monotonic() < deadline:
        began = time.perf_counter()
        try:
            with urllib.request.urlopen(CONFIG["base_url"] + "/robots.txt", timeout=5) as answer:
                ok = answer.status == 200
        except OSError:
            ok = False
        quick = quick + 1 if ok and time.perf_counter() - began < 0.05 else 0
        gevent.sleep(0.2)


def run_step(runner, rate: float, seconds: float, ceiling: bool = False) -> dict:
    """`rate` arrivals per second for `seconds`, each a new viewer, then the drain."""
    global STEP
    STEP, total = Step(rate, ceiling), round(rate * seconds)
    began, spawned = time.monotonic(), 0
    while spawned < total:
        due = min(total, int((time.monotonic() - began) * rate) + 1)
        if due > spawned:
            runner.spawn_users({RaidViewer.__name__: due - spawned})
            spawned = due
        gevent.sleep(0.005)
    spawning = time.monotonic() - began
    runner.user_greenlets.join(timeout=CONFIG["drain"])
    if left := runner.user_count:
        STEP.errors["viewer"]["did not finish in time"] += left
        runner.user_greenlets.kill(block=True, timeout=5)
    return {
        "rate": rate,
        "ceiling": ceiling,
        "arrived": spawned,
        "finished": STEP.finished,
        "spawning": spawning,
        "wall": time.monotonic() - began,
        "latencies": STEP.latencies,
        "errors": STEP.errors,
        "sent": STEP.sent,
    }


if "RAID_CONFIG" in os.environ:
    CONFIG.update(json.loads(Path(os.environ["RAID_CONFIG"]).read_text()))

if __name__ == "__main__":
    CONFIG.update(json.loads(Path(sys.argv[1]).read_text()))
    RaidViewer.host = CONFIG["base_url"]
    env = Environment(user_classes=[RaidViewer], events=events)
    runner = env.create_local_runner()
    run_step(runner, *WARM_UP)  # the workers' first requests (templates, connections)
    emit(event="ready")
    # Between steps no viewer runs, so a blocking read stops nothing that matters.
    for line in iter(sys.stdin.readline, ""):
        if line.strip() == "quit":
            break
        step = json.loads(line)
        idle(30)
        emit(event="start", **step)
        sys.stdin.readline()  # "go": the bench has read its counters
        emit(event="done", **run_step(runner, step["rate"], CONFIG["seconds"], step["ceiling"]))
    runner.quit()
