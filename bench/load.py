"""How many viewers a machine admits: a raid arrives on one live channel.

The site as production serves it (gunicorn, sync workers, on PostgreSQL) and the real
livekit-server, on free ports of 127.0.0.1. The host's own identity publishes a synthetic
camera into the room, as Ingress would, and a sample of real rtc viewers watches. Locust
(bench/locustfile.py, its own process) brings the raid: for each arrival rate, that many new
viewers per second, each loading the channel page with its CSS and JavaScript, the stream info,
a token and the chat history once; a share of them are logged in and also chat.

Printed per arrival rate: requests per second, p50/p95/p99 per endpoint, errors by kind, chat
messages sent (201), saved (rows) and delivered (to each sampled viewer), and cores busy per
process. The headline: the highest rate with 0 errors and every endpoint's p95 under 500 ms.

`.venv/bin/python bench/load.py [--quick]`; see bench/README.md. Options: --rates (viewers
arriving per second, comma-separated), --seconds of arrivals per rate, --drain (seconds the
last viewers get to finish), --logged-in (share of viewers), --accounts (logged-in users),
--subscribers (rtc viewers counting chat), --workers (gunicorn's), --pg-url (a PostgreSQL
server, scripts/postgres.sh's when not given), --database (recreated), --json (a file for
the figures), --ceiling 1 (the same viewers, every request to /robots.txt: what this machine
admits when a request costs only Django's per-request overhead).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.common import log, ms, out, percentile
from devservers.rtc import RtcClient, publisher_token
from devservers.servers import LIVEKIT_SERVER, LiveKitStack

HOST = "raidhost"  # the channel raided
HISTORY = 50  # chat messages already there: the page and the history API show a full chat
P95_BUDGET = 0.5  # seconds: a rate is admitted with no error and every endpoint's p95 under it
ENDPOINTS = ["channel page", "static css", "static js", "stream info", "token"]
ENDPOINTS += ["chat history", "chat post", "viewer"]  # "viewer": one that did not finish
LOCUSTFILE = Path(__file__).with_name("locustfile.py")


def seed(accounts: int) -> tuple:
    """The live channel (chat on, slow mode and followers-only off) with a full chat history,
    and `accounts` raiders who follow it, a tenth of them live too (the sidebar lists some),
    each with a session in the database. Returns the host and the session keys."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from social.models import Follow
    from streams.models import ChatMessage, Stream

    host = User.objects.create_user(HOST, f"{HOST}@example.invalid")  # its stream comes too
    Stream.objects.filter(user=host).update(
        title="The raid lands here",
        is_live=True,
        live_changed_at=timezone.now(),
        is_chat_enabled=True,
        slow_mode_seconds=0,
        followers_only_minutes=None,
    )
    names = [f"raider{i}" for i in range(accounts)]
    raiders = [User(username=name, email=f"{name}@example.invalid") for name in names]
    for raider in raiders:
        raider.set_unusable_password()  # hashing passwords would dominate the set-up
    with transaction.atomic():
        User.objects.bulk_create(raiders)  # no post_save: the streams come next
        Stream.objects.bulk_create(
            Stream(user=r, title=f"{r.username}'s stream", is_live=i % 10 == 0)
            for i, r in enumerate(raiders)
        )
        Follow.objects.bulk_create(Follow(follower=r, following=host) for r in raiders)
        authors = [raiders[i % len(raiders)] if raiders else host for i in range(HISTORY)]
        ChatMessage.objects.bulk_create(
            ChatMessage(stream=host.stream, user=a, author_name=a.username, text="o/ raid!")
            for a in authors
        )
    sessions, store = [], import_module(settings.SESSION_ENGINE).SessionStore
    backend = settings.AUTHENTICATION_BACKENDS[0]
    for raider in raiders:
        session = store()
        session[SESSION_KEY], session[BACKEND_SESSION_KEY] = str(raider.pk), backend
        session[HASH_SESSION_KEY] = raider.get_session_auth_hash()
        session.create()
        sessions.append(session.session_key)
    return host, sessions


class Audience:
    """The host's identity publishing a synthetic camera (as Ingress publishes OBS), and
    `count` real rtc viewers with guest tokens from the site, who collect the chat."""

    def __init__(self) -> None:
        self.clients: list[RtcClient] = []

    def join(self, port: int, host, count: int) -> None:
        from django.conf import settings

        from streams import rooms

        room, publisher = rooms.room_name(host.pk), rooms.publisher_identity(host.pk)
        ws_url = settings.LIVEKIT_WS_URL
        keys = {"api_key": settings.LIVEKIT_API_KEY, "api_secret": settings.LIVEKIT_API_SECRET}
        token = publisher_token(**keys, room=room, identity=publisher, name=host.username)
        self.clients.append(RtcClient(ws_url, token).connect())
        self.clients[0].publish_video()
        for _ in range(count):
            status, body = common.request(port, f"/api/stream/token/{host.pk}")
            if status != 200:
                raise RuntimeError(f"a viewer token: HTTP {status}: {body[:200]!r}")
            self.clients.append(RtcClient(ws_url, json.loads(body)["token"]).connect())
        for viewer in self.viewers:
            if not viewer.wait_for(lambda v=viewer: publisher in v.remote_identities(), 15):
                raise RuntimeError("an rtc viewer does not see the publisher")

    @property
    def viewers(self) -> list[RtcClient]:
        return self.clients[1:]

    def chat_seen(self) -> list[set[str]]:
        """The chat texts each viewer received."""
        seen = []
        for viewer in self.viewers:
            packets = (json.loads(r.payload) for r in list(viewer.received) if r.topic == "chat")
            seen.append({p.get("text") for p in packets if p.get("type") == "message"})
        return seen

    def close(self) -> None:
        for client in self.clients:
            with contextlib.suppress(Exception):  # a client that lost its room
                client.close()


def postgres_pid() -> int | None:
    """The PostgreSQL server's main process (its backends are its children), when local."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    proc = common.process_table().get(backend)
    return proc.ppid if proc else None


def raid(config: dict, meter: common.CpuMeter, timeout: float) -> list[dict]:
    """Run the locustfile's arrival rates; each rate's figures as it ends, with the cores
    each process tree kept busy meanwhile. Stopped after `timeout` seconds whatever happens."""
    common.OUT_DIR.mkdir(parents=True, exist_ok=True)
    (path := common.OUT_DIR / "load-config.json").write_text(json.dumps(config))
    steps, began, before = [], 0.0, meter.snapshot()
    with (common.OUT_DIR / "locust.log").open("wb") as log_file:
        locust = subprocess.Popen(
            [sys.executable, LOCUSTFILE, path], stdout=subprocess.PIPE, stderr=log_file, text=True
        )
        watchdog = threading.Timer(timeout, locust.kill)
        watchdog.start()
        meter.roots["locust"] = locust.pid
        try:
            for line in locust.stdout:
                event = json.loads(line)
                if event["event"] == "start":
                    log(f"{event['rate']:g} viewers arriving per second")
                    before, began = meter.snapshot(), time.perf_counter()
                else:
                    steps.append(summarize(event, meter.busy_since(before, began)))
                    log(progress(steps[-1]))
        finally:
            watchdog.cancel()
            if locust.poll() is None:
                locust.kill()
            locust.wait(timeout=10)
    if locust.returncode:
        raise RuntimeError(
            f"Locust exited with status {locust.returncode}: see bench/out/locust.log"
        )
    return steps


def summarize(step: dict, cores: common.Usage) -> dict:
    """One rate's figures: per endpoint requests, requests per second, p50/p95/p99 (seconds)
    and failures; in all, requests per second, the worst p95, errors by kind."""
    endpoints, wall = {}, step["wall"]
    for name in ENDPOINTS:
        seconds = [value / 1000 for value in step["latencies"].get(name, [])]
        failed = sum(step["errors"].get(name, {}).values())
        if seconds or failed:
            figures = {f"p{q}": percentile(seconds, q / 100) for q in (50, 95, 99)}
            endpoints[name] = {"requests": len(seconds), "rps": len(seconds) / wall, **figures}
            endpoints[name]["errors"] = failed
    errors = {
        f"{name}: {kind}": n for name, kinds in step["errors"].items() for kind, n in kinds.items()
    }
    worst = max((e["p95"] for e in endpoints.values() if e["requests"]), default=float("nan"))
    return {
        **{key: step[key] for key in ("rate", "arrived", "finished", "sent")},
        "arriving": step["arrived"] / max(step["spawning"], 1e-9),  # what Locust kept up
        "rps": sum(e["requests"] for e in endpoints.values()) / wall,
        "wall": wall,
        "worst_p95": worst,
        "errors": errors,
        "admitted": not errors and worst < P95_BUDGET,
        "endpoints": endpoints,
        "cores": cores,
    }


def progress(summary: dict) -> str:
    errors = sum(summary["errors"].values())
    return (
        f"  {summary['arrived']} viewers, {summary['finished']} finished, "
        f"{summary['rps']:.0f} requests/s, worst p95 {ms(summary['worst_p95'], 0)} ms, "
        f"{errors} errors, {len(summary['sent'])} chat messages sent"
    )


def count_chat(summaries: list[dict], audience: Audience, grace: float) -> None:
    """Each rate's chat: sent (201), saved (rows) and delivered to each sampled viewer, once
    every viewer has every message or `grace` seconds have passed."""
    from streams.models import ChatMessage

    sent = set().union(*(s["sent"] for s in summaries))
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and not all(sent <= seen for seen in audience.chat_seen()):
        time.sleep(0.2)
    seen = audience.chat_seen()
    rows = ChatMessage.objects.filter(stream__user__username=HOST, text__startswith="raid-")
    saved = set(rows.values_list("text", flat=True))
    for summary in summaries:
        mine = set(summary["sent"])
        summary["chat"] = {
            "sent": len(mine),
            "saved": len(mine & saved),
            "delivered": [len(mine & got) for got in seen],  # per sampled viewer
        }


def report(summaries: list[dict], subscribers: int) -> None:
    out(f"1. By arrival rate (delivered: the fewest that one of {subscribers} rtc viewers got)")
    rows = []
    for s in summaries:
        chat = s["chat"]
        figures = [f"{s['arriving']:.0f}", s["arrived"], s["finished"], f"{s['rps']:.0f}"]
        figures += [ms(s["worst_p95"], 0), sum(s["errors"].values()), chat["sent"], chat["saved"]]
        rows.append(
            [
                f"{s['rate']:g}",
                *figures,
                min(chat["delivered"], default="-"),
                "yes" if s["admitted"] else "no",
            ]
        )
    header = ["arriving/s", "achieved/s", "viewers", "finished", "req/s", "worst p95 ms"]
    common.table([*header, "errors", "chat sent", "saved", "delivered", "admitted"], rows)
    out("\n2. By endpoint (ms; failed requests included)")
    rows = [
        [f"{s['rate']:g}", name, e["requests"], f"{e['rps']:.1f}"]
        + [ms(e[q], 0) for q in ("p50", "p95", "p99")]
        + [e["errors"]]
        for s in summaries
        for name, e in s["endpoints"].items()
    ]
    common.table(
        ["arriving/s", "endpoint", "requests", "req/s", "p50", "p95", "p99", "errors"], rows, left=2
    )
    out("\n3. Cores busy while viewers arrived and finished")
    for s in summaries:
        out(f"   {s['rate']:g}/s: {common.cores(s['cores'])}")
    print_cost(summaries)
    failing = [s for s in summaries if s["errors"]]
    if failing:
        out("\nerrors by kind:")
    for s in failing:
        out(f"   {s['rate']:g}/s: {', '.join(f'{k} x{n}' for k, n in s['errors'].items())}")
    best = max((s["rate"] for s in summaries if s["admitted"]), default=None)
    admits = (
        "none of the rates measured" if best is None else f"{best:g} viewers arriving per second"
    )
    out(f"\nadmitted (0 errors, every endpoint's p95 under {P95_BUDGET * 1000:.0f} ms): {admits}")


def print_cost(summaries: list[dict]) -> None:
    """CPU per viewer on the site's side at the lowest rate every viewer finished, and how
    many arrivals per second this machine's cores would serve at that cost, left to the site."""
    done = [s for s in summaries if s["finished"] == s["arrived"] > 0]
    if not done:
        return
    s = done[0]
    cost = {name: busy * s["wall"] / s["arrived"] for name, (busy, _) in s["cores"].items()}
    site = sum(cost.get(name, 0.0) for name in ("gunicorn", "postgres", "livekit-server"))
    each = ", ".join(f"{name} {ms(seconds)}" for name, seconds in cost.items())
    out(f"\nCPU ms per viewer at {s['rate']:g}/s: {each}")
    out(
        f"the site's share (gunicorn, PostgreSQL, livekit-server: {ms(site)} ms) on all "
        f"{os.cpu_count()} cores alone: at most {os.cpu_count() / site:.0f} arrivals per second"
    )


def main(argv: list[str]) -> None:
    quick = {"rates": "20,80", "seconds": 5.0, "drain": 10.0, "subscribers": 3}
    args = common.parse_args(
        __doc__,
        argv,
        quick,
        rates="20,40,80,120,200,300",
        seconds=10.0,
        drain=20.0,
        logged_in=0.2,
        accounts=200,
        subscribers=8,
        workers=2,
        pg_url="",
        database="loadbench",
        json="",
        ceiling=0,
    )
    from django.conf import settings

    livekit, web_port, pg_version = common.start_site(args)
    log(f"seed: {HOST}, live, and {args.accounts} raiders with a session each")
    host, sessions = seed(args.accounts)
    software = common.versions("django", "gunicorn", "psycopg", "locust", "livekit")
    software += [f"PostgreSQL {pg_version}", common.first_line([str(LIVEKIT_SERVER), "--version"])]
    site = f"gunicorn -w {args.workers} (sync workers, production settings) on PostgreSQL, "
    common.print_header(args, software, site + "livekit-server, Locust: all on 127.0.0.1")
    rates = [float(rate) for rate in args.rates.split(",")]
    audience = Audience()
    with (
        LiveKitStack(livekit, common.OUT_DIR / "load-livekit") as stack,
        common.gunicorn(args.workers, web_port, "load-gunicorn.log") as (port, pid),
    ):
        try:
            log(f"a publisher and {args.subscribers} rtc viewers join the room")
            audience.join(port, host, args.subscribers)
            config = {"base_url": f"http://127.0.0.1:{port}", "channel": HOST}
            config |= {"host_id": str(host.pk), "session_cookie": settings.SESSION_COOKIE_NAME}
            config |= {"sessions": sessions, "logged_in": args.logged_in, "rates": rates}
            config |= {"seconds": args.seconds, "drain": args.drain}
            if args.ceiling:  # every request goes to /robots.txt: these paths are not asked
                static = {"/static/a.css": "css", "/static/a.js": "js"}
                config |= {"ceiling": True, "static": static}
            roots = {"gunicorn": pid, "postgres": postgres_pid(), "redis": stack.redis.pid}
            roots |= {"livekit-server": stack.servers[0].process.pid, "bench (rtc)": os.getpid()}
            meter = common.CpuMeter({name: pid for name, pid in roots.items() if pid})
            summaries = raid(config, meter, len(rates) * (args.seconds + args.drain + 45) + 30)
            count_chat(summaries, audience, grace=10)
        finally:
            audience.close()
    report(summaries, args.subscribers)
    if args.json:
        Path(args.json).write_text(json.dumps(summaries, indent=1))


if __name__ == "__main__":
    common.run_main(main)
