"""Throughput of the home page, a channel page and its viewer APIs, relative to a trivial view.

Requests per second for `/`, `/bench0/`, its viewer token and stream info, anonymous and
logged in, served by gunicorn (production settings) on PostgreSQL with a few hundred users,
streams and follows, in interleaved rounds with `/robots.txt`, a view with neither database
nor template: the ratio rps / robots_rps is what a URL costs on top of Django's per-request
overhead, and compares between machines. Also the SQL queries of each: they must not grow.

The cache is a Redis of the bench's own, which gunicorn's workers share, as production runs
several processes (sessions, signed-in users and their ties are read from it: settings'
CACHE_IS_SHARED); `--cache local` gives each worker its own local-memory cache instead.

`.venv/bin/python bench/pages.py [--quick]`; see bench/README.md. Options: --seconds per round
and URL, --warmup seconds per URL before the rounds, --rounds, --concurrency (load client
processes), --workers (gunicorn's), --cache (redis or local), --pg-url (a PostgreSQL server,
scripts/postgres.sh's when not given; its streamsite_bench database is recreated).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import multiprocessing
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.common import log, ms, out, percentile
from devservers.servers import free_port, wait_until

BENCH_DB = "streamsite_bench"
TRIVIAL = "/robots.txt"
CHANNEL_USER = "bench0"  # the channel page measured; live, with followers and a bio
VIEWER_USER = "bench1"  # the logged-in viewer: follows VIEWER_FOLLOWS channels
VIEWER_FOLLOWS = 20
USERS, FOLLOWS, BLOCKS = 300, 1500, 10  # each user has a stream, about 10% of them live
SEED = 20240601


@dataclass
class Target:
    path: str
    expect: str  # a sanity check: the response body contains this
    who: str = "anonymous"  # or "logged in": as VIEWER_USER, with a session cookie
    size: int = 0  # bytes of the page
    rps: list[float] = field(default_factory=list)  # one figure per round
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    client_cpu: float = 0.0  # seconds the load clients used


@contextmanager
def redis_cache(kind: str) -> Iterator[str]:
    """With `kind` "redis", a redis-server of the bench's own on a free port, its URL for
    CACHE_URL; stopped at the end. Otherwise local memory."""
    if kind != "redis":
        yield "locmemcache://"
        return
    from devservers.servers import install_redis

    port = free_port()
    command = [install_redis(), "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    server = subprocess.Popen([*command, "--appendonly", "no"], stdout=subprocess.DEVNULL)
    try:
        wait_until(lambda: _port_open(port), 10, "redis-server", server)
        yield f"redis://127.0.0.1:{port}/1"
    finally:
        server.terminate()
        server.wait(timeout=10)


def _port_open(port: int) -> bool:
    import socket

    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
        return True
    return False


def prepare_database(pg_url: str | None, cache_url: str) -> str:
    """Recreate the bench database, point Django at it with production settings (DEBUG off,
    plain HTTP on 127.0.0.1) and migrate it; returns the PostgreSQL version."""
    import psycopg
    from psycopg import sql

    if not pg_url:
        start = [common.ROOT / "scripts" / "postgres.sh", "start"]
        pg_url = subprocess.check_output(start, text=True).strip().splitlines()[-1]
    server = urlsplit(pg_url)
    with psycopg.connect(urlunsplit(server._replace(path="/postgres")), autocommit=True) as db:
        (pg_version,) = db.execute("SHOW server_version").fetchone() or ("?",)
        name = sql.Identifier(BENCH_DB)
        db.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        db.execute(sql.SQL("CREATE DATABASE {}").format(name))
    # Real environment variables win over the checkout's .env file: every setting is here.
    os.environ.pop("GUNICORN_CMD_ARGS", None)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="streamsite.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(48),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=urlunsplit(server._replace(path=f"/{BENCH_DB}")),
        DJANGO_CONN_MAX_AGE="60",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SERVE_MEDIA="false",
        DJANGO_LOG_LEVEL="WARNING",
        LIVEKIT_API_KEY="benchkey",
        LIVEKIT_API_SECRET=secrets.token_urlsafe(36),
        CACHE_URL=cache_url,
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    return str(pg_version)


def random_pairs(rng: random.Random, pairs: set, want: int, left: list, right: list) -> set:
    """`pairs` and more, up to `want` in all, each (a, b) drawn from left and right, a != b."""
    for _ in range(want * 20):
        if len(pairs) < want and (a := rng.choice(left)) != (b := rng.choice(right)):
            pairs.add((a, b))
    return pairs


def seed() -> dict[str, int]:  # how many of each there are
    """The same data set on every run: USERS (a third with a bio) with a stream each, random
    follows, and blocks, a few of them involving the viewer, who follows exactly VIEWER_FOLLOWS
    channels including the one measured (which blocks nobody)."""
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from social.models import Block, Follow
    from streams.models import Stream

    rng, now = random.Random(SEED), timezone.now()
    names = [f"bench{i}" for i in range(USERS)]
    people = {name: User(username=name, email=f"{name}@example.invalid") for name in names}
    for i, person in enumerate(people.values()):
        person.bio = f"Hello, I am {person.username}. I stream things." if i % 3 == 0 else ""
        person.date_joined = now - timedelta(minutes=USERS - i)
        person.set_unusable_password()  # hashing 300 passwords would dominate the set-up
    live = {CHANNEL_USER, *rng.sample(names, USERS // 10)}
    others = [name for name in names if name not in (VIEWER_USER, CHANNEL_USER)]
    follow = {
        (VIEWER_USER, name) for name in [CHANNEL_USER, *rng.sample(others, VIEWER_FOLLOWS - 1)]
    }
    random_pairs(rng, follow, FOLLOWS, [n for n in names if n != VIEWER_USER], names)
    block = {(blocker, VIEWER_USER) for blocker in rng.sample(others, 2)}
    block.add((VIEWER_USER, rng.choice(others)))
    random_pairs(rng, block, BLOCKS, others, names)
    with transaction.atomic():
        User.objects.bulk_create(people.values())  # no post_save: the streams come next
        Stream.objects.bulk_create(
            Stream(user=person, title=f"{name}'s stream", is_live=name in live)
            for name, person in people.items()
        )
        Stream.objects.filter(is_live=True).update(live_changed_at=now)
        Follow.objects.bulk_create(
            Follow(follower=people[a], following=people[b]) for a, b in sorted(follow)
        )
        Block.objects.bulk_create(
            Block(blocker=people[a], blocked=people[b]) for a, b in sorted(block)
        )
    followers = sum(following == CHANNEL_USER for _, following in follow)
    return {"live": len(live), "follows": len(follow), "blocks": len(block), "followers": followers}


def count_queries(
    paths: list[str], viewer: str = VIEWER_USER
) -> tuple[dict[str, dict[str, int]], str]:
    """SQL queries per URL with Django's test client, anonymous then as `viewer`, each
    counted on the second request (one-off work does not count); and the viewer's cookie."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    client = Client(HTTP_HOST="127.0.0.1")
    counted: dict[str, dict[str, int]] = {"anonymous": {}, "logged in": {}}
    for who, queries in counted.items():
        if who == "logged in":
            client.force_login(User.objects.get(username=viewer))
        for path in paths:
            client.get(path)
            if who == "anonymous":
                client.cookies.clear()  # as the load clients: no cookie, a new guest each time
            with CaptureQueriesContext(connection) as captured:
                if (status := client.get(path).status_code) != 200:
                    log(f"warning: the test client ({who}) got {status} for {path}")
            queries[path] = len(captured)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return counted, f"{settings.SESSION_COOKIE_NAME}={session}"


def answers(port: int) -> bool:
    try:
        return common.request(port, TRIVIAL)[0] == 200
    except OSError:
        return False


@contextmanager
def gunicorn(workers: int) -> Iterator[int]:
    """gunicorn on a free port of 127.0.0.1, its log in bench/out/gunicorn.log; stopped (its
    workers gracefully) whatever happens."""
    port, gunicorn = free_port(), Path(sys.executable).with_name("gunicorn")
    # No control socket: ~/.gunicorn/gunicorn.ctl would be shared with other servers.
    command = [gunicorn, "streamsite.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{port}"]
    common.OUT_DIR.mkdir(parents=True, exist_ok=True)
    with (common.OUT_DIR / "gunicorn.log").open("wb") as log_file:
        server = subprocess.Popen(
            [*command, "--no-control-socket"], cwd=common.ROOT, stdout=log_file, stderr=log_file
        )
        try:
            wait_until(lambda: answers(port), 30, "gunicorn", server)
            yield port
        finally:
            server.terminate()
            server.wait(timeout=30)


def check_page(port: int, target: Target, cookie: str) -> None:
    """The URL answers 200 with what it should contain; notes its size."""
    status, body = common.request(port, target.path, **headers(target, cookie))
    if status != 200:
        raise RuntimeError(f"GET {target.path} answered {status}: {body[:300]!r}")
    if target.expect.encode() not in body:
        log(f"warning: {target.path} does not contain {target.expect!r}")
    target.size = len(body)


def client_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the bench handles Ctrl-C and stops us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the bench's handler, inherited


def headers(target: Target, cookie: str) -> dict[str, str]:
    return {"Cookie": cookie} if target.who == "logged in" else {}


def load_client(port: int, path: str, headers: dict, start_at: float, seconds: float) -> tuple:
    """Requests back to back, a new connection each, from start_at for `seconds`: requests
    per second, latencies, errors by kind."""
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    time.sleep(max(0.0, start_at - time.monotonic()))
    while (began := time.monotonic()) < start_at + seconds:
        try:
            if (status := common.request(port, path, **headers)[0]) != 200:
                errors[f"HTTP {status}"] += 1
        except (OSError, http.client.HTTPException) as exc:
            errors[type(exc).__name__] += 1
            time.sleep(0.01)  # do not spin on a refused connection
        latencies.append(time.monotonic() - began)
    return len(latencies) / (time.monotonic() - start_at), latencies, errors


def load(port: int, target: Target, cookie: str, seconds: float, concurrency: int) -> None:
    """A round: `concurrency` client processes on one URL for `seconds`, started together."""
    before, start_at = os.times(), time.monotonic() + 0.5
    fork = multiprocessing.get_context("fork")
    with fork.Pool(concurrency, initializer=client_signals) as pool:
        job = (port, target.path, headers(target, cookie), start_at, seconds)
        results = pool.starmap(load_client, [job] * concurrency, chunksize=1)
    after = os.times()  # the pool's processes are reaped: their CPU time counts
    target.client_cpu += sum(after[2:4]) - sum(before[2:4])
    target.rps.append(sum(rps for rps, _, _ in results))
    for _, latencies, errors in results:
        target.latencies.extend(latencies)
        target.errors.update(errors)


def measure(port: int, targets: list[Target], cookie: str, args: argparse.Namespace) -> None:
    """Warm-up, then rounds of every URL, the order rotating so none always goes first."""
    log(f"warm-up {args.warmup:g} s per URL")
    for target in targets:
        load(port, Target(target.path, "", target.who), cookie, args.warmup, args.concurrency)
    total = args.rounds * len(targets) * args.seconds
    log(f"{args.rounds} rounds x {len(targets)} URLs x {args.seconds:g} s (~{total:.0f} s)")
    for round_no in range(args.rounds):
        shift = round_no % len(targets)
        for target in targets[shift:] + targets[:shift]:
            load(port, target, cookie, args.seconds, args.concurrency)


def label(target: Target) -> str:
    path = re.sub("[0-9a-f-]{36}", "<id>", target.path)  # the channel's id: long, and random
    return re.sub("(<id>,)+<id>", lambda ids: f"<{ids[0].count(',') + 1} ids>", path)


def report(args: argparse.Namespace, targets: list[Target], counted: dict, sizes: dict) -> None:
    out(
        f"data: {USERS} users with a stream each ({sizes['live']} live), {sizes['follows']} "
        f"follows, {sizes['blocks']} blocks; channel {CHANNEL_USER} has {sizes['followers']} "
        f"followers; logged-in viewer {VIEWER_USER} follows {VIEWER_FOLLOWS}\n"
    )
    trivial, rows = statistics.median(targets[0].rps), []
    for t in targets:
        rps, (p50, p90) = statistics.median(t.rps), (percentile(t.latencies, q) for q in (0.5, 0.9))
        figures = [f"{rps:.1f}", f"{rps / trivial:.3f}", ms(p50), ms(p90), counted[t.who][t.path]]
        rows.append([label(t), t.who, *figures, t.size, len(t.latencies), sum(t.errors.values())])
    header = ["URL", "viewer", "rps", "ratio", "p50 ms", "p90 ms", "queries", "bytes"]
    common.table([*header, "requests", "errors"], rows, left=2)
    rounds = "; ".join(f"{label(t)} {' / '.join(f'{r:.0f}' for r in t.rps)}" for t in targets)
    cpu, wall = sum(t.client_cpu for t in targets), args.rounds * args.seconds * len(targets)
    out(f"\nrps per round: {rounds}")
    out(f"load clients used {cpu / wall:.2f} cores on average (they share the machine)")
    for t in (t for t in targets if t.errors):
        out(f"errors for {t.path}: {', '.join(f'{k} x{n}' for k, n in t.errors.most_common())}")


def main(argv: list[str]) -> None:
    quick = {"seconds": 2.0, "rounds": 1, "warmup": 0.5}
    args = common.parse_args(
        __doc__,
        argv,
        quick,
        seconds=5.0,
        warmup=1.0,
        rounds=3,
        concurrency=4,
        workers=2,
        cache="redis",
        pg_url="",
    )
    with redis_cache(args.cache) as cache_url:
        measure_pages(args, cache_url)


def measure_pages(args: argparse.Namespace, cache_url: str) -> None:
    log("PostgreSQL: recreate, migrate, collectstatic")
    pg_version = prepare_database(args.pg_url, cache_url)
    software = [*common.versions("django", "gunicorn", "psycopg"), f"PostgreSQL {pg_version}"]
    site = f"gunicorn (sync workers, production settings) on PostgreSQL, cache {cache_url}, "
    site += "on 127.0.0.1; load from "
    common.print_header(args, software, site + "client processes, a new connection per request")
    log(f"seed ({USERS} users, {FOLLOWS} follows) and count the queries")
    sizes = seed()
    from django.db import connections

    from accounts.models import User

    host_id = User.objects.get(username=CHANNEL_USER).pk  # the APIs name the channel by id
    # What a page with a full sidebar (50 followed, 10 recommended) polls for its LIVE markers.
    first = User.objects.order_by("pk").values_list("pk", flat=True)[:60]
    shown = ",".join(str(pk) for pk in first)
    expected = {
        "/": "&#x27;s stream",
        f"/{CHANNEL_USER}/": f"{CHANNEL_USER}&#x27;s stream",  # as the template escapes it
        f"/api/stream/token/{host_id}": '"token"',
        f"/api/stream/{host_id}": f'"{CHANNEL_USER}"',
        f"/api/live?ids={shown}": '"live"',
    }
    counted, cookie = count_queries([TRIVIAL, *expected])
    targets = [Target(TRIVIAL, "User-agent")]
    targets += [Target(p, e, who) for who in counted for p, e in expected.items()]
    connections.close_all()  # the load clients are forked from this process
    log(f"gunicorn -w {args.workers}")
    with gunicorn(args.workers) as port:
        for target in targets:
            check_page(port, target, cookie)
        measure(port, targets, cookie, args)
    report(args, targets, counted, sizes)


if __name__ == "__main__":
    common.run_main(main)
