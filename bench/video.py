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
from bench.common import log
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


def main(argv: list[str]) -> None:
    args = common.parse_args(__doc__, argv, {})
    common.print_header(
        args, common.versions("django"), "devservers.site throwaway copy: gunicorn -w 2 (DEBUG off)"
    )
    log("starting the throwaway site (migrate, seed, livekit-server, gunicorn)")
    with ThrowawaySite(production=True) as site:
        page = a_past_broadcast()
        scripts = common.page_scripts(site, page)
        common.print_page_js("past broadcast page", page, scripts, JS_BUDGET)
        log("stopping the throwaway site")


if __name__ == "__main__":
    common.run_main(main)
