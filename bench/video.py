"""The past broadcast page as a viewer gets it: the JavaScript it loads, gzipped, against its
own 150 kB budget (video.js, its hls.js player and chat replay, is a bundle of its own, apart
from the channel page's channel.js and its budget in bench/channel.py).

On a throwaway copy of the site (devservers.site: gunicorn with DEBUG off and WhiteNoise, as
production serves the page) with one past broadcast of the demo user alice: the page's
<script src> tags, each file fetched as served.

`.venv/bin/python bench/video.py`; see bench/README.md.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.common import log, out
from devservers.site import ThrowawaySite

JS_BUDGET = 150_000  # bytes of gzipped JavaScript for the past broadcast page (1 kB = 1000 B)


def a_past_broadcast() -> str:
    """The page of a past broadcast of alice's. Its scripts are all that is measured, so the
    row is enough: no recording is made."""
    from django.utils import timezone

    from streams.models import Stream
    from videos.models import Broadcast

    now = timezone.now()
    broadcast = Broadcast.objects.create(
        stream=Stream.objects.get(user__username="alice"),
        title="Bench run",
        started_at=now - timedelta(hours=1),
        ended_at=now,
        state=Broadcast.State.READY,
        duration=3600.0,
        playlist="broadcasts/bench/index.m3u8",
    )
    return f"/videos/{broadcast.pk}/"


def print_js(page: str, scripts: list[tuple[str, str, int, int]]) -> None:
    out("JavaScript the past broadcast page loads (<script src> tags, each file fetched; gzip -9)")
    rows = [[page, *script] for script in scripts]
    rows.append([page, "total", "", *(sum(s[i] for s in scripts) for i in (2, 3))])
    header = ["page", "script", "type", "raw B", "gzip B"]
    common.table(header, ([*row[:3], f"{row[3]:,}", f"{row[4]:,}"] for row in rows), left=3)
    size = sum(s[3] for s in scripts)
    out(
        f"   past broadcast page: {size:,} B gzipped = {size / JS_BUDGET:.1%} of its 150 kB "
        f"budget ({JS_BUDGET:,} B), {abs(size - JS_BUDGET):,} B "
        f"{'over' if size > JS_BUDGET else 'under'}\n"
    )


def main(argv: list[str]) -> None:
    args = common.parse_args(__doc__, argv, {})
    common.print_header(
        args, common.versions("django"), "devservers.site throwaway copy: gunicorn -w 2 (DEBUG off)"
    )
    log("starting the throwaway site (migrate, seed, livekit-server, gunicorn)")
    with ThrowawaySite(production=True) as site:
        page = a_past_broadcast()
        print_js(page, common.page_scripts(site, page))
        log("stopping the throwaway site")


if __name__ == "__main__":
    common.run_main(main)
