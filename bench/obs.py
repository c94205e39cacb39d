"""The OBS path, timed: from an encoder's start to is_live and to a viewer's first frame.

For RTMP (ffmpeg, transcoded) and WHIP (Chromium, passed through), through the real LiveKit
Ingress on a throwaway copy of the site; then how busy each process is while streaming, and how
long everything takes to be back offline once the encoder stops.

`.venv/bin/python bench/obs.py [--quick]`; see bench/README.md. Options: --runs (streams
started per kind), --kinds (rtmp and/or whip), --timeout (seconds any one wait may take),
--hold (seconds of streaming sampled for CPU).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import time
from collections import namedtuple
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.common import log, out, spread
from devservers import media
from devservers.servers import INGRESS_VERSION
from devservers.site import API_KEY, API_SECRET, ThrowawaySite

POLL = 0.02  # seconds between two looks at the database and the viewer's page

# alice's stream and ingress, and where the encoder sends: <server URL>/<stream key>
Keys = namedtuple("Keys", "stream_pk ingress_id endpoint")


def generate_keys(kind: str) -> Keys:
    """New keys of `kind` for alice, with the project's own service."""
    from streams.models import Stream
    from streams.services import connection_generate

    stream = connection_generate(stream=Stream.objects.get(user__username="alice"), kind=kind)
    return Keys(stream.pk, stream.ingress_id or "", f"{stream.server_url}/{stream.stream_key}")


def is_live(keys: Keys) -> bool:
    from streams.models import Stream

    return Stream.objects.filter(pk=keys.stream_pk, is_live=True).exists()


def webhook_at(event: str, keys: Keys, since: float) -> float | None:
    """time.time() at which Django applied the first `event` of the ingress after `since`."""
    from streams.models import WebhookEvent

    found = WebhookEvent.objects.filter(event=event, ingress_id=keys.ingress_id)
    found = found.filter(received_at__gte=datetime.fromtimestamp(since, tz=UTC))
    first = found.order_by("received_at").values_list("received_at", flat=True).first()
    return first.timestamp() if first else None


def ingress_started(url: str, keys: Keys) -> float | None:
    """When Ingress says it accepted the stream (its state.started_at), as time.time()."""
    from livekit import api

    async def fetch() -> float | None:
        async with api.LiveKitAPI(url, API_KEY, API_SECRET) as lk:
            found = await lk.ingress.list_ingress(
                api.ListIngressRequest(ingress_id=keys.ingress_id)
            )
        return found.items[0].state.started_at / 1e9 or None

    return asyncio.run(fetch())


def wait_for(conditions: dict[str, Callable[[], bool]], began: float, timeout: float) -> dict:
    """Poll until each condition has held once, or the timeout: seconds from `began`
    (time.time()) until each was first seen. A condition may raise to give up."""
    seen: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    while len(seen) < len(conditions) and time.monotonic() < deadline:
        for name, condition in conditions.items():
            if name not in seen and condition():
                seen[name] = time.time() - began
        time.sleep(POLL)
    return seen


@dataclass
class Bench:  # what every run uses
    site: ThrowawaySite
    meter: common.CpuMeter  # the servers, the viewer's browser and, while it runs, the encoder
    pool: ThreadPoolExecutor  # for calls with their own event loop: Playwright's runs here
    viewer: Any  # Chromium
    encoder: Any  # Chromium with a fake camera and microphone, for WHIP
    encoder_pid: int | None  # its first process, for the meter
    args: argparse.Namespace


@dataclass
class Run:
    times: dict[str, float | None] = field(default_factory=dict)  # seconds after the start
    stop: dict[str, float | None] = field(default_factory=dict)  # seconds after the stop
    error: str = ""
    cpu: common.Usage = field(default_factory=dict)  # cores busy while streaming


def since(at: float | None, began: float) -> float | None:
    return None if at is None else at - began


def start_run(bench: Bench, encoder: Any, viewer: common.Viewer, keys: Keys, run: Run) -> None:
    """Start the encoder and time it to live and to the first frame; then sample the CPU."""
    started = encoder.start()
    if isinstance(encoder, media.RtmpEncoder):
        bench.meter.roots["encoder"] = encoder.process.pid
    else:
        bench.meter.roots["encoder"] = bench.encoder_pid
        run.times["answer"] = encoder.answered - started

    def frame_seen() -> bool:
        state = viewer.state()
        if failure := encoder.failure() or (state["error"] and f"viewer: {state['error']}"):
            raise RuntimeError(failure)
        return state["seen"]

    checks = {"live": lambda: is_live(keys), "frame_seen": frame_seen}
    if len(seen := wait_for(checks, started, bench.args.timeout)) < 2:
        raise TimeoutError(f"after {bench.args.timeout:g} s, only {list(seen) or 'nothing'}")
    state = viewer.state()
    marks = ("size", "received", "presented")
    run.times |= seen | {mark: since(viewer.wall(state, mark), started) for mark in marks}
    run.cpu = bench.meter.busy(bench.args.hold)
    run.times["webhook"] = since(webhook_at("ingress_started", keys, started - 1), started)
    with contextlib.suppress(Exception):
        at = bench.pool.submit(ingress_started, bench.site.livekit.url, keys).result()
        run.times["accepted"] = since(at, started)


def stop_run(bench: Bench, encoder: Any, viewer: common.Viewer, keys: Keys, run: Run) -> bool:
    """Stop the encoder and time everything back offline; False if it did not get there."""
    stopped, ingress = time.time(), bench.site.stack.ingress.pid
    encoder.stop()
    bench.meter.roots.pop("encoder", None)
    offline = {
        "offline_db": lambda: not is_live(keys),
        "offline_page": lambda: viewer.state()["offline"],
        "handler_gone": lambda: len(common.descendants(ingress, common.process_table())) <= 1,
    }
    run.stop = wait_for(offline, stopped, bench.args.timeout)
    back = len(run.stop) == 3
    run.stop["ended_webhook"] = since(webhook_at("ingress_ended", keys, stopped), stopped)
    return back


def new_encoder(bench: Bench, kind: str, endpoint: str, number: int) -> Any:
    if kind == "rtmp":
        return media.RtmpEncoder(endpoint, bench.site.work / f"ffmpeg-{number}.log")
    page = bench.encoder.new_context(base_url=bench.site.url).new_page()
    page.goto("/robots.txt")  # any page of the site: a secure (loopback) context
    return media.WhipEncoder(page, endpoint)


def measure_run(bench: Bench, kind: str, viewer: common.Viewer, keys: Keys, number: int) -> tuple:
    """One stream started, timed and stopped: the run, and whether it got back offline."""
    run, encoder = Run(), new_encoder(bench, kind, keys.endpoint, number)
    viewer.arm()
    try:
        start_run(bench, encoder, viewer, keys, run)
    except Exception as error:
        run.error = f"{type(error).__name__}: {str(error).strip()[:300]}"
    except BaseException:  # Ctrl-C: stop at once, no waiting for offline
        encoder.stop()
        raise
    live, frame = (common.ms(run.times.get(key), 0) for key in ("live", "presented"))
    log(f"{kind}: run {number}: {run.error or f'is_live {live} ms, first frame {frame} ms'}")
    back = stop_run(bench, encoder, viewer, keys, run)
    if kind == "whip":
        encoder.page.context.close()
    return run, back


def measure_kind(bench: Bench, kind: str) -> tuple[list[Run], str]:
    """`--runs` runs of one kind, the viewer showing offline before the first; and why they
    stopped early, if they did (a run that did not get back offline, or an error)."""
    log(f"{kind}: generating keys")
    keys = bench.pool.submit(generate_keys, kind).result()
    viewer, runs, args = common.Viewer(bench.viewer, bench.site.url), [], bench.args
    viewer.page.goto("/alice/")
    try:
        ready = lambda: (state := viewer.state())["offline"] and state["connected"]  # noqa: E731
        if not wait_for({"ready": ready}, time.time(), args.timeout):
            return runs, f"the viewer page did not show offline in {args.timeout:g} s"
        for number in range(1, args.runs + 1):
            log(f"{kind}: run {number}/{args.runs}")
            run, back = measure_run(bench, kind, viewer, keys, number)
            runs.append(run)
            if not back:
                return runs, f"run {number} did not get back offline in {args.timeout:g} s"
        return runs, ""
    except Exception as error:  # keep what was measured, say why it stopped
        return runs, f"run {len(runs) + 1}: {type(error).__name__}: {error}"
    finally:
        viewer.close()


TITLES = {
    "rtmp": "1. RTMP: ffmpeg (testsrc2 640x360 25 fps + 440 Hz tone, x264 ultrafast zerolatency, "
    "-g 50) -> Ingress, transcoded (H264_540P_25FPS_2_LAYERS)",
    "whip": "2. WHIP: Chromium fake camera + microphone (640x360), offer POSTed from Python -> "
    "Ingress, passed through (no transcoding)",
}
START_ROWS = {
    "answer": "201 answer read (POST round trip)",  # WHIP only
    "accepted": "Ingress accepted the stream (its state.started_at)",
    "webhook": "ingress_started webhook applied (received_at)",
    "live": "is_live true seen in the database",
    "size": "viewer: video size known (resize event)",
    "received": "viewer: first frame received (rVFC receiveTime)",
    "presented": "viewer: FIRST FRAME PRESENTED (rVFC presentationTime)",
    "frame_seen": "viewer: first frame seen from Python",
}
STOP_ROWS = {
    "ended_webhook": "ingress_ended webhook applied (received_at)",
    "offline_db": "is_live false seen in the database",
    "offline_page": "viewer shows offline (seen from Python)",
    "handler_gone": "Ingress's handler process gone",  # RTMP only
}


def print_kind(kind: str, runs: list[Run], stopped: str, args: argparse.Namespace) -> None:
    ok, whip = [r for r in runs if not r.error], kind == "whip"
    out(
        f"{TITLES[kind]}\n   {len(ok)} of {len(runs)} runs ok ({args.runs} asked); viewer: a "
        f"guest on /alice/, showing offline before each start; polls every {POLL * 1000:g} ms"
    )
    start = "ms from the offer POST" if whip else "ms from ffmpeg Popen"
    rows = [spread(label, (r.times.get(key) for r in ok)) for key, label in START_ROWS.items()]
    common.table([start, *common.SPREAD], rows if whip else rows[1:])  # no answer to an RTMP push
    stop = "WHIP DELETE" if whip else "SIGTERM to ffmpeg"
    rows = [spread(label, (r.stop.get(key) for r in runs)) for key, label in STOP_ROWS.items()]
    rows = rows[:-1] if whip else rows  # WHIP is handled in the Ingress process itself
    common.table([f"ms from stopping the encoder ({stop})", *common.SPREAD], rows)
    if ok:
        out(
            f"   cores busy over {args.hold:g} s of streaming after the first frame (median of "
            f"runs): {common.cores(median_usage([r.cpu for r in ok]))}"
        )
    for number, r in enumerate(runs, 1):
        if r.error:
            out(f"   FAILED run {number}: {r.error}")
    out(f"   STOPPED early: {stopped}\n" if stopped else "")


def median_usage(runs: list[common.Usage]) -> common.Usage:
    usage = {}
    for name in dict.fromkeys(name for cpu in runs for name in cpu):
        samples = [cpu[name] for cpu in runs if name in cpu]
        usage[name] = (statistics.median(s[0] for s in samples), max(s[1] for s in samples))
    return usage


def launch(playwright: Any, extra: list[str]) -> tuple[Any, int | None]:
    """A Chromium, and the id of its first process (the new Chromium whose parent is not one)."""

    def browsers() -> set[int]:
        table = common.process_table()
        chromium = {p.pid for p in common.descendants(os.getpid(), table) if "chrom" in p.name}
        return {pid for pid in chromium if table[pid].ppid not in chromium}

    before = browsers()
    browser = playwright.chromium.launch(
        executable_path=media.CHROMIUM, args=media.CHROMIUM_ARGS + extra
    )
    return browser, next(iter(browsers() - before), None)


def main(argv: list[str]) -> None:
    options = {"runs": 5, "kinds": "rtmp,whip", "timeout": 60.0, "hold": 5.0}
    args = common.parse_args(__doc__, argv, {"runs": 1, "hold": 2.0}, **options)
    if not set(args.kinds.split(",")) <= {"rtmp", "whip"}:
        sys.exit("--kinds: rtmp and/or whip, comma-separated")
    gstreamer = common.first_line(["dpkg-query", "-W", "-f=${Version}", "libgstreamer1.0-0"])
    ffmpeg = " ".join(common.first_line(["ffmpeg", "-version"]).split()[:3])
    software = common.versions("django", "livekit-api", "playwright") + common.livekit_software()
    software += [f"LiveKit Ingress {INGRESS_VERSION} (GStreamer {gstreamer})", ffmpeg]
    site = "devservers.site throwaway copy: Django runserver (DEBUG on), SQLite, livekit-server,"
    common.print_header(args, software, f"{site} Redis and LiveKit Ingress, all on 127.0.0.1")
    started = time.perf_counter()
    log("starting the throwaway site (migrate, seed, livekit-server, runserver, Ingress)")
    with ThrowawaySite(with_ingress=True) as site, ThreadPoolExecutor(1) as pool:
        out(
            f"Ingress: started in {site.stack.ingress_ready_seconds * 1000:.0f} ms (until its "
            f"RTMP port accepts); the whole site in {time.perf_counter() - started:.1f} s\n"
        )
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            viewer, viewer_pid = launch(playwright, [])
            meter = common.CpuMeter(common.site_processes(site) | {"viewer chromium": viewer_pid})
            encoder, encoder_pid = launch(playwright, media.FAKE_MEDIA_ARGS)
            bench = Bench(site, meter, pool, viewer, encoder, encoder_pid, args)
            for kind in args.kinds.split(","):
                print_kind(kind, *measure_kind(bench, kind), args)
            log("stopping the browsers and the throwaway site")


if __name__ == "__main__":
    common.run_main(main)
