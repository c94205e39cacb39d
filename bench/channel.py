"""The channel page as a viewer gets it: JavaScript weight, time to first frame, chat latency.

What, in one run on a throwaway copy of the site (devservers.site: SQLite with the demo users,
Django's runserver, a real livekit-server and Redis, all on 127.0.0.1):

1. The JavaScript each page loads: every `<script src>` of the rendered page is fetched and
   gzipped at level 9 (what a server precompressing static files sends); the channel page's
   total is compared with the 160 kB budget. The home page and the keys page are measured too,
   to show the channel bundle is not loaded elsewhere.
2. Time to first frame: a synthetic publisher is live in alice's room; a fresh browser context
   (cold cache, new guest) opens /alice/ and an init script notes when the player's <video>
   presents its first frame (requestVideoFrameCallback), in ms from navigation start, with
   the milestones before it. The Python wall-clock time from page.goto() is printed as well.
3. Chat delivery: N subscribers join alice's room with real viewer tokens from the site. Each
   message is timed from just before it is sent until every subscriber has it: (a) via Django,
   an HTTP POST to the chat API (saved in the database, then broadcast with LiveKit's
   SendData), and (b) directly, published on the data channel by a participant that may
   publish. (a) and (b) alternate message by message, so both see the same conditions.

Why: the bundle size and the first frame are what a first visit to a channel costs; the chat
figures say what routing every message through Django (so the server can enforce the rules)
costs compared with the data channel it replaces, as a ratio measured side by side, which is
comparable between machines where absolute milliseconds are not.

Run from the checkout: `.venv/bin/python bench/channel.py [--runs 7] [--subscribers 10,50]
[--messages 30]`. Prints figures only; nothing is asserted. Everything it starts is stopped at
the end, also on Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import http.client
import json
import os
import platform
import re
import secrets
import sqlite3
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    command_output,
    load_average,
    log,
    machine,
    out,
    run_main,
    version,
)
from devservers.media import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from devservers.site import API_KEY, API_SECRET, ThrowawaySite  # noqa: E402
from tests.rtc_client import Received, RtcClient, publisher_token  # noqa: E402

HOST = "127.0.0.1"
CHANNEL_USER = "alice"  # the channel measured (demo user)
CHAT_USER = "bob"  # who posts through Django (demo user, logged in)
KEYS_PAGE = f"/u/{CHANNEL_USER}/keys/"  # loads keys.js; needs the channel owner logged in
JS_BUDGET = 160_000  # bytes of gzipped JavaScript for the channel page (1 kB = 1000 B)

# The same flags as scripts/screenshots.py.

HTTP_TIMEOUT = 10.0
FIRST_FRAME_TIMEOUT = 30.0  # per page load
WARMUP_MESSAGES = 2  # per path and subscriber count, not counted
IDLE_SAMPLE = 2.0  # seconds of CPU sampling with the subscribers connected and quiet
MAX_CONSECUTIVE_TIMEOUTS = 5  # a room that stopped delivering: give up that subscriber count
MARKER = re.compile(rb"bench-[ad]-\d+-[0-9a-f]{8}")

# Runs in every page before its own scripts. The <video> is in the server-rendered HTML and
# gets its stream only after the module script has fetched a token and joined the room, so
# asking for a frame callback once the document is parsed cannot miss the first frame.
FRAME_PROBE = """
(() => {
  const mark = {};
  window.__bench = mark;
  const isPlayer = (node) =>
    node instanceof HTMLVideoElement && node.matches("[data-player-video]");
  const once = (name, value) => { if (mark[name] === undefined) mark[name] = value; };
  const watch = () => {
    const video = document.querySelector("[data-player-video]");
    if (!video || mark.watching) return;
    mark.watching = true;
    if (video.requestVideoFrameCallback) {
      video.requestVideoFrameCallback(() => {
        once("frame", performance.now());
      });
    } else {
      mark.noRvfc = true;
    }
  };
  document.addEventListener("readystatechange", watch);
  for (const name of ["loadedmetadata", "resize"]) {
    document.addEventListener(name, (event) => {
      if (isPlayer(event.target) && event.target.videoWidth > 0) once("size", performance.now());
    }, true);
  }
  document.addEventListener("loadeddata", (event) => {
    if (isPlayer(event.target)) once("data", performance.now());
  }, true);
})();
"""

FRAME_SEEN = (
    "() => window.__bench && (window.__bench.frame !== undefined || "
    "(window.__bench.noRvfc && window.__bench.size !== undefined))"
)

MILESTONES = """
() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const resources = performance.getEntriesByType("resource");
  const end = (part) => {
    const entry = resources.find((r) => r.name.includes(part));
    return entry ? entry.responseEnd : null;
  };
  const mark = window.__bench;
  return {
    html: nav.responseEnd,
    script: end("/static/js/channel.js"),
    dcl: nav.domContentLoadedEventEnd,
    token: end("/api/stream/token/"),
    size: mark.size ?? null,
    data: mark.data ?? null,
    frame: mark.frame ?? mark.size ?? null,
    rvfc: mark.frame !== undefined,
  };
}
"""


def percentile(values: list[float], q: float) -> float:
    """Nearest rank, as in bench/pages.py (with 30 samples p99 is the largest one)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ms(seconds: float | None) -> str:
    return "-" if seconds is None or seconds != seconds else f"{seconds * 1000:.1f}"


# --------------------------------------------------------------------------------------------
# HTTP against the throwaway site
# --------------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    body: bytes
    cookies: dict[str, str]


def http_request(
    base_url: str,
    method: str,
    path: str,
    *,
    cookies: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> Response:
    """One request on a new connection; no redirects followed, no cookies kept."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=HTTP_TIMEOUT)
    try:
        sent = dict(headers or {})
        if cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        data = response.read()
        jar: SimpleCookie = SimpleCookie()
        for header in response.msg.get_all("Set-Cookie") or []:
            jar.load(header)
        return Response(response.status, data, {name: m.value for name, m in jar.items()})
    finally:
        conn.close()


class ScriptTags(HTMLParser):
    """The src of every <script src=...> in a page, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.sources: list[tuple[str, str]] = []  # (src, type)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            found = dict(attrs)
            if found.get("src"):
                self.sources.append((found["src"] or "", found.get("type") or "classic"))


# --------------------------------------------------------------------------------------------
# 1. JavaScript weight
# --------------------------------------------------------------------------------------------


@dataclass
class Script:
    path: str
    kind: str
    status: int
    raw: int
    gzipped: int


def page_scripts(site: ThrowawaySite, path: str, cookies: dict[str, str]) -> list[Script]:
    page = http_request(site.url, "GET", path, cookies=cookies)
    if page.status != 200:
        raise RuntimeError(f"GET {path} answered {page.status}")
    parser = ScriptTags()
    parser.feed(page.body.decode("utf-8", "replace"))
    scripts = []
    for src, kind in parser.sources:
        url = urlsplit(urljoin(site.url + path, src))
        if url.hostname != HOST:
            scripts.append(Script(src, kind, 0, 0, 0))  # not fetched: only 127.0.0.1 is used
            continue
        target = url.path + (f"?{url.query}" if url.query else "")
        got = http_request(site.url, "GET", target)
        packed = gzip.compress(got.body, compresslevel=9, mtime=0)
        scripts.append(Script(target, kind, got.status, len(got.body), len(packed)))
    return scripts


def measure_js(site: ThrowawaySite, alice_cookie: dict[str, str]) -> dict[str, list[Script]]:
    pages = {
        f"/{CHANNEL_USER}/": {},
        "/": {},
        KEYS_PAGE: alice_cookie,
    }
    found = {path: page_scripts(site, path, cookies) for path, cookies in pages.items()}

    out("1. JavaScript each page loads (<script src> tags, each file fetched; gzip -9)")
    header = f"   {'page':<18} {'script':<26} {'type':<8} {'raw B':>9} {'gzip B':>9}"
    out(header)
    out("   " + "-" * (len(header) - 3))
    for path, scripts in found.items():
        if not scripts:
            out(f"   {path:<18} {'(none)':<26} {'':<8} {0:>9,} {0:>9,}")
        for script in scripts:
            note = "" if script.status == 200 else f"  (HTTP {script.status})"
            out(
                f"   {path:<18} {script.path:<26} {script.kind:<8} {script.raw:>9,} "
                f"{script.gzipped:>9,}{note}"
            )
        if len(scripts) > 1:
            raw, packed = sum(s.raw for s in scripts), sum(s.gzipped for s in scripts)
            out(f"   {path:<18} {'total':<26} {'':<8} {raw:>9,} {packed:>9,}")
    channel = sum(s.gzipped for s in found[f"/{CHANNEL_USER}/"])
    verdict = "over" if channel > JS_BUDGET else "under"
    out(
        f"   channel page: {channel:,} B gzipped = {channel / JS_BUDGET:.1%} of the 160 kB budget "
        f"({JS_BUDGET:,} B), {abs(channel - JS_BUDGET):,} B {verdict}; "
        f"{channel / 163_840:.1%} if the budget means 160 KiB"
    )
    out()
    return found


# --------------------------------------------------------------------------------------------
# 2. Time to first frame
# --------------------------------------------------------------------------------------------


@dataclass
class FirstFrame:
    page: dict[str, Any]  # milestones in ms from navigation start (None when not seen)
    wall: float  # seconds, Python perf_counter from before page.goto() to seeing the frame


def first_frame_once(browser: Any, site: ThrowawaySite, scripts: set[str] | None) -> FirstFrame:
    """One cold page load in a new context (empty cache, new guest session)."""
    context = browser.new_context(base_url=site.url, viewport={"width": 1280, "height": 760})
    try:
        context.add_init_script(script=FRAME_PROBE)
        page = context.new_page()
        if scripts is not None:

            def note_script(response: Any) -> None:
                if response.request.resource_type == "script":
                    scripts.add(urlsplit(response.url).path)

            page.on("response", note_script)
        began = time.perf_counter()
        page.goto(f"/{CHANNEL_USER}/", wait_until="commit", timeout=FIRST_FRAME_TIMEOUT * 1000)
        page.wait_for_function(FRAME_SEEN, polling=10, timeout=FIRST_FRAME_TIMEOUT * 1000)
        wall = time.perf_counter() - began
        return FirstFrame(page.evaluate(MILESTONES), wall)
    finally:
        context.close()


def measure_first_frame(site: ThrowawaySite, runs: int, channel_js: set[str]) -> None:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    results: list[FirstFrame] = []
    failures: list[str] = []
    fetched: set[str] = set()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            log("first frame: warm-up load (not counted)")
            try:
                first_frame_once(browser, site, None)
            except PlaywrightError as error:
                failures.append(f"warm-up: {str(error).splitlines()[0]}")
            for run in range(runs):
                log(f"first frame: run {run + 1}/{runs}")
                try:
                    results.append(first_frame_once(browser, site, fetched if run == 0 else None))
                except PlaywrightError as error:
                    failures.append(f"run {run + 1}: {str(error).splitlines()[0]}")
        finally:
            browser.close()

    out(
        f"2. Time to first frame of /{CHANNEL_USER}/: new browser context per load (cold cache, "
        f"guest), {len(results)} of {runs} loads after 1 warm-up"
    )
    out("   ms from navigation start (in the page)    median      min      max")
    rows = [
        ("HTML received", "html"),
        ("channel.js received", "script"),
        ("DOMContentLoaded", "dcl"),
        ("viewer token received", "token"),
        ("video size known", "size"),
        ("first frame (loadeddata)", "data"),
        ("FIRST FRAME presented", "frame"),
    ]
    for label, key in rows:
        values = [r.page[key] for r in results if r.page.get(key) is not None]
        if values:
            out(
                f"   {label:<40} {statistics.median(values):>7.0f} {min(values):>8.0f} "
                f"{max(values):>8.0f}"
            )
        else:
            out(f"   {label:<40} {'-':>7} {'-':>8} {'-':>8}")
    walls = [r.wall * 1000 for r in results]
    if walls:
        out(
            f"   {'Python wall clock, goto() -> seen':<40} {statistics.median(walls):>7.0f} "
            f"{min(walls):>8.0f} {max(walls):>8.0f}"
        )
        per_run = " ".join(f"{r.page['frame']:.0f}" for r in results if r.page["frame"])
        out(f"   first frame per load (ms): {per_run}")
    if any(not r.page["rvfc"] for r in results):
        out("   note: requestVideoFrameCallback unavailable; 'first frame' is 'video size known'")
    listed = sorted(channel_js)
    out(
        f"   scripts the browser fetched on the first load: {', '.join(sorted(fetched)) or '-'}"
        f" (script tags: {', '.join(listed) or '-'})"
    )
    for failure in failures:
        out(f"   FAILED {failure}")
    out()


# --------------------------------------------------------------------------------------------
# 3. Chat delivery
# --------------------------------------------------------------------------------------------


@dataclass
class Pending:
    expected: int
    sent: float = 0.0
    times: dict[int, float] = field(default_factory=dict)
    done: threading.Event = field(default_factory=threading.Event)


class Tracker:
    """Which subscriber got which bench message, and when (perf_counter at receipt, on the
    rtc event loop's thread)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending: dict[str, Pending] = {}
        self.other = 0  # packets without a bench marker (e.g. settings broadcasts)
        self.duplicates = 0

    def expect(self, marker: str, subscribers: int) -> Pending:
        with self.lock:
            pending = self.pending[marker] = Pending(subscribers)
        return pending

    def arrived(self, subscriber: int, payload: bytes, at: float) -> None:
        found = MARKER.search(payload)
        with self.lock:
            pending = self.pending.get(found.group().decode()) if found else None
            if pending is None:
                self.other += 1
            elif subscriber in pending.times:
                self.duplicates += 1
            else:
                pending.times[subscriber] = at
                if len(pending.times) >= pending.expected:
                    pending.done.set()


class ArrivalLog(list):
    """RtcClient.received, timestamped: RtcClient's data handler appends to it on arrival."""

    def __init__(self, tracker: Tracker, subscriber: int) -> None:
        super().__init__()
        self.tracker, self.subscriber = tracker, subscriber

    def append(self, item: Received) -> None:
        at = time.perf_counter()
        super().append(item)
        self.tracker.arrived(self.subscriber, item.payload, at)


@dataclass
class PathStats:
    latencies: list[float] = field(default_factory=list)  # until the last subscriber had it
    firsts: list[float] = field(default_factory=list)  # until the first subscriber had it
    calls: list[float] = field(default_factory=list)  # the send call itself (POST round trip)
    lost: int = 0  # messages some subscriber did not get within the timeout
    missing: int = 0  # (message, subscriber) pairs missing at the timeout
    errors: list[str] = field(default_factory=list)
    pendings: list[Pending] = field(default_factory=list)


@dataclass
class ChatResult:
    count: int  # subscribers
    django: PathStats
    direct: PathStats
    stopped: str  # why the messages stopped early, if they did
    wall: float  # seconds the messages took
    busy: dict[str, float]  # cores busy per process meanwhile
    idle: dict[str, float]  # the same just before, with nothing sent


@dataclass
class ChatRoom:
    """alice's room with a direct publisher and a growing set of subscribers."""

    site: ThrowawaySite
    host_id: str
    tracker: Tracker
    clients: list[RtcClient] = field(default_factory=list)
    subscribers: list[RtcClient] = field(default_factory=list)
    connect_times: list[float] = field(default_factory=list)
    direct: RtcClient | None = None

    def connect_direct(self) -> None:
        token = publisher_token(
            api_key=API_KEY,
            api_secret=API_SECRET,
            room=self.host_id,
            identity="bench-direct",
            name="bench-direct",
        )
        client = RtcClient(self.site.livekit.ws_url, token)
        self.clients.append(client)
        self.direct = client.connect()

    def grow_to(self, count: int) -> None:
        """Join subscribers one after the other, each with a guest viewer token."""
        while len(self.subscribers) < count:
            index = len(self.subscribers)
            got = http_request(self.site.url, "GET", f"/api/stream/token/{self.host_id}")
            if got.status != 200:
                raise RuntimeError(f"viewer token for subscriber {index}: HTTP {got.status}")
            grant = json.loads(got.body)
            arrivals = ArrivalLog(self.tracker, index)
            client = RtcClient(grant["ws_url"], grant["token"], received=arrivals)
            self.clients.append(client)
            began = time.perf_counter()
            client.connect()
            self.connect_times.append(time.perf_counter() - began)
            self.subscribers.append(client)

    def close(self) -> int:
        """Disconnect every client, ten at a time; returns how many failed to."""

        def close(client: RtcClient) -> bool:
            try:
                client.close()
            except Exception:
                return False
            return True

        with ThreadPoolExecutor(max_workers=10) as pool:
            failed = sum(1 for ok in pool.map(close, self.clients) if not ok)
        self.clients.clear()
        return failed


@dataclass
class DjangoSender:
    site: ThrowawaySite
    host_id: str
    cookies: dict[str, str]

    def send(self, text: str) -> tuple[int, bytes]:
        got = http_request(
            self.site.url,
            "POST",
            f"/api/stream/{self.host_id}/chat",
            cookies=self.cookies,
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "X-CSRFToken": self.cookies["csrftoken"],
                "Origin": self.site.url,
            },
            body=json.dumps({"message": text}).encode(),
        )
        return got.status, got.body


def direct_payload(index: int, text: str) -> bytes:
    """The same shape (and about the same size) as the broadcast Django sends."""
    message = {
        "type": "message",
        "id": 1_000_000 + index,
        "text": text,
        "user": {"id": "00000000-0000-0000-0000-000000000000", "name": CHAT_USER},
        "ts": "2024-06-01T12:00:00.000000+00:00",
    }
    message["user"]["color"] = "hsl(200, 75%, 68%)"
    return json.dumps(message, separators=(",", ":")).encode()


def timed_message(
    tracker: Tracker,
    stats: PathStats,
    marker: str,
    subscribers: int,
    send: Callable[[], str | None],
    timeout: float,
) -> bool:
    """Send one message and wait until every subscriber has it; False on a timeout."""
    pending = tracker.expect(marker, subscribers)
    pending.sent = time.perf_counter()
    error = send()
    stats.calls.append(time.perf_counter() - pending.sent)
    stats.pendings.append(pending)
    if error is not None:
        stats.errors.append(error)
        stats.lost += 1
        stats.missing += subscribers
        return False
    if not pending.done.wait(timeout):
        with tracker.lock:
            got = len(pending.times)
        stats.lost += 1
        stats.missing += subscribers - got
        return False
    with tracker.lock:
        times = list(pending.times.values())
    stats.latencies.append(max(times) - pending.sent)
    stats.firsts.append(min(times) - pending.sent)
    return True


def run_messages(
    room: ChatRoom,
    django: DjangoSender,
    count: int,
    messages: int,
    timeout: float,
    nonce: str,
) -> tuple[PathStats, PathStats, str]:
    """`messages` per path, alternating which path goes first; returns (django, direct)."""
    stats = {"django": PathStats(), "direct": PathStats()}
    warm = {"django": PathStats(), "direct": PathStats()}
    if room.direct is None:
        raise RuntimeError("the direct publisher is not connected")
    direct = room.direct
    sequence = 0
    stopped = ""

    def send_via(path: str, target: PathStats) -> bool:
        nonlocal sequence
        sequence += 1
        letter = "a" if path == "django" else "d"
        marker = f"bench-{letter}-{sequence}-{nonce}"
        if path == "django":

            def send() -> str | None:
                try:
                    status, body = django.send(marker)
                except (OSError, http.client.HTTPException) as error:
                    return f"{type(error).__name__}: {error}"
                return None if status == 201 else f"HTTP {status}: {body[:120]!r}"

        else:

            def send() -> str | None:
                try:
                    direct.publish_data(direct_payload(sequence, marker), topic="chat")
                except Exception as error:
                    return f"{type(error).__name__}: {error}"
                return None

        ok = timed_message(room.tracker, target, marker, count, send, timeout)
        time.sleep(0.02)
        return ok

    for _ in range(WARMUP_MESSAGES):
        for path in ("django", "direct"):
            send_via(path, warm[path])
    timeouts_in_a_row = 0
    for index in range(messages):
        order = ("django", "direct") if index % 2 == 0 else ("direct", "django")
        for path in order:
            timeouts_in_a_row = 0 if send_via(path, stats[path]) else timeouts_in_a_row + 1
        if timeouts_in_a_row >= MAX_CONSECUTIVE_TIMEOUTS:
            stopped = f"stopped after {index + 1} rounds: {timeouts_in_a_row} failures in a row"
            break
    warm_lost = warm["django"].lost + warm["direct"].lost
    if warm_lost:
        stopped = (stopped + "; " if stopped else "") + f"{warm_lost} warm-up messages lost"
    return stats["django"], stats["direct"], stopped


def late_arrivals(stats: PathStats, timeout: float) -> int:
    return sum(
        1
        for pending in stats.pendings
        for at in pending.times.values()
        if at - pending.sent > timeout
    )


def measure_chat(
    site: ThrowawaySite,
    counts: list[int],
    messages: int,
    timeout: float,
    before_subscribers: Callable[[], None],
) -> None:
    from accounts.models import User
    from streams.models import Stream

    alice = User.objects.get(username=CHANNEL_USER)
    bob = User.objects.get(username=CHAT_USER)
    host_id = str(alice.pk)
    Stream.objects.filter(user=alice).update(
        is_live=True, is_chat_enabled=True, is_chat_delayed=False, is_chat_followers_only=False
    )

    session = site.session_cookie(bob)
    cookies = {session["name"]: session["value"]}
    page = http_request(site.url, "GET", f"/{CHANNEL_USER}/", cookies=cookies)
    if "csrftoken" not in page.cookies:
        raise RuntimeError(f"GET /{CHANNEL_USER}/ as {CHAT_USER} set no csrftoken cookie")
    cookies["csrftoken"] = page.cookies["csrftoken"]
    django = DjangoSender(site, host_id, cookies)

    tracker = Tracker()
    room = ChatRoom(site, host_id, tracker)
    results: list[ChatResult] = []
    nonce = secrets.token_hex(4)
    failure = ""
    try:
        room.connect_direct()
        before_subscribers()
        for count in counts:
            Stream.objects.filter(user=alice).update(is_live=True)
            log(f"chat: connecting subscribers up to {count}")
            began = time.perf_counter()
            room.grow_to(count)
            log(f"chat: {count} subscribers in, took {time.perf_counter() - began:.1f} s")
            idle = cpu_busy(site, IDLE_SAMPLE)
            log(f"chat: {messages} messages per path, {count} subscribers")
            cpu_before, wall_before = cpu_snapshot(site), time.perf_counter()
            via_django, via_direct, stopped = run_messages(
                room, django, count, messages, timeout, nonce
            )
            wall = time.perf_counter() - wall_before
            busy = {
                name: (seconds - cpu_before.get(name, 0.0)) / wall
                for name, seconds in cpu_snapshot(site).items()
            }
            results.append(ChatResult(count, via_django, via_direct, stopped, wall, busy, idle))
    except Exception as error:  # print what was measured before it, and why it stopped
        failure = f"{type(error).__name__}: {error}"
    finally:
        log(f"chat: closing {len(room.clients)} rtc clients")
        began = time.perf_counter()
        close_failures = room.close()
        closed_in = time.perf_counter() - began

    out(
        f"3. Chat delivery to N subscribers in {CHANNEL_USER}'s room: ms from just before the "
        f"send until EVERY subscriber has the message;"
    )
    out(
        f"   {messages} messages per path after {WARMUP_MESSAGES} warm-up, django and direct "
        f"alternating; timeout {timeout:g} s per message"
    )
    header = (
        f"   {'N':>3} {'path':<7} {'got':>7} {'lost':>4} {'p50':>7} {'p99':>7} {'max':>7} "
        f"{'first p50':>9} {'send p50':>8}"
    )
    out(header)
    out("   " + "-" * (len(header) - 3))
    for result in results:
        count, via_django, via_direct = result.count, result.django, result.direct
        for label, stats in (("django", via_django), ("direct", via_direct)):
            got = f"{len(stats.latencies)}/{len(stats.pendings)}"
            out(
                f"   {count:>3} {label:<7} {got:>7} {stats.lost:>4} "
                f"{ms(percentile(stats.latencies, 0.5)):>7} "
                f"{ms(percentile(stats.latencies, 0.99)):>7} "
                f"{ms(max(stats.latencies, default=None)):>7} "
                f"{ms(percentile(stats.firsts, 0.5)):>9} {ms(percentile(stats.calls, 0.5)):>8}"
            )
        ratios = []
        for q, name in ((0.5, "p50"), (0.99, "p99")):
            a, b = percentile(via_django.latencies, q), percentile(via_direct.latencies, q)
            ratios.append(f"{name} {a / b:.2f}x" if b > 0 and a == a and b == b else f"{name} -")
        out(f"   {count:>3} django/direct: {', '.join(ratios)}")
        for label, stats in (("django", via_django), ("direct", via_direct)):
            if stats.lost or stats.errors:
                late = late_arrivals(stats, timeout)
                out(
                    f"       {label}: {stats.lost} messages incomplete, {stats.missing} "
                    f"deliveries missing at the timeout, {late} arrived later"
                )
            for error in stats.errors[:3]:
                out(f"       {label} error: {error}")
        if result.stopped:
            out(f"       {result.stopped}")
        for what, used in (
            (f"idle for {IDLE_SAMPLE:g} s before", result.idle),
            (f"over the {result.wall:.1f} s of messages", result.busy),
        ):
            cores = ", ".join(f"{name} {value:.2f}" for name, value in used.items())
            out(f"       cores busy {what}: {cores}")
    if room.connect_times:
        joins = room.connect_times
        out(
            f"   subscribers joined one by one: median {ms(statistics.median(joins))} ms, "
            f"max {ms(max(joins))} ms each ({sum(joins):.1f} s in all); all clients closed in "
            f"{closed_in:.1f} s ({close_failures} failed to)"
        )
    out(
        f"   packets without a bench marker: {tracker.other}, duplicates: {tracker.duplicates}; "
        "'send p50' is the POST round trip (django) or the publish_data call (direct)"
    )
    if failure:
        out(f"   FAILED, chat measurements stopped: {failure}")
    out()


def cpu_snapshot(site: ThrowawaySite) -> dict[str, float]:
    """CPU seconds used so far by this process (the rtc clients, the HTTP client) and by the
    servers the site started, from /proc (they are still running, so os.times() cannot)."""
    seconds = {"bench process": sum(os.times()[:2])}
    processes = [site.server, *(site.stack.processes if site.stack else [])]
    tick = os.sysconf("SC_CLK_TCK")
    for process in processes:
        if process is None:
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = Path(f"/proc/{process.pid}/stat").read_text()
            name = "django" if process is site.server else stat.split("(", 1)[1].split(")")[0]
            fields = stat.rsplit(")", 1)[1].split()
            seconds[name] = (int(fields[11]) + int(fields[12])) / tick
    return seconds


def cpu_busy(site: ThrowawaySite, seconds: float) -> dict[str, float]:
    """Cores each process keeps busy over `seconds` of doing nothing else."""
    before, began = cpu_snapshot(site), time.perf_counter()
    time.sleep(seconds)
    wall = time.perf_counter() - began
    return {
        name: (used - before.get(name, 0.0)) / wall for name, used in cpu_snapshot(site).items()
    }


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def print_header(args: argparse.Namespace) -> None:
    chromium = command_output([CHROMIUM, "--version"])
    livekit_server = command_output([str(ROOT / ".bin" / "livekit-server"), "--version"])
    redis = command_output(["redis-server", "--version"])
    redis = redis.split()[2].removeprefix("v=") if redis.startswith("Redis") else redis
    out(f"machine: {machine()}, load average {load_average()}")
    out(
        f"software: Python {platform.python_version()}, Django {version('django')}, "
        f"SQLite {sqlite3.sqlite_version}, livekit (rtc) {version('livekit')}, livekit-api "
        f"{version('livekit-api')}, Playwright {version('playwright')}, {chromium}, "
        f"{livekit_server}, Redis {redis}"
    )
    out(
        "site: devservers.site throwaway copy: Django runserver (DEBUG on), SQLite, "
        "livekit-server and Redis, all on 127.0.0.1"
    )
    counts = ",".join(str(n) for n in args.subscribers)
    out(
        f"parameters: --runs {args.runs} --subscribers {counts} --messages {args.messages} "
        f"--timeout {args.timeout:g}"
    )
    out()


def parse_counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if not counts or any(n < 1 or n > 200 for n in counts):
        raise argparse.ArgumentTypeError("subscriber counts must be between 1 and 200")
    return sorted(set(counts))


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="page loads for first frame [7]")
    parser.add_argument(
        "--subscribers",
        type=parse_counts,
        default=[10, 50],
        help="subscriber counts for the chat figures, comma-separated [10,50]",
    )
    parser.add_argument("--messages", type=int, default=30, help="per path and count [30]")
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds to wait for each message [10]"
    )
    parser.add_argument(
        "--skip",
        choices=["js", "frame", "chat"],
        action="append",
        default=[],
        help="leave out a section (repeatable)",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.runs <= 100 or not 1 <= args.messages <= 1000:
        parser.error("--runs must be 1..100 and --messages 1..1000")
    if not 0.5 <= args.timeout <= 60:
        parser.error("--timeout must be 0.5..60 seconds")
    return args


@contextlib.contextmanager
def synthetic_publisher(site: ThrowawaySite, host: Any) -> Iterator[Callable[[], None]]:
    """alice's 'camera' in her room; yields a function that stops it early."""
    token = publisher_token(
        api_key=API_KEY,
        api_secret=API_SECRET,
        room=str(host.pk),
        identity=str(host.pk),
        name=host.username,
    )
    publisher = RtcClient(site.livekit.ws_url, token)
    stopped = False

    def stop() -> None:
        nonlocal stopped
        if not stopped:
            stopped = True
            with contextlib.suppress(Exception):
                publisher.close()

    try:
        publisher.connect()
        publisher.publish_video(640, 360)
        yield stop
    finally:
        stop()


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    started = time.perf_counter()
    print_header(args)
    timings: list[tuple[str, float]] = []
    log("starting the throwaway site (migrate, seed, livekit-server, runserver)")
    mark = time.perf_counter()
    with ThrowawaySite() as site:
        timings.append(("site start", time.perf_counter() - mark))
        from accounts.models import User
        from streams.models import Stream

        alice = User.objects.get(username=CHANNEL_USER)
        Stream.objects.filter(user=alice).update(is_live=True)
        alice_session = site.session_cookie(alice)
        channel_js: set[str] = set()

        if "js" not in args.skip:
            mark = time.perf_counter()
            found = measure_js(site, {alice_session["name"]: alice_session["value"]})
            channel_js = {s.path for s in found[f"/{CHANNEL_USER}/"]}
            timings.append(("JavaScript", time.perf_counter() - mark))

        log("synthetic publisher: 640x360 colour bars in alice's room")
        with synthetic_publisher(site, alice) as stop_publisher:
            if "frame" not in args.skip:
                mark = time.perf_counter()
                Stream.objects.filter(user=alice).update(is_live=True)
                measure_first_frame(site, args.runs, channel_js)
                timings.append(("first frame", time.perf_counter() - mark))
            if "chat" not in args.skip:
                mark = time.perf_counter()
                # The subscribers do not take the video: 50 decoders in this process would
                # measure the machine, not the chat. The direct publisher joins first, so the
                # room is never empty.
                measure_chat(site, args.subscribers, args.messages, args.timeout, stop_publisher)
                timings.append(("chat", time.perf_counter() - mark))
        log("stopping the throwaway site")
    total = time.perf_counter() - started
    parts = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in timings)
    out(f"wall time: {total:.0f} s ({parts}); load average at the end {load_average()}")


if __name__ == "__main__":
    run_main(main)
