"""The OBS path, timed: from starting an encoder to `is_live` in the database and to the
first frame a waiting viewer sees, for RTMP (ffmpeg) and WHIP (Chromium), through the real
LiveKit Ingress.

What, in one run on a throwaway copy of the site (devservers.site: SQLite with the demo users,
Django's runserver, a real livekit-server, Redis and LiveKit Ingress, all on 127.0.0.1):

1. RTMP: keys are generated once for alice with the project's own service
   (`connection_generate`, kind "rtmp": transcoded by Ingress). A guest has /alice/ open in
   Chromium and sees "offline". Each run starts ffmpeg with the test pattern and tone the OBS
   tests push, and times, from the `Popen`: when Ingress accepted the stream (its state's
   `started_at`), when Django applied the `ingress_started` webhook (`received_at`), when
   `Stream.is_live` is seen true (the database is polled every 20 ms), and when the viewer's
   `[data-player-video]` presents its first frame (`requestVideoFrameCallback`, a page
   timestamp converted to wall clock with a per-run calibration; also the Python wall clock
   when it is seen, polled every 20 ms). While streaming, how busy each process is; then the
   encoder is stopped and the run ends when `is_live` is false again, the page shows offline
   and Ingress has no handler process left, so every run starts from the same state.
2. WHIP: the same with new keys (kind "whip": passed through, no transcoding) and a second
   Chromium with a fake camera as the encoder: getUserMedia, an offer POSTed to
   `<server URL>/<stream key>`, the 201 answer applied; timed from the POST and from the start
   of getUserMedia. It is stopped with the WHIP DELETE and by closing the connection.

Why: the time from "Start streaming" in OBS to a viewer seeing the picture (and the home page
saying LIVE) is what a streamer notices first; the split shows where it goes (encoder start,
Ingress, the webhook, the viewer's subscription and decoder), and RTMP against WHIP shows
what transcoding costs, in time and in CPU on this machine.

Run from the checkout: `.venv/bin/python bench/obs.py [--runs 5] [--kinds rtmp,whip]`.
Prints figures only; nothing is asserted. Every wait is bounded (`--timeout`); failures and
timeouts are counted, not fatal. Everything it starts is stopped at the end, also on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urljoin

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import command_output, load_average, log, machine, out, version  # noqa: E402
from devservers.media import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    FAKE_MEDIA_ARGS,
    ffmpeg_rtmp_command,
)
from devservers.servers import (  # noqa: E402
    INGRESS_VERSION,
)
from devservers.site import API_KEY, API_SECRET, ThrowawaySite  # noqa: E402

T = TypeVar("T")

CHANNEL_USER = "alice"  # the streamer (demo user)
OUT_DIR = ROOT / "bench" / "out"


WHIP_ICE_WAIT_MS = 3000  # as in the test: gathering is awaited at most this long
HTTP_TIMEOUT = 15.0
HEALTH_CHECK = 0.5  # seconds between checks that the encoder is still running

# Runs in the viewer page before its own scripts. `arm()` (called before every run, once the
# page shows offline) asks for a callback on the next frame the player presents; frames of an
# older arming are ignored. Times are wall clock in ms (performance.timeOrigin + ...).
FRAME_PROBE = """
(() => {
  const bench = { current: null };
  window.__bench = bench;
  const wall = (t) => performance.timeOrigin + t;
  bench.clock = () => wall(performance.now());
  const player = () => document.querySelector("[data-player-video]");
  bench.arm = () => {
    const mark = { armed: bench.clock() };
    bench.current = mark;
    const video = player();
    if (!video) {
      mark.noVideo = true;
    } else if (video.requestVideoFrameCallback) {
      video.requestVideoFrameCallback((now, meta) => {
        if (bench.current !== mark || mark.frame !== undefined) return;
        mark.frame = wall(meta.presentationTime);
        mark.callback = wall(now);
        if (meta.receiveTime !== undefined) mark.received = wall(meta.receiveTime);
        mark.width = meta.width;
        mark.height = meta.height;
      });
    } else {
      mark.noRvfc = true;
    }
    return mark.armed;
  };
  const sized = (event) => {
    const video = event.target;
    if (!(video instanceof HTMLVideoElement) || !video.matches("[data-player-video]")) return;
    const mark = bench.current;
    if (mark && mark.size === undefined && video.videoWidth > 0) mark.size = bench.clock();
  };
  document.addEventListener("loadedmetadata", sized, true);
  document.addEventListener("resize", sized, true);
})();
"""

VIEWER_STATE = """
() => {
  const q = (s) => document.querySelector(s);
  const offline = q("[data-player-offline]");
  const count = q("[data-viewer-count]");
  const error = q("[data-player-error]");
  const mark = window.__bench && window.__bench.current;
  return {
    offline: Boolean(offline && !offline.hidden),
    connected: Boolean(count && !count.hidden),
    error: error && !error.hidden ? error.textContent.trim() : "",
    frame: mark ? mark.frame ?? null : null,
    received: mark ? mark.received ?? null : null,
    size: mark ? mark.size ?? null : null,
    noRvfc: Boolean(mark && mark.noRvfc),
  };
}
"""

# The WHIP encoder, as in the OBS test; page-side durations in ms from the call.
WHIP_OFFER = """
async (iceWait) => {
  const t0 = performance.now();
  const media = await navigator.mediaDevices.getUserMedia(
    {video: {width: 640, height: 360}, audio: true});
  const gum = performance.now() - t0;
  const pc = new RTCPeerConnection();
  for (const track of media.getTracks()) {
    pc.addTransceiver(track, {direction: "sendonly"});
  }
  await pc.setLocalDescription(await pc.createOffer());
  let complete = pc.iceGatheringState === "complete";
  if (!complete) {
    complete = await new Promise((resolve) => {
      pc.onicegatheringstatechange = () => {
        if (pc.iceGatheringState === "complete") resolve(true);
      };
      setTimeout(() => resolve(false), iceWait);
    });
  }
  window.whipConnection = pc;
  window.whipMedia = media;
  return {sdp: pc.localDescription.sdp, gum, offer: performance.now() - t0, complete};
}
"""

WHIP_CLOSE = """
() => {
  if (window.whipConnection) window.whipConnection.close();
  if (window.whipMedia) for (const track of window.whipMedia.getTracks()) track.stop();
}
"""


# --------------------------------------------------------------------------------------------
# Stopping on Ctrl-C / SIGTERM
# --------------------------------------------------------------------------------------------
#
# A KeyboardInterrupt raised by a signal handler while Playwright's event loop is running (in
# its greenlet, during any page call) breaks that loop: every later Playwright call, including
# the ones that close the browser, then waits forever. So once the browsers are up, a signal
# only sets STOP, and the bench's own loops and waits raise KeyboardInterrupt between
# Playwright calls (`check_stop`). In case that does not come (a call that does not return),
# a second signal, or FORCE_AFTER seconds, ends the processes this bench started, by pid.

STOP = threading.Event()
FORCE_AFTER = 45.0
_cooperative = False  # set once Playwright runs
_site_work: Path | None = None  # removed by a forced exit, as ThrowawaySite would


def check_stop() -> None:
    if STOP.is_set():
        raise KeyboardInterrupt


def pause(seconds: float) -> None:
    """time.sleep that a stop request cuts short."""
    if STOP.wait(seconds):
        raise KeyboardInterrupt


def _on_signal(signum: int, frame: object) -> None:
    if STOP.is_set():
        _force_exit()
    STOP.set()
    watchdog = threading.Timer(FORCE_AFTER, _force_exit)
    watchdog.daemon = True  # a stop that finishes in time does not wait for it
    watchdog.start()
    if not _cooperative:
        raise KeyboardInterrupt


def _force_exit() -> None:
    """SIGTERM, then SIGKILL, to every process under this one; then exit at once."""
    print("stopping did not finish: ending the processes this bench started", file=sys.stderr)
    tree = [p.pid for p in descendants(os.getpid(), process_table()) if p.pid != os.getpid()]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in tree:
            with contextlib.suppress(OSError):
                os.kill(pid, sig)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in tree):
            time.sleep(0.1)
    if _site_work is not None:
        shutil.rmtree(_site_work, ignore_errors=True)
    os._exit(130)


def fmt_ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f}"


def first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"


# --------------------------------------------------------------------------------------------
# Processes: CPU time from /proc (psutil is not installed)
# --------------------------------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class Proc:
    pid: int
    ppid: int
    name: str
    cpu: float  # seconds: own user + system, plus that of its reaped children


def process_table() -> dict[int, Proc]:
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            name = stat.split("(", 1)[1].rsplit(")", 1)[0]
            fields = stat.rsplit(")", 1)[1].split()
            cpu = sum(int(fields[i]) for i in (11, 12, 13, 14)) / TICK
            table[int(entry.name)] = Proc(int(entry.name), int(fields[1]), name, cpu)
    return table


def descendants(root: int, table: dict[int, Proc]) -> list[Proc]:
    """`root` and every process under it that is still running."""
    children: dict[int, list[int]] = {}
    for proc in table.values():
        children.setdefault(proc.ppid, []).append(proc.pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid in table:
            found.append(table[pid])
        todo.extend(children.get(pid, []))
    return found


def browser_roots() -> set[int]:
    """Chromium processes under this one whose parent is not Chromium: one per browser."""
    table = process_table()
    mine = {p.pid for p in descendants(os.getpid(), table)}
    return {
        pid
        for pid in mine
        if "chrom" in table[pid].name.lower()
        and "chrom" not in table.get(table[pid].ppid, Proc(0, 0, "", 0)).name.lower()
    }


@dataclass
class Watched:
    """Named process trees whose CPU use is sampled during a stream."""

    roots: dict[str, int] = field(default_factory=dict)

    def snapshot(self) -> dict[str, tuple[float, int]]:
        table = process_table()
        result = {}
        for name, pid in self.roots.items():
            tree = descendants(pid, table)
            if tree:
                result[name] = (sum(p.cpu for p in tree), len(tree))
        return result

    def busy(self, seconds: float) -> dict[str, tuple[float, int]]:
        """Cores each tree keeps busy over `seconds`, and how many processes it had."""
        before, began = self.snapshot(), time.perf_counter()
        pause(seconds)
        after, wall = self.snapshot(), time.perf_counter() - began
        return {
            name: ((used - before[name][0]) / wall, count)
            for name, (used, count) in after.items()
            if name in before
        }


# --------------------------------------------------------------------------------------------
# The site, with Ingress
# --------------------------------------------------------------------------------------------


@dataclass
class IngressSite(ThrowawaySite):
    """ThrowawaySite with LiveKit Ingress, keeping the servers' logs for a look afterwards."""

    def __init__(self) -> None:
        super().__init__(with_ingress=True)

    def keep_logs(self) -> list[Path]:
        """Copy the servers' logs to bench/out/ before the throwaway folder goes."""
        kept = []
        with contextlib.suppress(OSError):
            OUT_DIR.mkdir(parents=True, exist_ok=True)
            for name in ("ingress", "livekit"):
                source = self.work / "livekit" / f"{name}.log"
                if source.is_file():
                    target = OUT_DIR / f"obs-{name}.log"
                    shutil.copyfile(source, target)
                    kept.append(target)
        return kept


class Worker:
    """One thread for calls that go through async_to_sync or asyncio.run: Playwright keeps an
    event loop on the main thread, where those refuse to run."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1)

    def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        from django.db import connection

        def run() -> T:
            try:
                return function(*args, **kwargs)
            finally:
                connection.close()

        return self.pool.submit(run).result(timeout=120)

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def generate_keys(kind: str) -> tuple[int, str, str, str]:
    """New keys of `kind` for alice; (stream pk, ingress id, server URL, stream key)."""
    from streams.models import Stream
    from streams.services import connection_generate

    stream = connection_generate(stream=Stream.objects.get(user__username=CHANNEL_USER), kind=kind)
    return stream.pk, stream.ingress_id or "", stream.server_url, stream.stream_key


def ingress_state(url: str, ingress_id: str) -> tuple[float | None, str]:
    """(state.started_at as wall-clock seconds, status name) of one ingress, from LiveKit."""
    from livekit import api

    async def fetch() -> tuple[float | None, str]:
        async with api.LiveKitAPI(url, API_KEY, API_SECRET) as client:
            found = await client.ingress.list_ingress(api.ListIngressRequest(ingress_id=ingress_id))
        if not found.items:
            return None, "not found"
        state = found.items[0].state
        status = api.IngressState.Status.Name(state.status)
        return (state.started_at / 1e9 if state.started_at else None), status

    return asyncio.run(fetch())


def webhook_at(event: str, ingress_id: str, since: float) -> float | None:
    """Wall-clock time Django applied the first `event` for the ingress after `since`."""
    from streams.models import WebhookEvent

    found = (
        WebhookEvent.objects.filter(
            event=event,
            ingress_id=ingress_id,
            received_at__gte=datetime.fromtimestamp(since, tz=UTC),
        )
        .order_by("received_at")
        .values_list("received_at", flat=True)
        .first()
    )
    return found.timestamp() if found else None


class DbWatch(threading.Thread):
    """Polls Stream.is_live every `interval` s on its own thread (and database connection)
    until it equals `want`; `seen` is the wall-clock time it first did."""

    def __init__(self, stream_pk: int, want: bool, interval: float, timeout: float) -> None:
        super().__init__(daemon=True)
        self.stream_pk, self.want, self.interval = stream_pk, want, interval
        self.deadline = time.monotonic() + timeout
        self.seen: float | None = None
        self.error = ""
        self.halt = threading.Event()

    def run(self) -> None:
        from django.db import connection

        from streams.models import Stream

        rows = Stream.objects.filter(pk=self.stream_pk).values_list("is_live", flat=True)
        try:
            while not self.halt.is_set() and time.monotonic() < self.deadline:
                if rows.first() is self.want:
                    self.seen = time.time()
                    return
                self.halt.wait(self.interval)
        except Exception as error:
            self.error = first_line(error)
        finally:
            connection.close()

    def finish(self) -> None:
        self.halt.set()
        if self.is_alive():
            self.join(timeout=5)


# --------------------------------------------------------------------------------------------
# The viewer and the encoders
# --------------------------------------------------------------------------------------------


class Viewer:
    """A guest with /alice/ open in its own browser context."""

    def __init__(self, browser: Any, site: IngressSite, timeout: float) -> None:
        self.context = browser.new_context(
            base_url=site.url, viewport={"width": 1280, "height": 760}
        )
        self.context.add_init_script(script=FRAME_PROBE)
        self.page = self.context.new_page()
        self.page.goto(f"/{CHANNEL_USER}/", timeout=timeout * 1000)

    def state(self) -> dict[str, Any]:
        return self.page.evaluate(VIEWER_STATE)

    def calibrate(self) -> tuple[float, float]:
        """(page clock - time.time(), uncertainty) in seconds, the best of 5 round trips."""
        best = (0.0, float("inf"))
        for _ in range(5):
            before = time.time()
            page_now = self.page.evaluate("() => window.__bench.clock()") / 1000
            after = time.time()
            if (after - before) / 2 < best[1]:
                best = (page_now - (before + after) / 2, (after - before) / 2)
        return best

    def arm(self) -> None:
        self.page.evaluate("() => window.__bench.arm()")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.context.close()


class RtmpEncoder:
    """ffmpeg pushing the test pattern to Ingress, as OBS would over RTMP."""

    def __init__(self, url: str, log_path: Path) -> None:
        self.url, self.log_path = url, log_path
        self.process: subprocess.Popen | None = None
        self.started = 0.0

    def start(self) -> float:
        log_file = self.log_path.open("wb")
        self.started = time.time()
        self.process = subprocess.Popen(
            ffmpeg_rtmp_command(self.url),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
        log_file.close()  # the child has its own copy
        return self.started

    def failure(self) -> str:
        if self.process is None or self.process.poll() is None:
            return ""
        tail = self.log_path.read_text(errors="replace").strip().splitlines()[-1:]
        return f"ffmpeg exited with {self.process.returncode}: {' '.join(tail) or '(no output)'}"

    def stop(self) -> None:
        """SIGTERM: ffmpeg ends the RTMP stream properly and exits."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()

    def close(self) -> None:
        """Wait for ffmpeg to exit (killed if it takes more than 10 s)."""
        if self.process is not None:
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


class WhipEncoder:
    """Chromium's fake camera and microphone sent to Ingress over WHIP, as the OBS test does."""

    def __init__(self, browser: Any, site: IngressSite, endpoint: str) -> None:
        self.browser, self.site, self.endpoint = browser, site, endpoint
        self.context: Any = None
        self.page: Any = None
        self.resource = ""
        self.gum_started = 0.0  # time.time() just before getUserMedia is called
        self.posted = 0.0  # time.time() just before the offer is POSTed
        self.answered = 0.0  # time.time() when the 201 answer was read
        self.page_times: dict[str, Any] = {}

    def prepare(self) -> None:
        """A fresh context on a page of the site (a secure, loopback origin); not timed."""
        self.context = self.browser.new_context(base_url=self.site.url)
        self.page = self.context.new_page()
        self.page.goto("/robots.txt")

    def start(self) -> float:
        self.gum_started = time.time()
        offer = self.page.evaluate(WHIP_OFFER, WHIP_ICE_WAIT_MS)
        self.page_times = offer
        request = urllib.request.Request(
            self.endpoint,
            data=offer["sdp"].encode(),
            headers={"Content-Type": "application/sdp"},
            method="POST",
        )
        self.posted = time.time()
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
            answer = response.read().decode()
            self.answered = time.time()
            if response.status != 201:
                raise RuntimeError(f"WHIP POST answered {response.status}, not 201")
            self.resource = response.headers.get("Location") or ""
        self.page.evaluate(
            "answer => window.whipConnection.setRemoteDescription({type: 'answer', sdp: answer})",
            answer,
        )
        return self.posted

    def failure(self) -> str:
        with contextlib.suppress(Exception):
            state = self.page.evaluate("() => window.whipConnection.connectionState")
            if state in {"failed", "closed"}:
                return f"the WHIP peer connection is {state}"
        return ""

    def stop(self) -> None:
        """The WHIP way (DELETE the resource), then the peer connection and camera closed."""
        if self.resource:
            request = urllib.request.Request(urljoin(self.endpoint, self.resource), method="DELETE")
            with contextlib.suppress(OSError, urllib.error.HTTPError):
                urllib.request.urlopen(request, timeout=HTTP_TIMEOUT).close()
            self.resource = ""
        if self.context is not None:
            with contextlib.suppress(Exception):
                self.page.evaluate(WHIP_CLOSE)

    def close(self) -> None:
        """The encoder's browser context goes."""
        if self.context is not None:
            with contextlib.suppress(Exception):
                self.context.close()
            self.context = None


# --------------------------------------------------------------------------------------------
# One run
# --------------------------------------------------------------------------------------------


@dataclass
class Run:
    ok: bool = False
    error: str = ""
    # seconds after the encoder start (Popen for RTMP, the offer POST for WHIP)
    accepted: float | None = None  # Ingress's state.started_at
    webhook: float | None = None  # ingress_started applied by Django
    live: float | None = None  # is_live seen true by the poll
    received: float | None = None  # rVFC receiveTime of the first frame
    frame: float | None = None  # rVFC presentationTime of the first frame
    size: float | None = None  # the <video> knew its size
    frame_seen: float | None = None  # the Python poll saw the frame
    # WHIP only
    answer: float | None = None  # the POST round trip, 201 answer read
    lead: float | None = None  # getUserMedia start -> offer POSTed (Python clock)
    gum: float | None = None  # getUserMedia resolved (page clock, from its call)
    offer: float | None = None  # offer ready, ICE gathered (page clock, from the call)
    ice_complete: bool = True
    # seconds after the encoder was stopped
    ended_webhook: float | None = None
    offline_db: float | None = None
    offline_page: float | None = None
    handler_gone: float | None = None
    clean: bool = False  # back in the starting state
    clock_offset: float = 0.0
    clock_error: float = 0.0
    status: str = ""
    no_rvfc: bool = False
    cpu: dict[str, tuple[float, int]] = field(default_factory=dict)


def wait_offline(
    viewer: Viewer,
    site: IngressSite,
    watch: DbWatch,
    began: float,
    interval: float,
    timeout: float,
) -> tuple[float | None, float | None, float | None]:
    """Seconds from `began` until is_live is false (`watch`, already polling), the page shows
    offline and Ingress has no handler process left (None for what did not happen in time)."""
    deadline = time.monotonic() + timeout
    page_at = gone_at = None
    ingress_pid = site.stack.ingress.pid if site.stack and site.stack.ingress else 0
    try:
        while time.monotonic() < deadline:
            if page_at is None and viewer.state()["offline"]:
                page_at = time.time()
            if gone_at is None and len(descendants(ingress_pid, process_table())) <= 1:
                gone_at = time.time()
            if page_at is not None and gone_at is not None and not watch.is_alive():
                break
            pause(interval)
    finally:
        watch.finish()
    since = lambda at: None if at is None else at - began  # noqa: E731
    return since(watch.seen), since(page_at), since(gone_at)


def one_run(
    encoder: RtmpEncoder | WhipEncoder,
    viewer: Viewer,
    site: IngressSite,
    worker: Worker,
    watched: Watched,
    stream_pk: int,
    ingress_id: str,
    args: argparse.Namespace,
) -> Run:
    """Start the encoder, time it to live and to the first frame, sample the CPU, stop it and
    wait until everything is back offline."""
    run = Run()
    interval = args.poll / 1000
    viewer.arm()
    run.clock_offset, run.clock_error = viewer.calibrate()
    watch = DbWatch(stream_pk, True, interval, args.timeout)
    started = 0.0
    try:
        if isinstance(encoder, WhipEncoder):
            encoder.prepare()
        watch.start()
        try:
            started = encoder.start()
        except Exception as error:
            run.error = f"encoder start: {first_line(error)}"
        if started and not run.error:
            measure_stream(run, started, encoder, viewer, site, worker, watched, watch, args)
            run.webhook = relative(webhook_at("ingress_started", ingress_id, started - 1), started)
            with contextlib.suppress(Exception):
                at, run.status = worker.call(ingress_state, site.livekit.url, ingress_id)
                run.accepted = relative(at, started)
    except BaseException:
        watch.finish()
        encoder.stop()  # Ctrl-C or a bug: stop at once, no waiting for offline
        encoder.close()
        raise
    watch.finish()
    offline = DbWatch(stream_pk, False, interval, args.timeout)
    offline.start()  # before the stop, which blocks this thread for a moment
    stopped = time.time()
    try:
        encoder.stop()
        run.offline_db, run.offline_page, run.handler_gone = wait_offline(
            viewer, site, offline, stopped, interval, args.timeout
        )
    finally:
        offline.finish()
        encoder.close()
    if started:
        run.ended_webhook = relative(webhook_at("ingress_ended", ingress_id, stopped), stopped)
    run.clean = None not in (run.offline_db, run.offline_page, run.handler_gone)
    run.ok = not run.error
    return run


def measure_stream(
    run: Run,
    started: float,
    encoder: RtmpEncoder | WhipEncoder,
    viewer: Viewer,
    site: IngressSite,
    worker: Worker,
    watched: Watched,
    watch: DbWatch,
    args: argparse.Namespace,
) -> None:
    """Wait (bounded) for is_live and the viewer's first frame; then sample the CPU."""
    interval = args.poll / 1000
    if isinstance(encoder, RtmpEncoder) and encoder.process is not None:
        watched.roots["ffmpeg"] = encoder.process.pid
    if isinstance(encoder, WhipEncoder):
        run.answer = encoder.answered - started
        run.lead = started - encoder.gum_started
        run.gum = encoder.page_times["gum"] / 1000
        run.offer = encoder.page_times["offer"] / 1000
        run.ice_complete = bool(encoder.page_times["complete"])
    deadline = time.monotonic() + args.timeout
    next_check = time.monotonic() + HEALTH_CHECK
    state: dict[str, Any] = {}
    while time.monotonic() < deadline:
        if run.frame_seen is None:
            state = viewer.state()
            if state["frame"] is not None or (state["noRvfc"] and state["size"]):
                run.frame_seen = time.time() - started
        if run.frame_seen is not None and not watch.is_alive():
            break
        if state.get("error"):
            run.error = f"viewer: {state['error']}"
            break
        if time.monotonic() > next_check:  # not every poll: for WHIP it is a page round trip
            next_check = time.monotonic() + HEALTH_CHECK
            run.error = encoder.failure()
            if run.error:
                break
        pause(interval)
    watch.finish()
    run.live = relative(watch.seen, started)
    if watch.error and not run.error:
        run.error = f"database poll: {watch.error}"

    def page_clock(ms: float | None) -> float | None:
        return None if ms is None else ms / 1000 - run.clock_offset - started

    state = viewer.state()
    run.frame, run.received = page_clock(state["frame"]), page_clock(state["received"])
    run.size, run.no_rvfc = page_clock(state["size"]), state["noRvfc"]
    if not run.error and (run.live is None or run.frame_seen is None):
        missing = [
            what
            for what, value in (("is_live", run.live), ("the first frame", run.frame_seen))
            if value is None
        ]
        run.error = f"timed out after {args.timeout:g} s waiting for {' and '.join(missing)}"
    if not run.error:
        run.cpu = watched.busy(args.hold)


def relative(at: float | None, since: float) -> float | None:
    return None if at is None else at - since


def measure_kind(
    kind: str,
    site: IngressSite,
    encoder_browser: Any,
    viewer_browser: Any,
    worker: Worker,
    watched: Watched,
    args: argparse.Namespace,
) -> tuple[list[Run], str]:
    """`args.runs` runs of one kind; returns them and why the runs stopped early, if so."""
    log(f"{kind}: generating keys")
    stream_pk, ingress_id, server_url, stream_key = worker.call(generate_keys, kind)
    ids = (stream_pk, ingress_id, f"{server_url}/{stream_key}")
    viewer = Viewer(viewer_browser, site, args.timeout)
    runs: list[Run] = []
    try:
        return run_kind(kind, encoder_browser, viewer, site, worker, watched, args, runs, ids)
    except Exception as error:  # keep what was measured, say why it stopped
        return runs, f"run {len(runs) + 1}: {first_line(error)}"
    finally:
        viewer.close()
        watched.roots.pop("ffmpeg", None)


def run_kind(
    kind: str,
    encoder_browser: Any,
    viewer: Viewer,
    site: IngressSite,
    worker: Worker,
    watched: Watched,
    args: argparse.Namespace,
    runs: list[Run],
    ids: tuple[int, str, str],
) -> tuple[list[Run], str]:
    """Wait until the viewer shows offline, then the runs, one after the other."""
    stream_pk, ingress_id, endpoint = ids
    deadline = time.monotonic() + args.timeout
    while True:
        state = viewer.state()
        if state["offline"] and state["connected"]:
            break
        if time.monotonic() > deadline:
            return runs, f"the viewer page did not show offline within {args.timeout:g} s"
        pause(args.poll / 1000)
    for number in range(1, args.runs + 1):
        check_stop()
        encoder: RtmpEncoder | WhipEncoder
        if kind == "rtmp":
            encoder = RtmpEncoder(endpoint, site.work / f"ffmpeg-{number}.log")
        else:
            encoder = WhipEncoder(encoder_browser, site, endpoint)
        log(f"{kind}: run {number}/{args.runs}")
        run = one_run(encoder, viewer, site, worker, watched, stream_pk, ingress_id, args)
        runs.append(run)
        outcome = (
            f"live {fmt_ms(run.live)} ms, first frame {fmt_ms(run.frame)} ms"
            if run.ok
            else f"FAILED {run.error}"
        )
        log(
            f"{kind}: run {number}: {outcome}; back offline: db {fmt_ms(run.offline_db)} ms, "
            f"page {fmt_ms(run.offline_page)} ms, handler gone {fmt_ms(run.handler_gone)} ms"
        )
        if not run.clean:
            return runs, f"run {number} did not get back offline within {args.timeout:g} s"
    return runs, ""


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def row(label: str, values: list[float | None], scale: float = 1000) -> str:
    found = [v * scale for v in values if v is not None]
    if not found:
        return f"   {label:<54} {'-':>7} {'-':>7} {'-':>7} {0:>3}"
    return (
        f"   {label:<54} {statistics.median(found):>7.0f} {min(found):>7.0f} "
        f"{max(found):>7.0f} {len(found):>3}"
    )


def table_header(title: str) -> None:
    out(f"   {title:<54} {'median':>7} {'min':>7} {'max':>7} {'n':>3}")


def plus(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a + b


def report_kind(kind: str, runs: list[Run], stopped: str, args: argparse.Namespace) -> None:
    ok = [r for r in runs if r.ok]
    poll = f"{args.poll:g} ms poll"
    if kind == "rtmp":
        out(
            "1. RTMP: ffmpeg (testsrc2 640x360 25 fps + 440 Hz tone, x264 ultrafast zerolatency, "
            "-g 50) -> Ingress, transcoded (H264_540P_25FPS_2_LAYERS)"
        )
        start = "ms from ffmpeg Popen"
    else:
        out(
            "2. WHIP: Chromium fake camera + microphone (640x360), offer POSTed from Python -> "
            "Ingress, passed through (no transcoding)"
        )
        start = "ms from the offer POST"
    out(
        f"   {len(ok)} of {len(runs)} runs ok ({args.runs} asked); viewer: a guest on "
        f"/{CHANNEL_USER}/ in Chromium, open and showing offline before each start"
    )
    table_header(start)
    if kind == "whip":
        out(row("201 answer read (POST round trip)", [r.answer for r in ok]))
    out(row("Ingress accepted the stream (its state.started_at)", [r.accepted for r in ok]))
    out(row("ingress_started webhook applied (received_at)", [r.webhook for r in ok]))
    out(row(f"is_live true seen in the database ({poll})", [r.live for r in ok]))
    out(row("viewer: video size known (resize event)", [r.size for r in ok]))
    out(row("viewer: first frame received (rVFC receiveTime)", [r.received for r in ok]))
    out(row("viewer: FIRST FRAME PRESENTED (rVFC presentationTime)", [r.frame for r in ok]))
    out(row(f"viewer: first frame seen from Python ({poll})", [r.frame_seen for r in ok]))
    if kind == "whip":
        table_header("ms from the start of getUserMedia")
        out(row("getUserMedia resolved (page clock)", [r.gum for r in ok]))
        out(row("offer ready, ICE gathered (page clock)", [r.offer for r in ok]))
        out(row("offer POSTed (Python clock)", [r.lead for r in ok]))
        out(row("is_live true seen in the database", [plus(r.live, r.lead) for r in ok]))
        out(row("viewer: FIRST FRAME PRESENTED", [plus(r.frame, r.lead) for r in ok]))
        out(row("viewer: first frame seen from Python", [plus(r.frame_seen, r.lead) for r in ok]))
        partial = sum(1 for r in ok if not r.ice_complete)
        if partial:
            out(
                f"   note: in {partial} runs ICE gathering was not complete after "
                f"{WHIP_ICE_WAIT_MS} ms; the offer went with the candidates found by then"
            )
    stop = "WHIP DELETE" if kind == "whip" else "SIGTERM to ffmpeg"
    table_header(f"ms from stopping the encoder ({stop})")
    out(row("ingress_ended webhook applied (received_at)", [r.ended_webhook for r in runs]))
    out(row("is_live false seen in the database", [r.offline_db for r in runs]))
    out(row("viewer shows offline (seen from Python)", [r.offline_page for r in runs]))
    if kind == "rtmp":
        out(row("Ingress's handler process gone", [r.handler_gone for r in runs]))
    frames = " ".join(fmt_ms(r.frame) if r.ok else "x" for r in runs)
    lives = " ".join(fmt_ms(r.live) if r.ok else "x" for r in runs)
    out(f"   per run (x = failed): first frame presented {frames}; is_live {lives}")
    if ok:
        names = sorted({name for r in ok for name in r.cpu}, key=cpu_order)
        parts = []
        for name in names:
            cores = [r.cpu[name][0] for r in ok if name in r.cpu]
            count = max(r.cpu[name][1] for r in ok if name in r.cpu)
            label = f"{name} ({count} processes)" if count > 1 else name
            parts.append(f"{label} {statistics.median(cores):.2f}")
        out(
            f"   cores busy over {args.hold:g} s of streaming after the first frame (median of "
            f"runs): {', '.join(parts)}"
        )
        offsets = [r.clock_offset * 1000 for r in ok]
        error = max(r.clock_error for r in ok) * 1000
        out(
            f"   page clock (timeOrigin + now) minus time.time(): {min(offsets):+.1f} .. "
            f"{max(offsets):+.1f} ms, +/- {error:.1f} ms (corrected per run)"
        )
        statuses = sorted({r.status for r in ok if r.status})
        out(f"   Ingress status while streaming: {', '.join(statuses) or '-'}")
        if kind == "whip" and all(r.cpu.get("ingress", (0, 1))[1] == 1 for r in ok):
            out("   note: Ingress handled WHIP in its own process (no handler process)")
        if any(r.no_rvfc for r in ok):
            out("   note: no requestVideoFrameCallback; 'first frame' is 'video size known'")
    for number, r in enumerate(runs, 1):
        if not r.ok:
            out(f"   FAILED run {number}: {r.error}")
    if stopped:
        out(f"   STOPPED early: {stopped}")
    out()


CPU_ORDER = ["ingress", "livekit-server", "redis", "django", "ffmpeg", "encoder chromium"]


def cpu_order(name: str) -> tuple[int, str]:
    return (CPU_ORDER.index(name) if name in CPU_ORDER else len(CPU_ORDER), name)


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def print_header(args: argparse.Namespace) -> None:
    chromium = command_output([CHROMIUM, "--version"])
    livekit_server = command_output([str(ROOT / ".bin" / "livekit-server"), "--version"])
    ffmpeg = " ".join(command_output(["ffmpeg", "-version"]).split()[:3])
    gstreamer = command_output(["dpkg-query", "-W", "-f=${Version}", "libgstreamer1.0-0"])
    out(f"machine: {machine()}, load average {load_average()}")
    out(
        f"software: Python {platform.python_version()}, Django {version('django')}, "
        f"livekit-api {version('livekit-api')}, Playwright {version('playwright')}, {chromium}, "
        f"{livekit_server}, LiveKit Ingress {INGRESS_VERSION} (GStreamer {gstreamer}), {ffmpeg}"
    )
    out(
        "site: devservers.site throwaway copy: Django runserver (DEBUG on), SQLite, "
        "livekit-server, Redis and LiveKit Ingress, all on 127.0.0.1"
    )
    out(
        f"parameters: --runs {args.runs} --kinds {','.join(args.kinds)} --timeout "
        f"{args.timeout:g} --hold {args.hold:g} --poll {args.poll:g}"
    )


def parse_kinds(text: str) -> list[str]:
    kinds = [part.strip() for part in text.split(",") if part.strip()]
    if not kinds or any(kind not in {"rtmp", "whip"} for kind in kinds):
        raise argparse.ArgumentTypeError("kinds are rtmp and/or whip, comma-separated")
    return list(dict.fromkeys(kinds))


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="streams started per kind [5]")
    parser.add_argument(
        "--kinds", type=parse_kinds, default=["rtmp", "whip"], help="rtmp,whip [both]"
    )
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds any one wait may take [60]"
    )
    parser.add_argument(
        "--hold", type=float, default=5.0, help="seconds of streaming sampled for CPU [5]"
    )
    parser.add_argument(
        "--poll", type=float, default=20.0, help="ms between database / page polls [20]"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.runs <= 100:
        parser.error("--runs must be 1..100")
    if not 5 <= args.timeout <= 600 or not 0 <= args.hold <= 120 or not 5 <= args.poll <= 1000:
        parser.error("--timeout must be 5..600 s, --hold 0..120 s and --poll 5..1000 ms")
    return args


@contextlib.contextmanager
def launched(playwright: Any, extra: list[str]) -> Iterator[tuple[Any, int | None]]:
    """A Chromium and the pid of its top process (for its CPU use)."""
    before = browser_roots()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + extra)
    try:
        new = browser_roots() - before
        yield browser, (new.pop() if len(new) == 1 else None)
    finally:
        with contextlib.suppress(Exception):
            browser.close()


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    started = time.perf_counter()
    print_header(args)
    from playwright.sync_api import sync_playwright

    log("starting the throwaway site (migrate, seed, livekit-server, runserver, Ingress)")
    mark = time.perf_counter()
    site = IngressSite()
    global _site_work, _cooperative
    _site_work = site.work
    with contextlib.ExitStack() as cleanup:
        cleanup.enter_context(site)
        cleanup.callback(site.keep_logs)
        site_start = time.perf_counter() - mark
        ingress_ms = site.stack.ingress_ready_seconds * 1000
        out(
            f"Ingress: started in {ingress_ms:.0f} ms (process start until its RTMP port "
            f"accepts); the whole site in {site_start:.1f} s"
        )
        out()
        worker = Worker()
        cleanup.callback(worker.close)
        assert site.stack is not None and site.stack.ingress is not None and site.server
        watched = Watched(
            {"ingress": site.stack.ingress.pid, "django": site.server.pid}
            | {
                ("redis" if index == 0 else "livekit-server"): process.pid
                for index, process in enumerate(site.stack.processes[:2])
            }
        )
        _cooperative = True  # from here on, signals are acted on between Playwright calls
        check_stop()
        playwright = cleanup.enter_context(sync_playwright())
        viewer_browser, viewer_pid = cleanup.enter_context(launched(playwright, []))
        if viewer_pid:
            watched.roots["viewer chromium"] = viewer_pid
        for kind in args.kinds:
            check_stop()
            encoder_cleanup = cleanup.enter_context(contextlib.ExitStack())
            if kind == "whip":
                encoder_browser, encoder_pid = encoder_cleanup.enter_context(
                    launched(playwright, FAKE_MEDIA_ARGS)
                )
                if encoder_pid:
                    watched.roots["encoder chromium"] = encoder_pid
            else:
                encoder_browser = None
            try:
                runs, stopped = measure_kind(
                    kind, site, encoder_browser, viewer_browser, worker, watched, args
                )
            except Exception as error:  # report what was measured, and why it stopped
                runs, stopped = [], f"{kind}: {first_line(error)}"
            encoder_cleanup.close()
            watched.roots.pop("encoder chromium", None)
            report_kind(kind, runs, stopped, args)
        log("stopping the browsers and the throwaway site")
    total = time.perf_counter() - started
    kept = ", ".join(str(p.relative_to(ROOT)) for p in OUT_DIR.glob("obs-*.log"))
    out(
        f"wall time: {total:.0f} s; load average at the end {load_average()}; "
        f"server logs kept in {kept or '-'}"
    )


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _on_signal)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not ignored
        signal.signal(signal.SIGINT, _on_signal)
    try:
        main(sys.argv[1:])
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
