"""The floor under every figure: /robots.txt bare, through the whole middleware stack, and
through the stack without each middleware in turn.

The same gunicorn (sync workers, production settings) serves, side by side in interleaved
rounds: a bare WSGI callable answering /robots.txt's body (bench/floor_app.py: what gunicorn
and a new connection cost), the site's /robots.txt through the whole middleware stack (the
ceiling of bench/load.py and the yardstick of bench/pages.py), and the site without one
middleware (or a group that needs another: sessions go with auth and messages). Printed per
variant: requests per second, gunicorn's CPU per request, and each middleware's cost
(whole stack minus the stack without it) in µs per request, from gunicorn's CPU and from the
same handlers called in this process without HTTP (many more requests, far less noise).

`.venv/bin/python bench/floor.py [--quick]`; see bench/README.md. Options: --seconds per
round and variant, --warmup seconds per variant, --rounds, --concurrency (load client
processes), --workers (gunicorn's), --batches and --calls (in-process: batches of calls per
variant, interleaved; the least disturbed batch counts), --path
(the URL every variant is asked), --multiproc (1: each gunicorn, and this process, count
metrics in a PROMETHEUS_MULTIPROC_DIR of their own, as production does with several workers),
--base (another checkout, e.g. of the base commit: its whole stack served beside, over HTTP
only), --threads N (also bare and the whole stack on gthread workers of N threads with
keep-alive, asked over kept connections, as nginx's upstream keepalive would), --pg-url
(scripts/postgres.sh's server when not given; the floorbench database is recreated).
"""

from __future__ import annotations

import http.client
import io
import math
import multiprocessing
import os
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.common import log, out
from bench.pages import client_signals, load_client

DATABASE = "floorbench"
NAN = math.nan
SESSIONS = "django.contrib.sessions.middleware.SessionMiddleware"
AUTH = "django.contrib.auth.middleware.AuthenticationMiddleware"
MESSAGES = "MessageMiddleware"  # the end of the name: Django's, or the site's lazy one


@dataclass
class Variant:
    name: str
    without: tuple[str, ...] = ()  # middleware left out; () and not bare: the whole stack
    bare: bool = False
    checkout: Path | None = None  # another checkout's whole stack (--base), HTTP only
    threads: int = 0  # gthread workers with keep-alive, asked over kept connections (--threads)
    port: int = 0
    pid: int = 0
    rps: list[float] = field(default_factory=list)  # per round
    cpu: list[float] = field(default_factory=list)  # gunicorn's CPU seconds per request, per round
    local: list[float] = field(default_factory=list)  # CPU seconds per call in-process, per batch
    requests: int = 0
    errors: Counter[str] = field(default_factory=Counter)


def variants(middleware: list[str]) -> list[Variant]:
    """Bare, the whole stack, then the stack without each middleware. SessionMiddleware
    alone cannot go (auth and messages need request.session): it goes with them, and its
    own cost is that group's less theirs."""
    found = [Variant("bare WSGI callable", bare=True), Variant("whole stack")]
    needs_session = [name for name in middleware if name.endswith(MESSAGES) or name == AUTH]
    for name in middleware:
        if name == SESSIONS:
            found.append(Variant("sessions+auth+messages", (SESSIONS, *needs_session)))
        else:
            found.append(Variant(name.rsplit(".", 1)[-1], (name,)))
    return found


def start(stack: ExitStack, variant: Variant, workers: int, multiproc_dir: Path | None) -> None:
    env = {"FLOOR_WITHOUT": ",".join(variant.without)} if variant.without else {}
    if multiproc_dir:  # as production runs several workers: README, PROMETHEUS_MULTIPROC_DIR
        env["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(dir=multiproc_dir)
    app = "bench.floor_app:site" if variant.without else "streamsite.wsgi"
    app = "bench.floor_app:bare" if variant.bare else app
    log_name = f"floor-{variant.name.replace('+', '-').replace(' ', '-')}.log"
    cwd = variant.checkout or common.ROOT
    layout = ["-k", "gthread", "--threads", str(variant.threads), "--keep-alive", "5"]
    options = layout if variant.threads else []
    variant.port, variant.pid = stack.enter_context(
        common.gunicorn(workers, app=app, env=env, log_name=log_name, cwd=cwd, options=options)
    )


def keepalive_client(port: int, path: str, headers: dict, start_at: float, seconds: float) -> tuple:
    """As bench/pages.py's load_client, but on one kept connection (a new one after an error),
    as nginx's upstream keepalive would ask gunicorn."""
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    time.sleep(max(0.0, start_at - time.monotonic()))
    while (began := time.monotonic()) < start_at + seconds:
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors[f"HTTP {response.status}"] += 1
        except (OSError, http.client.HTTPException) as exc:
            errors[type(exc).__name__] += 1
            conn.close()
            time.sleep(0.01)
        latencies.append(time.monotonic() - began)
    conn.close()
    return len(latencies) / (time.monotonic() - start_at), latencies, errors


def load(variant: Variant, path: str, seconds: float, concurrency: int, count: bool) -> None:
    """`concurrency` client processes asking `path` back to back for `seconds`, a new
    connection each; with `count`, the round's rps and gunicorn's CPU per request."""
    meter = common.CpuMeter({"gunicorn": variant.pid})
    start_at = time.monotonic() + 0.3
    fork = multiprocessing.get_context("fork")
    with fork.Pool(concurrency, initializer=client_signals) as pool:
        time.sleep(max(0.0, start_at - time.monotonic()))
        before = meter.snapshot()
        job = (variant.port, path, {}, start_at, seconds)
        client = keepalive_client if variant.threads else load_client
        results = pool.starmap(client, [job] * concurrency, chunksize=1)
        after = meter.snapshot()
    requests = sum(len(latencies) for _, latencies, _ in results)
    if count:
        variant.rps.append(sum(rps for rps, _, _ in results))
        variant.cpu.append((after["gunicorn"][0] - before["gunicorn"][0]) / max(requests, 1))
        variant.requests += requests
        for _, _, errors in results:
            variant.errors.update(errors)


def handlers(all_variants: list[Variant]) -> dict[str, object]:
    """For each variant, what gunicorn's worker calls: Django's WSGI handler with that
    MIDDLEWARE (or the bare callable), built in this process."""
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import override_settings

    from bench.floor_app import bare

    built: dict[str, object] = {}
    for variant in all_variants:
        if variant.checkout or variant.threads:
            continue  # another checkout's code, or the same handler as another variant
        if variant.bare:
            built[variant.name] = bare
            continue
        kept = [name for name in settings.MIDDLEWARE if name not in variant.without]
        with override_settings(MIDDLEWARE=kept):
            built[variant.name] = WSGIHandler()  # its chain is built here, from MIDDLEWARE
    return built


def call_in_process(app: object, path: str, calls: int) -> float:
    """CPU seconds per request of `calls` requests for `path` handed to `app` as a WSGI server
    would (a guest: no cookie), the body read and the response closed."""
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_USER_AGENT": "python-http.client",
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }

    def start_response(status: str, headers: list, exc_info: object = None) -> None:
        if not status.startswith("200"):
            raise RuntimeError(f"{path} answered {status} in-process")

    began = time.process_time()
    for _ in range(calls):
        response = app(environ | {"wsgi.input": io.BytesIO(b"")}, start_response)
        b"".join(response)
        if close := getattr(response, "close", None):
            close()
    return (time.process_time() - began) / calls


def measure(all_variants: list[Variant], args) -> None:
    """Warm-up, then rounds of every variant, the order rotating so none always goes first:
    over HTTP, then in-process."""
    log(f"warm-up {args.warmup:g} s per variant")
    for variant in all_variants:
        load(variant, args.path, args.warmup, args.concurrency, count=False)
    wall = args.rounds * len(all_variants) * args.seconds
    log(f"{args.rounds} rounds x {len(all_variants)} variants x {args.seconds:g} s (~{wall:.0f} s)")
    for number in range(args.rounds):
        shift = number % len(all_variants)
        for variant in all_variants[shift:] + all_variants[:shift]:
            load(variant, args.path, args.seconds, args.concurrency, count=True)
    log(f"in-process: {args.batches} batches x {len(all_variants)} variants x {args.calls} calls")
    built = handlers(all_variants)
    here = [variant for variant in all_variants if variant.name in built]
    for variant in here:
        call_in_process(built[variant.name], args.path, args.calls)  # warm-up
    for number in range(args.batches):
        shift = number % len(here)
        for variant in here[shift:] + here[:shift]:
            variant.local.append(call_in_process(built[variant.name], args.path, args.calls))


def us(seconds: float) -> str:
    return "-" if seconds != seconds else f"{seconds * 1e6:.0f}"  # NaN: not measured


def report(all_variants: list[Variant]) -> None:
    """The table, SessionMiddleware's own cost, the floor against the ceiling, the rounds."""
    bare, whole = all_variants[0], all_variants[1]
    # Other work on the machine only ever slows a round down and makes its CPU per request
    # dearer (colder caches): each figure is that of the least disturbed round or batch.
    rps = {v.name: max(v.rps) for v in all_variants}
    cpu = {v.name: min(v.cpu) for v in all_variants}
    local = {v.name: min(v.local, default=NAN) for v in all_variants}

    def cost(v: Variant, figures: dict[str, float]) -> str:
        """What the middleware left out costs: the whole stack less the stack without it
        (for the bare callable, what it saves: negative)."""
        return "" if v is whole else us(figures[whole.name] - figures[v.name])

    rows = [
        [
            *(v.name, f"{rps[v.name]:.0f}", f"{rps[v.name] / rps[whole.name]:.2f}"),
            *(us(cpu[v.name]), cost(v, cpu), us(local[v.name]), cost(v, local)),
            *(v.requests, sum(v.errors.values())),
        ]
        for v in all_variants
    ]
    header = ["variant (without)", "rps", "/whole", "CPU µs/req", "cost µs", "in-proc µs"]
    common.table([*header, "cost µs", "requests", "errors"], rows)
    if group := next((v for v in all_variants if SESSIONS in v.without), None):
        alone = [v for v in all_variants if len(v.without) == 1 and v.without[0] in group.without]
        own = [
            us(
                figures[whole.name]
                - figures[group.name]
                - sum(figures[whole.name] - figures[v.name] for v in alone)
            )
            for figures in (cpu, local)
        ]
        out(
            f"\nSessionMiddleware alone (the group less auth and messages alone): {own[0]} µs "
            f"from gunicorn's CPU, {own[1]} µs in-process"
        )
    out(
        f"the floor: the bare callable {rps[bare.name]:.0f} rps, {us(cpu[bare.name])} µs of "
        f"gunicorn CPU per request; the whole stack (the ceiling) {rps[whole.name]:.0f} rps, "
        f"{us(cpu[whole.name])} µs: {rps[whole.name] / rps[bare.name]:.2f}x the floor's rps"
    )
    for what, figures, show in (("rps", "rps", "{:.0f}"), ("CPU µs/req", "cpu", "{:.0f}")):
        scale = 1e6 if figures == "cpu" else 1
        rounds = (
            f"{v.name} {' / '.join(show.format(x * scale) for x in getattr(v, figures))}"
            for v in all_variants
        )
        out(f"{what} per round: {'; '.join(rounds)}")
    for v in (v for v in all_variants if v.errors):
        out(f"errors for {v.name}: {', '.join(f'{k} x{n}' for k, n in v.errors.most_common())}")


def main(argv: list[str]) -> None:
    quick = {"seconds": 1.5, "rounds": 2, "warmup": 0.3, "batches": 8}
    args = common.parse_args(
        __doc__,
        argv,
        quick,
        seconds=3.0,
        warmup=1.0,
        rounds=3,
        concurrency=4,
        workers=2,
        batches=30,
        calls=500,
        path="/robots.txt",
        multiproc=1,
        base="",
        threads=0,
        pg_url="",
    )
    with ExitStack() as stack:
        multiproc = (
            Path(stack.enter_context(tempfile.TemporaryDirectory())) if args.multiproc else None
        )
        if multiproc:  # here too, for the in-process calls: before prometheus_client loads
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(dir=multiproc)
        version = common.production_site(DATABASE, args.pg_url)
        from django.conf import settings
        from django.db import connections

        software = [*common.versions("django", "gunicorn", "whitenoise", "django-allauth")]
        software += [*common.versions("prometheus-client"), f"PostgreSQL {version}"]
        site = (
            f"gunicorn -w {args.workers} (sync, production settings) per variant, on 127.0.0.1; "
            "load from client processes, a new connection per request"
        )
        common.print_header(args, software, site)
        all_variants = variants(list(settings.MIDDLEWARE))
        if args.base:  # the whole stack as another checkout has it: before and after, side by side
            base = Path(args.base).resolve()
            all_variants.insert(2, Variant(f"whole stack at {base.name}", checkout=base))
        if args.threads:  # the worker layout nginx's upstream keepalive could use
            for name, bare in (("bare", True), ("whole stack", False)):
                layout = f"{name}, gthread keep-alive"
                all_variants.append(Variant(layout, bare=bare, threads=args.threads))
        connections.close_all()  # the load clients are forked from this process
        log(f"{len(all_variants)} gunicorns, -w {args.workers} each")
        for variant in all_variants:
            start(stack, variant, args.workers, multiproc)
        measure(all_variants, args)
    out(f"MIDDLEWARE: {', '.join(name.rsplit('.', 1)[-1] for name in settings.MIDDLEWARE)}")
    report(all_variants)


if __name__ == "__main__":
    common.run_main(main)
