"""A broadcast's analytics page as its creator gets it: the JavaScript it loads, gzipped,
against its own 40 kB budget (analytics.js, uPlot and the page's chart, is a bundle of its
own, apart from channel.js and video.js and their budgets in bench/channel.py and
bench/video.py).

On a throwaway copy of the site (devservers.site: gunicorn with DEBUG off and WhiteNoise, as
production serves the page) with one broadcast of the demo user alice, an hour of viewer
samples and chat: the page's <script src> tags, each file fetched as served, signed in as
alice (the page is hers only).

`.venv/bin/python bench/broadcast_chart.py`; see bench/README.md.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.common import log
from devservers.site import ThrowawaySite

JS_BUDGET = 40_000  # bytes of gzipped JavaScript for a broadcast's analytics page (1 kB = 1000 B)


def a_broadcast_with_an_hour_of_figures() -> str:
    """The analytics page of an hour-long broadcast of alice's with a viewer sample every
    15 s and a chat message a minute: what the chart draws does not change what it loads."""
    from django.utils import timezone

    from streams.models import ChatMessage, Stream, ViewerSample
    from videos.models import Broadcast

    now = timezone.now()
    stream = Stream.objects.select_related("user").get(user__username="alice")
    broadcast = Broadcast.objects.create(
        stream=stream,
        title="Bench run",
        started_at=now - timedelta(hours=1),
        ended_at=now,
        state=Broadcast.State.NOT_RECORDED,
    )
    ViewerSample.objects.bulk_create(
        ViewerSample(stream=stream, at=broadcast.started_at + timedelta(seconds=15 * i), viewers=i)
        for i in range(240)
    )
    for minute in range(60):
        message = ChatMessage.objects.create(
            stream=stream, user=stream.user, author_name="alice", text="hi"
        )
        moment = broadcast.started_at + timedelta(minutes=minute, seconds=5)
        ChatMessage.objects.filter(pk=message.pk).update(created_at=moment)
    return f"/u/alice/analytics/{broadcast.pk}/"


def main(argv: list[str]) -> None:
    args = common.parse_args(__doc__, argv, {})
    common.print_header(
        args, common.versions("django"), "devservers.site throwaway copy: gunicorn -w 2 (DEBUG off)"
    )
    log("starting the throwaway site (migrate, seed, livekit-server, gunicorn)")
    with ThrowawaySite(production=True) as site:
        from accounts.models import User

        page = a_broadcast_with_an_hour_of_figures()
        cookie = "{name}={value}".format(**site.session_cookie(User.objects.get(username="alice")))
        scripts = common.page_scripts(site, page, cookie)
        common.print_page_js("broadcast analytics page", page, scripts, JS_BUDGET)
        log("stopping the throwaway site")


if __name__ == "__main__":
    common.run_main(main)
