"""Throughput of the home page and a channel page, relative to a trivial Django view.

What: requests per second for `/` and `/<username>/` served by gunicorn (sync workers) on
PostgreSQL with a few hundred users, streams and follows, measured in the same run and in
alternating rounds with `/robots.txt`, a plain-text view that goes through the same middleware
but touches neither the database nor a template. Also the number of SQL queries each page runs,
for an anonymous visitor and for a logged-in one who follows about twenty channels.

Why: absolute requests per second depend on the machine and on whatever else it is doing; the
ratio page_rps / trivial_rps, measured side by side, says what the page itself costs on top of
Django's fixed per-request overhead (queries, template rendering), and is comparable from one
machine or one run to the next. The query counts show whether a page's cost grows with the data.

Run from the checkout: `.venv/bin/python bench/pages.py [--seconds 5] [--concurrency 4]`.
It starts the throwaway PostgreSQL of scripts/postgres.sh (or uses --pg-url), recreates the
`streamsite_bench` database in it, seeds it, runs collectstatic, starts gunicorn on a free port
of 127.0.0.1 and stops it at the end. Prints figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import multiprocessing.connection
import os
import platform
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine, run_main  # noqa: E402

OUT_DIR = ROOT / "bench" / "out"
PYTHON = sys.executable
BENCH_DB = "streamsite_bench"
HOST = "127.0.0.1"

TRIVIAL = "/robots.txt"
CHANNEL_USER = "bench0"  # the channel page measured; live, with followers and a bio
VIEWER_USER = "bench1"  # the logged-in viewer: follows VIEWER_FOLLOWS channels
VIEWER_FOLLOWS = 20
SEED = 20240601

MAX_REQUESTS_PER_CLIENT = 1_000_000  # a bound on each load loop besides its deadline
REQUEST_TIMEOUT = 10.0
SERVER_START_TIMEOUT = 30.0


# --------------------------------------------------------------------------------------------
# Children: seeding and query counting run in subprocesses with the bench environment.
# --------------------------------------------------------------------------------------------


def _django_setup() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def child_seed(users: int, follows: int, blocks: int) -> dict[str, Any]:
    """Create the data set; returns its sizes. Deterministic for a given seed and sizes."""
    import random
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from social.models import Block, Follow
    from streams.models import Stream

    user_model = get_user_model()
    rng = random.Random(SEED)
    now = timezone.now()
    names = [f"bench{i}" for i in range(users)]
    with transaction.atomic():
        people = []
        for i, name in enumerate(names):
            person = user_model(
                username=name,
                email=f"{name}@example.invalid",
                bio=f"Hello, I am {name}. I stream things." if i % 3 == 0 else "",
                date_joined=now - timedelta(minutes=users - i),
            )
            person.set_unusable_password()  # hashing 300 passwords would dominate the setup
            people.append(person)
        user_model.objects.bulk_create(people)  # skips post_save: streams are created below
        by_name = {person.username: person for person in people}

        live = set(rng.sample(names, max(1, users // 10)))
        live.add(CHANNEL_USER)
        Stream.objects.bulk_create(
            Stream(
                user=person,
                title=f"{person.username}'s stream",
                is_live=person.username in live,
                live_changed_at=now if person.username in live else None,
            )
            for person in people
        )

        # The viewer follows exactly VIEWER_FOLLOWS channels (some live, and the channel
        # measured); everyone else follows at random.
        others = [name for name in names if name not in (VIEWER_USER, CHANNEL_USER)]
        viewer_follows = [CHANNEL_USER, *rng.sample(others, VIEWER_FOLLOWS - 1)]
        pairs = {(VIEWER_USER, name) for name in viewer_follows}
        followers = [name for name in names if name != VIEWER_USER]
        for _ in range(follows * 20):
            if len(pairs) >= follows:
                break
            a, b = rng.choice(followers), rng.choice(names)
            if a != b:
                pairs.add((a, b))
        Follow.objects.bulk_create(
            Follow(follower=by_name[a], following=by_name[b]) for a, b in sorted(pairs)
        )

        # A few blocks, some involving the viewer (so the exclusions have work to do), but
        # the channel measured never blocks the viewer.
        block_pairs: set[tuple[str, str]] = set()
        not_channel = [name for name in names if name != CHANNEL_USER]
        for blocker in rng.sample([n for n in not_channel if n != VIEWER_USER], 2):
            block_pairs.add((blocker, VIEWER_USER))
        block_pairs.add((VIEWER_USER, rng.choice(others)))
        for _ in range(blocks * 20):
            if len(block_pairs) >= blocks:
                break
            a, b = rng.choice(names), rng.choice(names)
            if a != b and (a, b) != (CHANNEL_USER, VIEWER_USER):
                block_pairs.add((a, b))
        Block.objects.bulk_create(
            Block(blocker=by_name[a], blocked=by_name[b]) for a, b in sorted(block_pairs)
        )

    return {
        "users": user_model.objects.count(),
        "streams": Stream.objects.count(),
        "live": Stream.objects.filter(is_live=True).count(),
        "follows": Follow.objects.count(),
        "blocks": Block.objects.count(),
        "viewer_follows": Follow.objects.filter(follower__username=VIEWER_USER).count(),
        "channel_followers": Follow.objects.filter(following__username=CHANNEL_USER).count(),
    }


def child_queries(paths: list[str], show_sql: bool) -> dict[str, Any]:
    """SQL queries per page with Django's test client, anonymous then logged in.

    Each page is requested once before the counted request so one-off work (content types,
    template loading) does not count. Also returns the logged-in session cookie, which the
    load phase can send to gunicorn (sessions live in the database).
    """
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=HOST)
    result: dict[str, Any] = {"anonymous": {}, "logged_in": {}}
    sql: list[str] = []
    for who in ("anonymous", "logged_in"):
        if who == "logged_in":
            client.force_login(get_user_model().objects.get(username=VIEWER_USER))
        for path in paths:
            client.get(path)
            with CaptureQueriesContext(connection) as captured:
                response = client.get(path)
            result[who][path] = {
                "queries": len(captured.captured_queries),
                "status": response.status_code,
            }
            if show_sql:
                sql.append(f"-- {path} ({who}): {len(captured.captured_queries)} queries")
                sql.extend(query["sql"] + ";" for query in captured.captured_queries)
    result["session_cookie"] = (
        f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    )
    result["sql"] = sql
    return result


def run_child(argv: list[str]) -> None:
    """`pages.py --child seed|queries JSON`: runs in the bench environment, prints JSON."""
    kind, params = argv[0], json.loads(argv[1])
    _django_setup()
    if kind == "seed":
        out = child_seed(**params)
    elif kind == "queries":
        out = child_queries(**params)
    else:
        raise SystemExit(f"unknown child {kind!r}")
    print(json.dumps(out))


# --------------------------------------------------------------------------------------------
# Parent: database, server, load.
# --------------------------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"==> {message}", file=sys.stderr, flush=True)


def start_postgres() -> str:
    done = subprocess.run(
        [str(ROOT / "scripts" / "postgres.sh"), "start"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def recreate_database(server_url: str) -> str:
    import psycopg
    from psycopg import sql

    with psycopg.connect(with_database(server_url, "postgres"), autocommit=True) as conn:
        version = conn.execute("SHOW server_version").fetchone()
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DB))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DB)))
    return str(version[0]) if version else "?"


def bench_env(database_url: str) -> dict[str, str]:
    """Production settings (DEBUG off) over plain HTTP on 127.0.0.1. Every setting that
    matters is set here: real environment variables win over the checkout's .env file."""
    env = dict(os.environ)
    env.pop("GUNICORN_CMD_ARGS", None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "streamsite.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": database_url,
            "DJANGO_CONN_MAX_AGE": "60",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_SERVE_MEDIA": "false",
            "DJANGO_LOG_LEVEL": "WARNING",
            "LIVEKIT_API_KEY": "benchkey",
            "LIVEKIT_API_SECRET": secrets.token_urlsafe(36),
        }
    )
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def child(env: dict[str, str], kind: str, **params: Any) -> dict[str, Any]:
    done = subprocess.run(
        [PYTHON, str(Path(__file__).resolve()), "--child", kind, json.dumps(params)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def fetch(port: int, path: str, cookie: str | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class Server:
    """gunicorn on 127.0.0.1:<free port>; stopped by `stop()` whatever happened."""

    def __init__(self, env: dict[str, str], workers: int) -> None:
        self.port = free_port()
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = OUT_DIR / "gunicorn.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [
                str(Path(PYTHON).with_name("gunicorn")),
                "streamsite.wsgi",
                "-w",
                str(workers),
                "-b",
                f"{HOST}:{self.port}",
                "--no-control-socket",  # no ~/.gunicorn/gunicorn.ctl shared with other servers
            ],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        for _ in range(int(SERVER_START_TIMEOUT / 0.1)):
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}); {self.tail()}")
            try:
                status, _ = fetch(self.port, TRIVIAL)
                if status == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer in {SERVER_START_TIMEOUT:g} s; {self.tail()}")

    def tail(self, lines: int = 20) -> str:
        text = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        return f"last lines of {self.log_path}:\n" + "\n".join(text)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: the master stops its workers gracefully
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._log.close()


@dataclass
class Target:
    label: str
    path: str
    expect: str  # a sanity check: the response body contains this
    cookie: str | None = None
    rps: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    client_cpu: float = 0.0


def load_client(
    conn: multiprocessing.connection.Connection,
    port: int,
    path: str,
    cookie: str | None,
    start_at: float,
    seconds: float,
) -> None:
    """One client: requests back to back, a new connection each, from start_at for seconds."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler (fork)
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    headers = {"Cookie": cookie} if cookie else {}
    while time.monotonic() < start_at:
        time.sleep(max(0.0, min(0.01, start_at - time.monotonic())))
    deadline = start_at + seconds
    for _ in range(MAX_REQUESTS_PER_CLIENT):
        began = time.monotonic()
        if began >= deadline:
            break
        http_conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
        try:
            http_conn.request("GET", path, headers=headers)
            response = http_conn.getresponse()
            response.read()
            if response.status != 200:
                errors[f"HTTP {response.status}"] += 1
        except (OSError, http.client.HTTPException) as exc:
            errors[type(exc).__name__] += 1
            time.sleep(0.01)  # do not spin on a refused connection
        finally:
            http_conn.close()
        latencies.append(time.monotonic() - began)
    elapsed = time.monotonic() - start_at
    conn.send((len(latencies), elapsed, latencies, dict(errors)))
    conn.close()


def run_load(port: int, target: Target, seconds: float, concurrency: int, record: bool) -> None:
    """`concurrency` client processes against one URL for `seconds`; adds a round to target."""
    ctx = multiprocessing.get_context("fork")
    start_at = time.monotonic() + 0.2
    procs: list[tuple[multiprocessing.process.BaseProcess, Any]] = []
    cpu_before = os.times()
    try:
        for _ in range(concurrency):
            receiver, sender = ctx.Pipe(duplex=False)
            proc = ctx.Process(
                target=load_client,
                args=(sender, port, target.path, target.cookie, start_at, seconds),
            )
            proc.start()
            sender.close()
            procs.append((proc, receiver))
        results = []
        for proc, receiver in procs:
            if not receiver.poll(seconds + REQUEST_TIMEOUT + 30):
                raise RuntimeError(f"a load client for {target.path} did not report")
            results.append(receiver.recv())
            proc.join(timeout=10)
    finally:
        for proc, _ in procs:
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=5)
    cpu_after = os.times()
    if not record:
        return
    target.rps.append(sum(count / elapsed for count, elapsed, _, _ in results if elapsed > 0))
    for count, _, latencies, errors in results:
        target.requests += count
        target.latencies.extend(latencies)
        target.errors.update(errors)
    target.client_cpu += (cpu_after.children_user - cpu_before.children_user) + (
        cpu_after.children_system - cpu_before.children_system
    )


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per round and URL [5]")
    parser.add_argument("--warmup", type=float, default=1.0, help="per URL, before [1]")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every URL [3]")
    parser.add_argument("--concurrency", type=int, default=4, help="client processes [4]")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers [2]")
    parser.add_argument("--users", type=int, default=300, help="users (and streams) [300]")
    parser.add_argument("--follows", type=int, default=1500, help="follows [1500]")
    parser.add_argument("--blocks", type=int, default=10, help="blocks [10]")
    parser.add_argument(
        "--logged-in",
        action="store_true",
        help="also load / and the channel page with the viewer's session cookie",
    )
    parser.add_argument("--show-sql", action="store_true", help="print the SQL of each page")
    parser.add_argument(
        "--pg-url",
        help="a PostgreSQL server URL to use instead of starting scripts/postgres.sh; "
        f"the {BENCH_DB} database on it is dropped and recreated",
    )
    args = parser.parse_args(argv)
    if args.users < VIEWER_FOLLOWS + 10:
        parser.error(f"--users must be at least {VIEWER_FOLLOWS + 10}")
    if args.seconds <= 0 or args.rounds < 1 or args.concurrency < 1 or args.workers < 1:
        parser.error("--seconds, --rounds, --concurrency and --workers must be positive")
    return args


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    channel = f"/{CHANNEL_USER}/"
    paths = [TRIVIAL, "/", channel]

    log("PostgreSQL")
    server_url = args.pg_url or start_postgres()
    pg_version = recreate_database(server_url)
    env = bench_env(with_database(server_url, BENCH_DB))

    log(f"migrate, collectstatic, seed ({args.users} users, {args.follows} follows)")
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    sizes = child(env, "seed", users=args.users, follows=args.follows, blocks=args.blocks)

    log("query counts (Django test client)")
    counted = child(env, "queries", paths=paths, show_sql=args.show_sql)

    channel_title = f"{CHANNEL_USER}&#x27;s stream"  # as the template escapes it
    targets = [
        Target(TRIVIAL, TRIVIAL, "User-agent"),
        Target("/", "/", "&#x27;s stream"),
        Target(channel, channel, channel_title),
    ]
    if args.logged_in:
        cookie = counted["session_cookie"]
        targets += [
            Target("/ (in)", "/", f"Account menu for {VIEWER_USER}", cookie),
            Target(f"{channel} (in)", channel, "Unfollow", cookie),
        ]

    log(f"gunicorn -w {args.workers}")
    server = Server(env, args.workers)
    try:
        server.wait_ready()
        sizes_bytes: dict[str, int] = {}
        for target in targets:
            status, body = fetch(server.port, target.path, target.cookie)
            if status != 200:
                raise RuntimeError(f"GET {target.label} answered {status}: {body[:300]!r}")
            sizes_bytes[target.label] = len(body)
            if target.expect.encode() not in body:
                log(f"warning: {target.label} does not contain {target.expect!r}")

        log(f"warm-up {args.warmup:g} s per URL")
        if args.warmup > 0:
            for target in targets:
                run_load(server.port, target, args.warmup, args.concurrency, record=False)
        total = args.rounds * len(targets) * args.seconds
        log(f"{args.rounds} rounds x {len(targets)} URLs x {args.seconds:g} s (~{total:.0f} s)")
        for round_no in range(args.rounds):
            # Rotate the order too, so no URL always runs first or last in a round.
            shift = round_no % len(targets)
            for target in targets[shift:] + targets[:shift]:
                run_load(server.port, target, args.seconds, args.concurrency, record=True)
    finally:
        server.stop()

    report(args, targets, counted, sizes, sizes_bytes, pg_version)


def report(
    args: argparse.Namespace,
    targets: list[Target],
    counted: dict[str, Any],
    sizes: dict[str, Any],
    sizes_bytes: dict[str, int],
    pg_version: str,
) -> None:
    import django

    print(
        f"machine: {machine()}, "
        f"Python {platform.python_version()}, Django {django.get_version()}, "
        f"PostgreSQL {pg_version}"
    )
    print(
        f"data: {sizes['users']} users, {sizes['streams']} streams ({sizes['live']} live), "
        f"{sizes['follows']} follows, {sizes['blocks']} blocks; channel {CHANNEL_USER} has "
        f"{sizes['channel_followers']} followers; logged-in viewer {VIEWER_USER} follows "
        f"{sizes['viewer_follows']}"
    )
    print(
        f"load: gunicorn -w {args.workers} (sync), {args.concurrency} client processes, "
        f"new connection per request, {args.rounds} rounds x {args.seconds:g} s per URL "
        f"after {args.warmup:g} s warm-up"
    )
    print()
    trivial = statistics.median(targets[0].rps)
    header = (
        f"{'URL':<16} {'rps':>8} {'ratio':>6} {'p50 ms':>7} {'p90 ms':>7} "
        f"{'queries anon/in':>15} {'bytes':>7} {'errors':>6}"
    )
    print(header)
    print("-" * len(header))
    for target in targets:
        rps = statistics.median(target.rps)
        anon = counted["anonymous"][target.path]["queries"]
        logged_in = counted["logged_in"][target.path]["queries"]
        print(
            f"{target.label:<16} {rps:>8.1f} {rps / trivial:>6.3f} "
            f"{percentile(target.latencies, 0.5) * 1000:>7.1f} "
            f"{percentile(target.latencies, 0.9) * 1000:>7.1f} "
            f"{f'{anon} / {logged_in}':>15} {sizes_bytes[target.label]:>7} "
            f"{sum(target.errors.values()):>6}"
        )
    print()
    rounds = "; ".join(
        f"{t.label} " + " / ".join(f"{r:.0f}" for r in t.rps) + f" ({t.requests} requests)"
        for t in targets
    )
    print(f"rps per round: {rounds}")
    cpu = sum(t.client_cpu for t in targets)
    wall = args.rounds * args.seconds * len(targets)
    print(f"load clients used {cpu / wall:.2f} cores on average (they share the machine)")
    for target in targets:
        if target.errors:
            print(
                f"errors for {target.label}: "
                + ", ".join(f"{kind} x{n}" for kind, n in target.errors.most_common())
            )
    statuses = {
        f"{path} ({who})": info["status"]
        for who in ("anonymous", "logged_in")
        for path, info in counted[who].items()
        if info["status"] != 200
    }
    if statuses:
        print(f"test-client statuses other than 200: {statuses}")
    if counted["sql"]:
        print()
        print("\n".join(counted["sql"]))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        run_child(sys.argv[2:])
    else:
        run_main(main)
