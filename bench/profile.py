"""What each endpoint a viewer uses costs, and where the time goes: a profile per endpoint.

The site as production serves it (gunicorn, one sync worker, production settings, PostgreSQL)
and the real livekit-server, on free ports of 127.0.0.1, with a live channel whose chat has a
full history and signed-in viewers who follow it (bench/load.py's seed). gunicorn serves
bench/profile_wsgi.py, the site's WSGI application timing or profiling (pyinstrument) the
requests the bench marks and leaving the others alone.

For each endpoint, one after the other on a new connection each: a warm-up, --requests timed
requests, then --profiled requests under the profiler (timed apart: the profiler slows what
it watches). Printed: wall and CPU ms per request (median, p90) of the worker, what each costs
above /robots.txt (the middleware stack alone), and for each endpoint its profile: the call
tree down to what takes at least --threshold of its time, and the functions taking most time
themselves. The chat POST is shown twice: its Django part (until LiveKit's SendData is called)
and the whole request.

The cache is the stack's Redis (its database 1), as production shares one between processes
(sessions, signed-in users and their ties are read from it: settings' CACHE_IS_SHARED);
`--cache local` gives the worker a local-memory cache instead.

"channel page, first visit" is the signed-in channel page as a raider first gets it: each
request with the session of a follower of its own that no request used before, so their
session, user, ties and bell count are in no cache yet (a raid's cold signed-in arrival).

`.venv/bin/python bench/profile.py [--quick]`; see bench/README.md. Options: --requests and
--profiled per endpoint, --chatters (signed-in accounts taking turns on the chat POST, under
the flood limit), --threshold (fraction of an endpoint's time below which a call is not shown),
--tree-lines and --flat-lines (how much of each profile to print), --cache, --pg-url (a PostgreSQL
server, scripts/postgres.sh's when not given), --database (recreated).
"""

from __future__ import annotations

import json
import os
import secrets
import statistics
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.common import log, ms, out, percentile

WARMUP = 10  # requests per endpoint before any is counted


@dataclass
class Endpoint:
    label: str
    path: str
    # or "signed in": a chatter's session cookie; or "first visit": signed in, each request
    # with the session of an account the worker has never seen (as a raider's first page)
    who: str = "guest"
    post: dict | None = None  # a JSON body: a POST (with the CSRF token a browser sends)
    expect: int = 200


def endpoints(host) -> list[Endpoint]:
    """What a viewer of the channel asks for, the chat POST last (it adds to the history)."""
    return [
        Endpoint("robots.txt", "/robots.txt"),
        Endpoint("stream info", f"/api/stream/{host.pk}"),
        Endpoint("chat history API", f"/api/stream/{host.pk}/chat"),
        Endpoint("viewer token", f"/api/stream/token/{host.pk}"),
        Endpoint("viewer token", f"/api/stream/token/{host.pk}", "signed in"),
        Endpoint("chat history API", f"/api/stream/{host.pk}/chat", "signed in"),
        Endpoint("home", "/", "signed in"),
        Endpoint("channel page", f"/{host.username}/", "signed in"),
        Endpoint("channel page", f"/{host.username}/", "first visit"),
        Endpoint("chat POST", f"/api/stream/{host.pk}/chat", "signed in", {"message": "hi"}, 201),
    ]


class Client:
    """Requests to the bench's gunicorn: a guest (no cookie), or signed-in chatters taking
    turns, each with their session cookie and a CSRF token as a browser sends them, or
    first visitors: each request a session (and account) not used before."""

    def __init__(self, port: int, sessions: list[str], first_visits: list[str]) -> None:
        self.port, self.turn = port, 0
        self.chatters = [signed_in(session) for session in sessions]
        self.first_visits = [signed_in(session) for session in first_visits]

    def send(self, endpoint: Endpoint, mark: str = "") -> None:
        headers = {"X-Bench": f"{mark} {key(endpoint)}"} if mark else {}
        if endpoint.who == "first visit":
            headers |= self.first_visits.pop()

        elif endpoint.who == "signed in":
            # GETs as one viewer; POSTs in turn, so that nobody reaches the flood limit.
            self.turn += endpoint.post is not None
            headers |= self.chatters[self.turn % len(self.chatters)]
        body = None
        if endpoint.post is not None:
            body = json.dumps(endpoint.post).encode()
            headers |= {
                "Content-Type": "application/json",
                "Origin": f"http://127.0.0.1:{self.port}",
            }
        status, answer = common.request(self.port, endpoint.path, body, **headers)
        if status != endpoint.expect:
            raise RuntimeError(f"{key(endpoint)}: HTTP {status}: {answer[:200]!r}")


def signed_in(session: str) -> dict[str, str]:
    """The headers a browser signed in with `session` sends (with a CSRF token)."""
    from django.conf import settings

    csrf = secrets.token_hex(16)
    cookie = f"{settings.SESSION_COOKIE_NAME}={session}; csrftoken={csrf}"
    return {"X-CSRFToken": csrf, "Cookie": cookie}


def key(endpoint: Endpoint) -> str:
    return f"{endpoint.label}, {endpoint.who}"


@contextmanager
def gunicorn(port: int) -> Iterator[int]:
    """One sync worker serving bench/profile_wsgi.py on `port`; its pid. Stopped at the end."""
    from devservers.servers import wait_until

    def answers() -> bool:
        try:
            return common.request(port, "/robots.txt")[0] == 200
        except OSError:
            return False

    command = [Path(sys.executable).with_name("gunicorn"), "bench.profile_wsgi:application"]
    command += ["--no-control-socket", "-w", "1", "-b", f"127.0.0.1:{port}"]
    common.OUT_DIR.mkdir(parents=True, exist_ok=True)
    with (common.OUT_DIR / "profile-gunicorn.log").open("wb") as log_file:
        server = subprocess.Popen(command, cwd=common.ROOT, stdout=log_file, stderr=log_file)
        try:
            wait_until(answers, 30, "gunicorn", server)
            yield server.pid
        finally:
            server.terminate()
            server.wait(timeout=30)


def measure(client: Client, targets: list[Endpoint], args) -> dict:
    """Warm-up, timed and profiled requests of each endpoint in turn; what the worker gathered."""
    for endpoint in targets:
        log(f"{key(endpoint)}: {args.requests} timed, {args.profiled} profiled")
        for _ in range(WARMUP):
            client.send(endpoint)
        for _ in range(args.requests):
            client.send(endpoint, "time")
        for _ in range(args.profiled):
            client.send(endpoint, "profile")
    status, body = common.request(client.port, "/__bench__/results")
    if status != 200:
        raise RuntimeError(f"the results: HTTP {status}")
    return json.loads(body)


def timing_rows(targets: list[Endpoint], times: dict) -> list[list]:
    robots = statistics.median(t["cpu"] for t in times[key(targets[0])])
    rows = []
    for endpoint in targets:
        figures = times[key(endpoint)]
        parts = [("whole", "wall", "cpu")]
        if endpoint.post is not None:
            parts.insert(0, ("before SendData", "wall_before_send", "cpu_before_send"))
        for part, wall_name, cpu_name in parts:
            wall = [f[wall_name] for f in figures if wall_name in f]
            cpu = [f[cpu_name] for f in figures if cpu_name in f]
            cpu_p50 = statistics.median(cpu)
            label = endpoint.label if part == "whole" else f"{endpoint.label} ({part})"
            walls = (ms(percentile(wall, q), 2) for q in (0.5, 0.9))
            cpus = (ms(cpu_p50, 2), ms(percentile(cpu, 0.9), 2), ms(cpu_p50 - robots, 2))
            rows.append([label, endpoint.who, len(wall), *walls, *cpus])
    return rows


def print_profile(title: str, profile: dict, args) -> None:
    from pyinstrument.renderers import ConsoleRenderer
    from pyinstrument.session import Session

    session = Session.from_json(profile)
    per_request = session.duration / args.profiled
    out(f"--- {title}: {args.profiled} requests, {ms(per_request, 2)} ms each under the profiler")
    options = {"filter_threshold": args.threshold}
    tree = ConsoleRenderer(show_all=False, processor_options=options, time="percent_of_total")
    lines = [line for line in tree.render(session).splitlines() if line.strip()]
    body = [line for line in lines if not line.lstrip().startswith(("_ ._", "pyinstrument"))]
    for line in body[3 : 3 + args.tree_lines]:  # after pyinstrument's banner
        out(f"   {line}")
    flat = ConsoleRenderer(flat=True, flat_time="self", time="percent_of_total", show_all=True)
    out("   taking most time themselves:")
    # The bench's own wrapper is where the profiler's samples between frames land: left out.
    rows = [line.strip() for line in flat.render(session).splitlines() if "%" in line]
    for line in [row for row in rows if "profile_wsgi" not in row][: args.flat_lines]:
        out(f"     {line}")
    out()


def report(targets: list[Endpoint], results: dict, args) -> None:
    out("Per request, in the worker (Django's part, gunicorn's own work not included): wall and")
    out("CPU ms (median, p90); above robots: CPU ms more than /robots.txt's (the middleware)")
    header = ["endpoint", "viewer", "n", "wall p50", "wall p90", "CPU p50", "CPU p90"]
    common.table([*header, "above robots"], timing_rows(targets, results["times"]), 2)
    out()
    for endpoint in targets:
        if (profile := results["profiles"].get(key(endpoint))) is not None:
            print_profile(key(endpoint), profile, args)


def main(argv: list[str]) -> None:
    quick = {"requests": 60, "profiled": 60}
    args = common.parse_args(
        __doc__,
        argv,
        quick,
        requests=300,
        profiled=300,
        chatters=40,
        threshold=0.02,
        tree_lines=45,
        flat_lines=12,
        cache="redis",
        pg_url="",
        database="profilebench",
    )
    from bench.load import seed
    from devservers.rtc import RtcClient, publisher_token
    from devservers.servers import LIVEKIT_SERVER, LiveKitStack

    livekit, web_port, pg_version = common.start_site(args)
    if args.cache == "redis":  # for gunicorn, started once the stack's Redis is up
        os.environ["CACHE_URL"] = f"redis://127.0.0.1:{livekit.redis_port}/1"
    # Each first visit a follower of its own, never seen by the worker (nor by the cache).
    anyone = SimpleNamespace(pk=0, username="-")
    first = sum(endpoint.who == "first visit" for endpoint in endpoints(anyone))
    visits = first * (WARMUP + args.requests + args.profiled)
    log(f"seed: a live channel with its chat history, {args.chatters + visits} signed-in followers")
    host, sessions = seed(args.chatters + visits)
    software = common.versions("django", "gunicorn", "psycopg", "pyinstrument")
    software += [f"PostgreSQL {pg_version}", common.first_line([str(LIVEKIT_SERVER), "--version"])]
    site = "gunicorn -w 1 (sync, production settings, bench/profile_wsgi.py) on PostgreSQL, "
    site += f"cache {os.environ.get('CACHE_URL', 'local memory')}, "
    common.print_header(args, software, site + "livekit-server: all on 127.0.0.1")
    from django.conf import settings
    from django.db import connections

    from streams import rooms

    targets = endpoints(host)
    connections.close_all()
    with (
        LiveKitStack(livekit, common.OUT_DIR / "profile-livekit"),
        gunicorn(web_port),
    ):
        keys = {"api_key": settings.LIVEKIT_API_KEY, "api_secret": settings.LIVEKIT_API_SECRET}
        token = publisher_token(
            **keys, room=rooms.room_name(host.pk), identity=str(host.pk), name=host.username
        )
        publisher = RtcClient(livekit.ws_url, token).connect()  # the room exists: SendData lands
        try:
            client = Client(web_port, sessions[: args.chatters], sessions[args.chatters :])
            results = measure(client, targets, args)
        finally:
            publisher.close()
    report(targets, results, args)


if __name__ == "__main__":
    common.run_main(main)
