"""Chat as production serves it: delivery to N subscribers via Django against the data channel.

The site as production runs it (gunicorn sync workers, production settings, PostgreSQL) and the
real livekit-server, on free ports of 127.0.0.1. One live channel; its subscribers join with
guest viewer tokens from the site, spread over --processes subscriber processes (each with its
own rtc event loop and LiveKit client library), so the bench's own receiving is not the
bottleneck. Each message goes one of two ways, the two taking turns:

- django: a signed-in chatter's POST to the chat API (session cookie and CSRF token, as a
  browser sends them): checked, saved in PostgreSQL, then broadcast with LiveKit's SendData;
- direct: publish_data on the data channel by a participant already in the room, shaped as
  what Django broadcasts: the floor for a chat message through LiveKit.

Times are time.monotonic() (one clock for every process on Linux), from just before the send
until EVERY subscriber has the message. Printed per subscriber count: messages every
subscriber had, lost, p50/p99/max, p50 until the first had it and of the send call, the
django/direct ratio at p50 and p99, and cores busy per process tree. Goal: django at most 1.5x
direct at p50 and p99 for every count, nothing lost.

`.venv/bin/python bench/chat.py [--quick]`; see bench/README.md. Options: --subscribers
(counts, comma-separated), --messages (per path and count), --processes (subscriber
processes), --workers (gunicorn's), --timeout (seconds to wait for each message), --pg-url (a
PostgreSQL server, scripts/postgres.sh's when not given), --database (recreated).
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import re
import secrets
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.common import log, ms, out, percentile

WARMUP_MESSAGES = 2  # per path and subscriber count, not counted
IDLE_SAMPLE = 2.0  # seconds of CPU sampling with the subscribers connected and quiet
MAX_FAILURES_IN_A_ROW = 5  # a room that stopped delivering: give up that subscriber count
MARKER = re.compile(rb"chat-\d+-[0-9a-f]{8}")
PATHS = ("django", "direct")
SENDERS = 20  # signed-in chatters taking turns (no one person sends them all)


# The subscriber processes ------------------------------------------------------------------------


def subscribers(number: int, ws_url: str, commands, arrivals) -> None:
    """A subscriber process: joins the room with each batch of tokens it is sent, and puts
    (marker, subscriber, monotonic time) on `arrivals` as each chat packet arrives."""
    from devservers.rtc import RtcClient

    clients: list[RtcClient] = []

    def arrived(subscriber: tuple[int, int], payload: bytes) -> None:
        if found := MARKER.search(payload):
            arrivals.put((found[0].decode(), subscriber, time.monotonic()))

    try:
        while (command := commands.recv()) != "quit":
            for token in command:
                key = (number, len(clients))
                note = lambda got, key=key: arrived(key, got.payload)  # noqa: E731
                clients.append(RtcClient(ws_url, token, on_data=note).connect())
            commands.send(len(clients))
    finally:
        for client in clients:
            with contextlib.suppress(Exception):  # a client that lost its room
                client.close()


class Audience:
    """--processes subscriber processes, grown evenly, and the thread that collects what
    they receive."""

    def __init__(self, processes: int, ws_url: str, on_arrival) -> None:
        context = multiprocessing.get_context("spawn")  # no forked rtc loop or Django state
        self.arrivals, self.pipes, self.processes, self.count = context.Queue(), [], [], 0
        for number in range(processes):
            ours, theirs = context.Pipe()
            process = context.Process(
                target=subscribers, args=(number, ws_url, theirs, self.arrivals), daemon=True
            )
            process.start()
            self.pipes.append(ours)
            self.processes.append(process)
        self.collector = threading.Thread(target=self.collect, args=(on_arrival,), daemon=True)
        self.collector.start()

    def collect(self, on_arrival) -> None:
        while (arrival := self.arrivals.get()) is not None:
            on_arrival(*arrival)

    def grow_to(self, count: int, token) -> None:
        """New subscribers, dealt round-robin to the processes, which connect in parallel."""
        batches = [[] for _ in self.pipes]
        for index in range(self.count, count):
            batches[index % len(batches)].append(token())
        for pipe, batch in zip(self.pipes, batches, strict=True):
            pipe.send(batch)
        self.count = sum(pipe.recv() for pipe in self.pipes)

    def close(self) -> None:
        for pipe, process in zip(self.pipes, self.processes, strict=True):
            with contextlib.suppress(OSError):
                pipe.send("quit")
            process.join(timeout=20)
            if process.is_alive():
                process.kill()
        self.arrivals.put(None)
        self.collector.join(timeout=5)


# Sending and counting ---------------------------------------------------------------------------


@dataclass
class Message:
    path: str
    sent: float  # time.monotonic()
    times: dict[tuple[int, int], float] = field(default_factory=dict)  # subscriber: arrival
    done: threading.Event = field(default_factory=threading.Event)
    call: float = 0.0  # seconds the send call took
    got: int = 0  # subscribers that had it by the timeout
    error: str = ""


class Chat:
    def __init__(self) -> None:
        self.nonce, self.lock, self.expected = secrets.token_hex(4), threading.Lock(), 0
        self.messages: dict[str, Message] = {}

    def arrived(self, marker: str, subscriber: tuple[int, int], at: float) -> None:
        with self.lock:
            message = self.messages.get(marker)
            if message is not None and subscriber not in message.times:
                message.times[subscriber] = at
                if len(message.times) == self.expected:
                    message.done.set()

    def send(self, path: str, send, timeout: float) -> Message:
        """Send one message and wait until every subscriber has it, or the timeout."""
        marker = f"chat-{len(self.messages)}-{self.nonce}"
        message = self.messages[marker] = Message(path, time.monotonic())
        try:
            send(marker)
        except Exception as error:
            message.error = f"{type(error).__name__}: {error}"
        message.call = time.monotonic() - message.sent
        if not message.error:
            message.done.wait(timeout)
        with self.lock:
            message.got = len(message.times)
        return message


def senders(port: int, host, sessions: list[str], direct) -> dict:
    """The two paths. django: SENDERS signed-in chatters' POSTs in turn, each with its session
    cookie and a CSRF token, as a browser sends them. direct: publish_data on topic chat,
    shaped as what Django broadcasts."""
    from django.conf import settings

    base = {"Content-Type": "application/json", "Accept": "application/json"}
    base["Origin"] = f"http://127.0.0.1:{port}"
    chatters = []
    for session in sessions[:SENDERS]:
        csrf = secrets.token_hex(16)
        cookie = f"{settings.SESSION_COOKIE_NAME}={session}; csrftoken={csrf}"
        chatters.append(base | {"X-CSRFToken": csrf, "Cookie": cookie})
    turn = iter(range(1 << 30))

    def via_django(marker: str) -> None:
        body = json.dumps({"message": marker}).encode()
        headers = chatters[next(turn) % len(chatters)]
        status, answer = common.request(port, f"/api/stream/{host.pk}/chat", body, **headers)
        if status != 201:
            raise RuntimeError(f"HTTP {status}: {answer[:120]!r}")

    def via_data_channel(marker: str) -> None:
        user = {"id": "00000000-0000-0000-0000-000000000000", "name": "raider0"}
        user["color"] = "hsl(200, 75%, 68%)"
        message = {"type": "message", "id": 1_000_000, "text": marker, "user": user}
        message["ts"] = "2026-06-01T12:00:00.000000+00:00"
        direct.publish_data(json.dumps(message, separators=(",", ":")).encode())

    return {"django": via_django, "direct": via_data_channel}


@dataclass
class Round:
    count: int  # subscribers
    messages: list[Message]  # counted: without the warm-up
    stopped: str  # why the messages stopped early, if they did
    idle: common.Usage  # cores busy with the subscribers in and no message sent
    busy: common.Usage  # the same while the messages went
    wall: float  # seconds the messages took


def send_round(chat: Chat, paths: dict, args) -> tuple[list[Message], str]:
    """Warm-up, then --messages per path, the paths taking turns going first: the counted
    messages, and why they stopped early, if they did."""
    counted, failures = [], 0
    for index in range(-WARMUP_MESSAGES, args.messages):
        for path in PATHS if index % 2 == 0 else PATHS[::-1]:
            message = chat.send(path, paths[path], args.timeout)
            counted += [message] if index >= 0 else []
            failures = 0 if message.got == chat.expected else failures + 1
            time.sleep(0.02)
        if failures >= MAX_FAILURES_IN_A_ROW:
            return counted, f"stopped after {index + 1} rounds: {failures} failures in a row"
    return counted, ""


# Figures ----------------------------------------------------------------------------------------


def path_row(chat: Round, path: str, timeout: float) -> tuple[list, list[str]]:
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


def report(rounds: list[Round], args) -> None:
    out(
        "Chat delivery: ms from just before the send until EVERY subscriber has the message; "
        f"{args.messages} messages per path\nafter {WARMUP_MESSAGES} warm-up, django and direct "
        f"alternating; timeout {args.timeout:g} s; 'send' is the POST round trip (django) or "
        "the publish_data call (direct)"
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
        out("\n".join(f"       {note}" for note in notes if note) + "\n")


def main(argv: list[str]) -> None:
    quick = {"subscribers": "10", "messages": 10, "processes": 2}
    args = common.parse_args(
        __doc__,
        argv,
        quick,
        subscribers="10,50,200",
        messages=40,
        processes=4,
        workers=2,
        timeout=10.0,
        pg_url="",
        database="chatbench",
    )
    from bench.load import postgres_pid, seed
    from devservers.rtc import RtcClient, publisher_token
    from devservers.servers import LIVEKIT_SERVER, LiveKitStack

    livekit, web_port, pg_version = common.start_site(args)
    log(f"seed: a live channel and {SENDERS} signed-in chatters")
    host, sessions = seed(SENDERS)
    software = common.versions("django", "gunicorn", "psycopg", "livekit")
    software += [f"PostgreSQL {pg_version}", common.first_line([str(LIVEKIT_SERVER), "--version"])]
    site = f"gunicorn -w {args.workers} (sync workers, production settings) on PostgreSQL, "
    common.print_header(args, software, site + "livekit-server: all on 127.0.0.1")
    from django.conf import settings

    from streams import rooms

    chat, rounds, failure = Chat(), [], ""
    with (
        LiveKitStack(livekit, common.OUT_DIR / "chat-livekit") as stack,
        common.gunicorn(args.workers, web_port, "chat-gunicorn.log") as (port, pid),
    ):
        keys = {"api_key": settings.LIVEKIT_API_KEY, "api_secret": settings.LIVEKIT_API_SECRET}
        token = publisher_token(
            **keys, room=rooms.room_name(host.pk), identity="bench-direct", name="bench-direct"
        )
        direct = RtcClient(livekit.ws_url, token).connect()  # in first: the room stays open
        log(f"starting {args.processes} subscriber processes")
        audience = Audience(args.processes, livekit.ws_url, chat.arrived)
        roots = {"gunicorn": pid, "postgres": postgres_pid()}
        roots["livekit-server"] = stack.servers[0].process.pid
        roots |= {f"subscribers {i}": p.pid for i, p in enumerate(audience.processes)}
        meter = common.CpuMeter({"bench": os.getpid()} | {k: v for k, v in roots.items() if v})

        def viewer_token() -> str:
            status, body = common.request(port, f"/api/stream/token/{host.pk}")
            if status != 200:
                raise RuntimeError(f"a viewer token: HTTP {status}: {body[:200]!r}")
            return json.loads(body)["token"]

        try:
            paths = senders(port, host, sessions, direct)
            for count in sorted({int(n) for n in args.subscribers.split(",")}):
                log(f"subscribers joining, up to {count}")
                audience.grow_to(count, viewer_token)
                chat.expected = count
                idle = meter.busy(IDLE_SAMPLE)
                log(f"{args.messages} messages per path to {count} subscribers")
                cpu, began = meter.snapshot(), time.perf_counter()
                sent, stopped = send_round(chat, paths, args)
                busy, wall = meter.busy_since(cpu, began), time.perf_counter() - began
                rounds.append(Round(count, sent, stopped, idle, busy, wall))
        except Exception as error:  # print what was measured before it, and why it stopped
            failure = f"{type(error).__name__}: {error}"
        finally:
            log("closing the subscribers")
            audience.close()
            direct.close()
    report(rounds, args)
    out(f"FAILED, stopped early: {failure}\n" if failure else "")


if __name__ == "__main__":
    common.run_main(main)
