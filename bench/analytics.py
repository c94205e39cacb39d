"""The dashboard's Analytics page of a channel with 1,000 broadcasts, against /robots.txt.

A channel with --broadcasts ended broadcasts (one a day going back, each with its stored
figures), --followers followers made over the same days, and, unless --live 0, a broadcast
live for the last hour with its viewer samples, visits and chat (its figures are computed
on every request). Requests per second of the Analytics page (its first page), of the CSV
of every broadcast, and of `/robots.txt`, a view with neither database nor template, served
by gunicorn (production settings) on PostgreSQL to the channel's owner, in interleaved
rounds (bench/pages.py's load clients): the ratio rps / robots_rps is what the page costs on
top of Django's per-request overhead. Also the SQL queries of each: they must not grow with
the broadcasts.

`.venv/bin/python bench/analytics.py [--quick]`; see bench/README.md. Options: --broadcasts,
--followers, --live (1: a live broadcast, 0: none), --seconds per round and URL, --warmup,
--rounds, --concurrency (load client processes), --workers (gunicorn's), --pg-url (a
PostgreSQL server, scripts/postgres.sh's when not given), --database (recreated).
"""

from __future__ import annotations

import random
import statistics
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common, pages
from bench.common import log, ms, out

CREATOR = "creator"
SEED = 20261203


def seed(broadcasts: int, followers: int, live: bool) -> dict[str, int]:
    """The channel, its broadcasts and their figures, its followers; and a live broadcast
    with an hour of samples (every 15 s), 200 visits and 600 chat messages."""
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from analytics.models import BroadcastStats, ViewerVisit
    from social.models import Follow
    from streams.models import ChatMessage, Stream, ViewerSample
    from videos.models import Broadcast

    rng, now = random.Random(SEED), timezone.now()
    with transaction.atomic():
        creator = User.objects.create_user(CREATOR, f"{CREATOR}@example.invalid")
        stream = Stream.objects.get(user=creator)
        fans = [User(username=f"fan{i}", email=f"fan{i}@example.invalid") for i in range(followers)]
        for fan in fans:
            fan.set_unusable_password()
        User.objects.bulk_create(fans)  # no post_save: fans need no stream
        Follow.objects.bulk_create(
            Follow(follower=fan, following=creator) for fan in User.objects.exclude(pk=creator.pk)
        )
        for day, follow in enumerate(Follow.objects.filter(following=creator)):
            Follow.objects.filter(pk=follow.pk).update(created_at=now - timedelta(days=day % 1000))
        rows = Broadcast.objects.bulk_create(
            Broadcast(
                stream=stream,
                title=f"Broadcast {n}",
                started_at=now - timedelta(days=n, hours=3),
                ended_at=now - timedelta(days=n, hours=1),
                state=Broadcast.State.NOT_RECORDED,
            )
            for n in range(1, broadcasts + 1)
        )
        BroadcastStats.objects.bulk_create(
            BroadcastStats(
                broadcast=row,
                duration=7200.0,
                peak_viewers=(peak := rng.randint(1, 500)),
                average_viewers=peak * rng.uniform(0.4, 0.9),
                unique_viewers=peak * rng.randint(1, 4),
                chat_messages=rng.randint(0, 5000),
                chatters=rng.randint(0, 300),
                new_followers=rng.randint(0, 50),
                raids_in=rng.randint(0, 2),
                raids_out=rng.randint(0, 1),
            )
            for row in rows
        )
        if live:
            start = now - timedelta(hours=1)
            Stream.objects.filter(pk=stream.pk).update(is_live=True, live_changed_at=start)
            Broadcast.objects.create(stream=stream, title="Live now", started_at=start)
            ViewerSample.objects.bulk_create(
                ViewerSample(stream=stream, at=start + timedelta(seconds=15 * n), viewers=n % 90)
                for n in range(240)
            )
            ViewerVisit.objects.bulk_create(
                ViewerVisit(
                    stream=stream,
                    identity=f"guest-{n:032x}#aaaaaa",
                    person=f"guest-{n:032x}",
                    joined_at=start + timedelta(seconds=n * 10),
                    left_at=start + timedelta(seconds=n * 15),
                )
                for n in range(200)
            )
            ChatMessage.objects.bulk_create(
                ChatMessage(
                    stream=stream,
                    guest_identity=f"guest-{n % 40:032x}",
                    author_name="guest",
                    text="hello",
                )
                for n in range(600)
            )
    return {"broadcasts": broadcasts, "followers": followers, "live": int(live)}


def count_queries(paths: list[str]) -> tuple[dict[str, int], str]:
    """SQL queries of each URL for the channel's owner, counted on the second request; and
    the owner's session cookie."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username=CREATOR))
    counted = {}
    for path in paths:
        client.get(path)
        with CaptureQueriesContext(connection) as captured:
            if (status := client.get(path).status_code) != 200:
                log(f"warning: the test client got {status} for {path}")
        counted[path] = len(captured)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return counted, f"{settings.SESSION_COOKIE_NAME}={session}"


def report(args, targets: list[pages.Target], counted: dict[str, int], sizes: dict) -> None:
    live = "and one live for the last hour" if sizes["live"] else "none live"
    out(
        f"data: channel {CREATOR} with {sizes['broadcasts']} ended broadcasts (figures "
        f"stored), {live}; {sizes['followers']} followers\n"
    )
    trivial, rows = statistics.median(targets[0].rps), []
    for t in targets:
        rps = statistics.median(t.rps)
        p50, p90 = (common.percentile(t.latencies, q) for q in (0.5, 0.9))
        figures = [f"{rps:.1f}", f"{rps / trivial:.3f}", ms(p50), ms(p90), counted[t.path]]
        rows.append([t.path, *figures, t.size, len(t.latencies), sum(t.errors.values())])
    header = ["URL", "rps", "ratio", "p50 ms", "p90 ms", "queries", "bytes", "requests"]
    common.table([*header, "errors"], rows)
    rounds = "; ".join(f"{t.path} {' / '.join(f'{r:.0f}' for r in t.rps)}" for t in targets)
    out(f"\nrps per round: {rounds}")
    for t in (t for t in targets if t.errors):
        out(f"errors for {t.path}: {', '.join(f'{k} x{n}' for k, n in t.errors.most_common())}")


def main(argv: list[str]) -> None:
    quick = {"seconds": 2.0, "rounds": 1, "warmup": 0.5}
    args = common.parse_args(
        __doc__,
        argv,
        quick,
        broadcasts=1000,
        followers=2000,
        live=1,
        seconds=5.0,
        warmup=1.0,
        rounds=3,
        concurrency=4,
        workers=2,
        database="streamsite_bench_analytics",
        pg_url="",
    )
    log(f"PostgreSQL: recreate {args.database}, migrate, collectstatic")
    pg_version = common.production_site(args.database, args.pg_url)
    software = [*common.versions("django", "gunicorn", "psycopg"), f"PostgreSQL {pg_version}"]
    site = "gunicorn (sync workers, production settings) on PostgreSQL, on 127.0.0.1; load from "
    common.print_header(args, software, site + "client processes, a new connection per request")
    log(f"seed {args.broadcasts} broadcasts, {args.followers} followers")
    sizes = seed(args.broadcasts, args.followers, bool(args.live))
    page, csv = f"/u/{CREATOR}/analytics/", f"/u/{CREATOR}/analytics.csv"
    counted, cookie = count_queries([pages.TRIVIAL, page, csv])
    targets = [pages.Target(pages.TRIVIAL, "User-agent", "logged in")]
    targets += [pages.Target(page, "Broadcast 1<", "logged in")]
    targets += [pages.Target(csv, f"Broadcast {args.broadcasts},", "logged in")]
    from django.db import connections

    connections.close_all()  # the load clients are forked from this process
    log(f"gunicorn -w {args.workers}")
    with common.gunicorn(args.workers, log_name="analytics-gunicorn.log") as (port, _):
        for target in targets:
            pages.check_page(port, target, cookie)
        pages.measure(port, targets, cookie, args)
    report(args, targets, counted, sizes)


if __name__ == "__main__":
    common.run_main(main)
