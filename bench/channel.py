"""The channel page as a viewer gets it: JavaScript weight and time to first frame.

On a throwaway copy of the site (devservers.site): the JavaScript each page loads, gzipped,
against the channel page's 160 kB budget, and how long fresh browser contexts opening /alice/
take to the player's first frame, with a synthetic camera live. Chat delivery is measured in
production shape by bench/chat.py.

`.venv/bin/python bench/channel.py [--quick]`; see bench/README.md. Options: --runs (page loads
timed to the first frame), --server (gunicorn: DEBUG off and WhiteNoise's compressed static
files, as production serves the page; or runserver, DEBUG on).
"""

from __future__ import annotations

import re
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.common import log, out, spread
from devservers.media import CHROMIUM, CHROMIUM_ARGS
from devservers.site import ThrowawaySite

CHANNEL = "/alice/"  # the channel measured (demo user alice)
JS_BUDGET = 160_000  # bytes of gzipped JavaScript for the channel page (1 kB = 1000 B)
FIRST_FRAME_TIMEOUT = 30_000  # ms per page load
WARMUP_MESSAGES = 2  # per path and subscriber count, not counted
IDLE_SAMPLE = 2.0  # seconds of CPU sampling with the subscribers connected and quiet
MAX_FAILURES_IN_A_ROW = 5  # a room that stopped delivering: give up that subscriber count
MARKER = re.compile(rb"bench-\d+-[0-9a-f]{8}")
PATHS = ("django", "direct")  # chat through the chat API, or straight on the data channel


# 1. JavaScript weight ----------------------------------------------------------------------
def print_js(
    found: dict[str, list[tuple[str, str, int, int]]], lazy: list[tuple[str, str, int, int]]
) -> None:
    out(
        "1. JavaScript each page loads (<script src> tags and what their modules import, each "
        f"file fetched; gzip -9), then what {CHANNEL} loads when used (import())"
    )
    rows = []
    for page, scripts in found.items():
        rows += [[page, *script] for script in scripts] or [[page, "(none)", "", 0, 0]]
        if len(scripts) > 1:
            rows.append([page, "total", "", *(sum(s[i] for s in scripts) for i in (2, 3))])
    header = ["page", "script", "type", "raw B", "gzip B"]
    common.table(header, ([*row[:3], f"{row[3]:,}", f"{row[4]:,}"] for row in rows), left=3)
    if lazy:
        rows = [[CHANNEL, *script] for script in lazy]
        rows.append([CHANNEL, "total when used", "", *(sum(s[i] for s in lazy) for i in (2, 3))])
        common.table(header, ([*row[:3], f"{row[3]:,}", f"{row[4]:,}"] for row in rows), left=3)
    size = sum(s[3] for s in found[CHANNEL])
    later = sum(s[3] for s in lazy)
    out(
        f"   channel page: {size:,} B gzipped = {size / JS_BUDGET:.1%} of the 160 kB budget "
        f"({JS_BUDGET:,} B), {abs(size - JS_BUDGET):,} B {'over' if size > JS_BUDGET else 'under'}"
        f"; {size / 163_840:.1%} if the budget means 160 KiB\n"
        f"   loaded when used: {later:,} B gzipped in {len(lazy)} files; all together "
        f"{size + later:,} B = {(size + later) / JS_BUDGET:.1%} of the budget\n"
    )


# 2. Time to first frame --------------------------------------------------------------------
# In ms from navigation start: resource timing and the probe's marks.
MILESTONES = """
() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const end = (part) => performance.getEntriesByType("resource")
    .find((entry) => entry.name.includes(part))?.responseEnd ?? null;
  const mark = window.__probe.current;
  const player = (name) => performance.getEntriesByName(`player:${name}`)[0]?.startTime ?? null;
  return {
    "HTML received": nav.responseEnd,
    "channel.js received": end("/static/js/channel."),
    "DOMContentLoaded": nav.domContentLoadedEventEnd,
    "viewer token received": end("/api/stream/token/"),
    "player has the token": player("token"),
    "room connected": player("connected"),
    "host video subscribed": player("video-subscribed"),
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


def main(argv: list[str]) -> None:
    args = common.parse_args(__doc__, argv, {"runs": 2}, runs=7, server="gunicorn")
    production = {"gunicorn": True, "runserver": False}[args.server]
    software = common.versions("django", "livekit", "livekit-api", "playwright")
    software += [*common.livekit_software(), f"SQLite {sqlite3.sqlite_version}"]
    server = "gunicorn -w 2 (DEBUG off, WhiteNoise)" if production else "runserver (DEBUG on)"
    site = f"devservers.site throwaway copy: Django {server}, SQLite, livekit-server"
    common.print_header(args, software, f"{site} and Redis, all on 127.0.0.1")
    log(f"starting the throwaway site (migrate, seed, livekit-server, {args.server})")
    with ThrowawaySite(production=production) as site:
        from accounts.models import User
        from streams.models import Stream

        alice = User.objects.get(username="alice")
        Stream.objects.filter(user=alice).update(is_live=True)
        alice_cookie = "{name}={value}".format(**site.session_cookie(alice))
        pages = {CHANNEL: "", "/": "", "/u/alice/keys/": alice_cookie}  # keys: alice only
        found = {page: common.page_scripts(site, page, cookie) for page, cookie in pages.items()}
        print_js(found, common.lazy_scripts(site, found[CHANNEL]))
        log("synthetic camera: 640x360 colour bars in alice's room")
        camera = site.host_camera(alice)
        try:
            print_first_frame(*measure_first_frame(site, args.runs), args.runs)
        finally:
            camera.close()
        log("stopping the throwaway site")


if __name__ == "__main__":
    common.run_main(main)
