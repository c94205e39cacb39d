"""The channel page as a viewer gets it: JavaScript weight, time to first frame, chat latency.

On a throwaway copy of the site (devservers.site): the JavaScript each page loads, gzipped,
against the channel page's 160 kB budget; how long fresh browser contexts opening /alice/ take
to the player's first frame, with a synthetic camera live; and chat delivery to N subscribers,
via Django (the chat API, then LiveKit's SendData) against the data channel direct.

`.venv/bin/python bench/channel.py [--quick]`; see bench/README.md. Options: --runs (page loads
timed to the first frame), --subscribers (counts, comma-separated), --messages (per path and
count), --timeout (seconds to wait for each message).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import re
import secrets
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.common import log, ms, out, percentile, spread
from devservers.media import CHROMIUM, CHROMIUM_ARGS
from devservers.rtc import Received, RtcClient, publisher_token
from devservers.site import API_KEY, API_SECRET, ThrowawaySite

CHANNEL = "/alice/"  # the channel measured (demo user alice)
JS_BUDGET = 160_000  # bytes of gzipped JavaScript for the channel page (1 kB = 1000 B)
FIRST_FRAME_TIMEOUT = 30_000  # ms per page load
WARMUP_MESSAGES = 2  # per path and subscriber count, not counted
IDLE_SAMPLE = 2.0  # seconds of CPU sampling with the subscribers connected and quiet
MAX_FAILURES_IN_A_ROW = 5  # a room that stopped delivering: give up that subscriber count
MARKER = re.compile(rb"bench-\d+-[0-9a-f]{8}")
PATHS = ("django", "direct")  # chat through the chat API, or straight on the data channel


# 1. JavaScript weight ----------------------------------------------------------------------
def page_scripts(site: ThrowawaySite, page: str, cookie: str) -> list[tuple[str, str, int, int]]:
    """(path, type, bytes, bytes gzipped at level 9) of each <script src> of the page."""
    status, html = common.request(site.web_port, page, **({"Cookie": cookie} if cookie else {}))
    if status != 200:
        raise RuntimeError(f"GET {page} answered {status}")
    scripts = []
    for tag in re.findall(r"<script\b[^>]*>", html.decode()):
        if src := re.search(r'\bsrc="([^"]+)"', tag):
            url = urlsplit(urljoin(site.url + page, src[1]))
            _, body = common.request(site.web_port, url.path + (url.query and f"?{url.query}"))
            kind = re.search(r'\btype="([^"]+)"', tag)
            gzipped = len(gzip.compress(body, compresslevel=9, mtime=0))
            scripts.append((url.path, kind[1] if kind else "classic", len(body), gzipped))
    return scripts


def print_js(found: dict[str, list[tuple[str, str, int, int]]]) -> None:
    out("1. JavaScript each page loads (<script src> tags, each file fetched; gzip -9)")
    rows = []
    for page, scripts in found.items():
        rows += [[page, *script] for script in scripts] or [[page, "(none)", "", 0, 0]]
        if len(scripts) > 1:
            rows.append([page, "total", "", *(sum(s[i] for s in scripts) for i in (2, 3))])
    header = ["page", "script", "type", "raw B", "gzip B"]
    common.table(header, ([*row[:3], f"{row[3]:,}", f"{row[4]:,}"] for row in rows), left=3)
    size = sum(s[3] for s in found[CHANNEL])
    out(
        f"   channel page: {size:,} B gzipped = {size / JS_BUDGET:.1%} of the 160 kB budget "
        f"({JS_BUDGET:,} B), {abs(size - JS_BUDGET):,} B {'over' if size > JS_BUDGET else 'under'}"
        f"; {size / 163_840:.1%} if the budget means 160 KiB\n"
    )


# 2. Time to first frame --------------------------------------------------------------------
# In ms from navigation start: resource timing and the probe's marks.
MILESTONES = """
() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const end = (part) => performance.getEntriesByType("resource")
    .find((entry) => entry.name.includes(part))?.responseEnd ?? null;
  const mark = window.__probe.current;
  return {
    "HTML received": nav.responseEnd,
    "channel.js received": end("/static/js/channel.js"),
    "DOMContentLoaded": nav.domContentLoadedEventEnd,
    "viewer token received": end("/api/stream/token/"),
    "video size known": mark.size ?? null,
    "first frame (loadeddata)": mark.data ?? null,
    "FIRST FRAME presented": mark.callback,
  };
}
"""


def load_channel(browser: Any, site: ThrowawaySite) -> dict[str, float | None]:
    """One cold load of the channel page in a new context (empty cache, new guest): the
    MILESTONES, and Python's time from page.goto() until the frame is seen, in seconds."""
    viewer = common.Viewer(browser, site.url)
    page = viewer.page
    try:
        began = time.perf_counter()
        page.goto(CHANNEL, wait_until="commit", timeout=FIRST_FRAME_TIMEOUT)
        page.wait_for_function("window.__probe.seen()", polling=10, timeout=FIRST_FRAME_TIMEOUT)
        wall = time.perf_counter() - began
        marks = {name: at and at / 1000 for name, at in page.evaluate(MILESTONES).items()}
        return marks | {"Python wall clock, goto() -> seen": wall}
    finally:
        viewer.close()


def measure_first_frame(site: ThrowawaySite, runs: int) -> tuple[list[dict], list[str]]:
    """`runs` loads after one that is not counted; and the loads that failed."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    loads, failures = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for run in range(runs + 1):
            log(f"first frame: {f'run {run}' if run else 'warm-up'} of {runs}")
            try:
                loaded = load_channel(browser, site)
                loads += [loaded] if run else []
            except PlaywrightError as error:
                failures.append(f"{f'run {run}' if run else 'warm-up'}: {str(error)[:200]}")
        browser.close()
    return loads, failures


def print_first_frame(loads: list[dict], failures: list[str], runs: int) -> None:
    out(
        f"2. Time to first frame of {CHANNEL}: new browser context per load (cold cache, "
        f"guest), {len(loads)} of {runs} loads after 1 warm-up"
    )
    rows = [spread(name, [load[name] for load in loads]) for name in (loads[0] if loads else [])]
    common.table(["ms from navigation start (in the page)", *common.SPREAD], rows)
    out("".join(f"   FAILED {failure}\n" for failure in failures))


# 3. Chat delivery --------------------------------------------------------------------------
@dataclass
class Message:
    path: str  # "django" or "direct"
    sent: float  # perf_counter just before the send call
    call: float = 0.0  # the send call itself: the POST round trip, or publish_data
    error: str = ""
    got: int = 0  # subscribers that had it within the timeout
    times: dict[int, float] = field(default_factory=dict)  # subscriber: perf_counter on receipt
    done: threading.Event = field(default_factory=threading.Event)


class ChatRoom:
    """alice's room: a participant that may publish (the direct path), and subscribers that
    joined with guest viewer tokens from the site, noting when each message reaches them."""

    def __init__(self, site: ThrowawaySite, host_id: str) -> None:
        self.site, self.host_id, self.nonce = site, host_id, secrets.token_hex(4)
        self.lock = threading.Lock()
        self.messages: dict[str, Message] = {}
        self.subscribers: list[RtcClient] = []
        keys = {"api_key": API_KEY, "api_secret": API_SECRET, "room": host_id}
        token = publisher_token(**keys, identity="bench-direct", name="bench-direct")
        self.direct = RtcClient(site.livekit.ws_url, token).connect()

    def grow_to(self, count: int) -> None:
        """Subscribers join one after the other."""
        while len(self.subscribers) < count:
            index = len(self.subscribers)
            status, body = common.request(self.site.web_port, f"/api/stream/token/{self.host_id}")
            if status != 200:
                raise RuntimeError(f"viewer token for subscriber {index}: HTTP {status}")
            grant, note = json.loads(body), lambda got, i=index: self.arrived(i, got)
            self.subscribers.append(RtcClient(grant["ws_url"], grant["token"], on_data=note))
            self.subscribers[-1].connect()

    def arrived(self, subscriber: int, got: Received) -> None:
        """On the rtc loop's thread, as each packet arrives."""
        at, found = time.perf_counter(), MARKER.search(got.payload)
        with self.lock:
            message = self.messages.get(found[0].decode()) if found else None
            if message is not None and subscriber not in message.times:
                message.times[subscriber] = at
                if len(message.times) == len(self.subscribers):
                    message.done.set()

    def send(self, path: str, send: Callable[[str, int], None], timeout: float) -> Message:
        """Send one message and wait until every subscriber has it, or the timeout."""
        sequence = len(self.messages)
        marker = f"bench-{sequence}-{self.nonce}"
        message = self.messages[marker] = Message(path, time.perf_counter())
        try:
            send(marker, sequence)
        except Exception as error:
            message.error = f"{type(error).__name__}: {error}"
        message.call = time.perf_counter() - message.sent
        if not message.error:
            message.done.wait(timeout)
        with self.lock:
            message.got = len(message.times)
        return message

    def close(self) -> None:
        for client in [self.direct, *self.subscribers]:
            with contextlib.suppress(Exception):  # a client that lost its room
                client.close()


def chat_senders(site: ThrowawaySite, room: ChatRoom) -> dict[str, Callable[[str, int], None]]:
    """The two paths: bob's POST to the chat API, with his session cookie and a CSRF token as
    a browser sends them, and publish_data on topic chat, shaped as what Django broadcasts."""
    from accounts.models import User

    session, csrf = site.session_cookie(User.objects.get(username="bob")), secrets.token_hex(16)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    headers |= {"X-CSRFToken": csrf, "Origin": site.url}
    headers["Cookie"] = f"{session['name']}={session['value']}; csrftoken={csrf}"

    def via_django(marker: str, sequence: int) -> None:
        url, body = f"/api/stream/{room.host_id}/chat", json.dumps({"message": marker}).encode()
        status, answer = common.request(site.web_port, url, body, **headers)
        if status != 201:
            raise RuntimeError(f"HTTP {status}: {answer[:120]!r}")

    def direct(marker: str, sequence: int) -> None:
        user = {"id": "00000000-0000-0000-0000-000000000000", "name": "bob"}
        message = {"type": "message", "id": 1_000_000 + sequence, "text": marker, "user": user}
        message["ts"] = "2024-06-01T12:00:00.000000+00:00"
        user["color"] = "hsl(200, 75%, 68%)"
        room.direct.publish_data(json.dumps(message, separators=(",", ":")).encode())

    return {"django": via_django, "direct": direct}


@dataclass
class ChatRound:
    count: int  # subscribers
    messages: list[Message]  # counted: without the warm-up
    stopped: str  # why the messages stopped early, if they did
    idle: common.Usage  # cores busy with the subscribers in and no message sent
    busy: common.Usage  # the same while the messages went
    wall: float  # seconds the messages took


def send_messages(room: ChatRoom, senders: dict, args: argparse.Namespace) -> tuple[list, str]:
    """Warm-up, then `--messages` per path, the paths taking turns going first: the counted
    messages, and why they stopped early (MAX_FAILURES_IN_A_ROW), if they did."""
    counted, failures = [], 0
    for index in range(-WARMUP_MESSAGES, args.messages):
        for path in PATHS if index % 2 == 0 else PATHS[::-1]:
            message = room.send(path, senders[path], args.timeout)
            counted += [message] if index >= 0 else []
            failures = 0 if message.got == len(room.subscribers) else failures + 1
            time.sleep(0.02)
        if failures >= MAX_FAILURES_IN_A_ROW:
            return counted, f"stopped after {index + 1} rounds: {failures} failures in a row"
    return counted, ""


def measure_chat(site: ThrowawaySite, counts: list[int], args: Any, before: Callable) -> tuple:
    """For each subscriber count: the subscribers join, then the messages go; and why the
    chat part stopped, if it did."""
    from streams.models import Stream

    stream = Stream.objects.filter(user__username="alice")
    stream.update(is_chat_enabled=True, slow_mode_seconds=0, followers_only_minutes=None)
    room, rounds, failure = ChatRoom(site, str(stream.get().user_id)), [], ""
    meter = common.CpuMeter({"bench process": os.getpid(), **common.site_processes(site)})
    try:
        senders = chat_senders(site, room)
        before()  # the direct participant is in first, so the room is never empty
        for count in counts:
            stream.update(is_live=True)
            log(f"chat: connecting subscribers up to {count}")
            room.grow_to(count)
            idle = meter.busy(IDLE_SAMPLE)
            log(f"chat: {args.messages} messages per path, {count} subscribers")
            cpu, began = meter.snapshot(), time.perf_counter()
            sent, stopped = send_messages(room, senders, args)
            busy, wall = meter.busy_since(cpu, began), time.perf_counter() - began
            rounds.append(ChatRound(count, sent, stopped, idle, busy, wall))
    except Exception as error:  # print what was measured before it, and why it stopped
        failure = f"{type(error).__name__}: {error}"
    finally:
        log(f"chat: closing {len(room.subscribers) + 1} rtc clients")
        room.close()
    return rounds, failure


def path_row(chat: ChatRound, path: str, timeout: float) -> tuple[list, list[str]]:
    """The path's row: messages every subscriber had, lost, seconds until every subscriber had
    it (p50, p99, max), p50 until the first had it and of the send call; and notes on losses
    and errors."""
    sent = [m for m in chat.messages if m.path == path]
    complete = [m for m in sent if m.got == chat.count]
    every = [max(m.times.values()) - m.sent for m in complete]
    first = [min(m.times.values()) - m.sent for m in complete]
    p50, p99, call = percentile(every, 0.5), percentile(every, 0.99), [m.call for m in sent]
    figures = [p50, p99, max(every, default=None), percentile(first, 0.5), percentile(call, 0.5)]
    lost = len(sent) - len(complete)
    late = sum(at - m.sent > timeout for m in sent for at in m.times.values())
    notes = [f"{path}: {lost} lost at the timeout, {late} deliveries later"] if lost else []
    notes += [f"{path} error: {m.error}" for m in sent if m.error][:3]
    return [chat.count, path, f"{len(complete)}/{len(sent)}", lost, *figures], notes


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if a == a and b == b else "-"  # '-' for a NaN percentile


def print_chat(rounds: list[ChatRound], args: argparse.Namespace) -> None:
    out(
        "3. Chat delivery to N subscribers in alice's room: ms from just before the send until "
        f"EVERY subscriber has the message;\n   {args.messages} messages per path after "
        f"{WARMUP_MESSAGES} warm-up, django and direct alternating; timeout {args.timeout:g} s; "
        "'send' is the POST round trip (django) or the publish_data call (direct)"
    )
    header = ["N", "path", "got", "lost", "p50", "p99", "max", "first p50", "send p50"]
    for chat in rounds:
        (django, notes), (direct, more) = (path_row(chat, p, args.timeout) for p in PATHS)
        ratios = [ratio(django[i], direct[i]) for i in (4, 5)]  # p50 and p99
        rows = [[*row[:4], *map(ms, row[4:])] for row in (django, direct)]
        rows.append([chat.count, "django/direct", "", "", *ratios, "", "", ""])
        common.table(header, rows, left=2)
        idle, busy = common.cores(chat.idle), common.cores(chat.busy)
        notes += [*more, chat.stopped, f"cores busy idle for {IDLE_SAMPLE:g} s before: {idle}"]
        notes.append(f"cores busy over the {chat.wall:.1f} s of messages: {busy}")
        out("\n".join(f"       {note}" for note in notes if note))


def main(argv: list[str]) -> None:
    quick = {"runs": 2, "subscribers": "5", "messages": 10}
    options = {"runs": 7, "subscribers": "10,50", "messages": 30, "timeout": 10.0}
    args = common.parse_args(__doc__, argv, quick, **options)
    software = common.versions("django", "livekit", "livekit-api", "playwright")
    software += [*common.livekit_software(), f"SQLite {sqlite3.sqlite_version}"]
    site = "devservers.site throwaway copy: Django runserver (DEBUG on), SQLite, livekit-server"
    common.print_header(args, software, f"{site} and Redis, all on 127.0.0.1")
    log("starting the throwaway site (migrate, seed, livekit-server, runserver)")
    with ThrowawaySite() as site:
        from accounts.models import User
        from streams.models import Stream

        alice = User.objects.get(username="alice")
        Stream.objects.filter(user=alice).update(is_live=True)
        alice_cookie = "{name}={value}".format(**site.session_cookie(alice))
        pages = {CHANNEL: "", "/": "", "/u/alice/keys/": alice_cookie}  # keys: alice only
        print_js({page: page_scripts(site, page, cookie) for page, cookie in pages.items()})
        log("synthetic camera: 640x360 colour bars in alice's room")
        camera = site.host_camera(alice)
        try:
            print_first_frame(*measure_first_frame(site, args.runs), args.runs)
            # The camera stops before the subscribers join: they do not take the video, and
            # fifty decoders in this process would measure the machine, not the chat.
            counts = sorted({int(n) for n in args.subscribers.split(",")})
            rounds, failure = measure_chat(site, counts, args, camera.close)
            print_chat(rounds, args)
            out(f"   FAILED, chat measurements stopped: {failure}\n" if failure else "")
        finally:
            camera.close()
        log("stopping the throwaway site")


if __name__ == "__main__":
    common.run_main(main)
