"""How many viewers a machine admits: a raid arrives on one live channel, through the proxy.

The site as production serves it: nginx in front (deploy/nginx.conf, devservers.proxy: static
files from disk, a short-lived cache of what Django marks public) and gunicorn (sync workers,
production settings) on PostgreSQL behind it, with the real livekit-server and Redis, on free
ports of 127.0.0.1. The host's own identity publishes a synthetic camera into the room, as
Ingress would, and a sample of real rtc viewers watches. Locust (bench/locustfile.py, its own
process) brings the raid: at each arrival rate, that many new viewers per second, each loading
the channel page with its CSS and JavaScript, the stream info, a token and the chat history
(and, as the page does after a history a shared cache may have kept, once more when that copy
has expired); a share of them are logged in and also chat. The site's processes (nginx, gunicorn,
PostgreSQL, livekit-server, Redis) run on one half of the cores, Locust and the rtc sample on
the other (taskset), or the output says why not.

Side by side in one run, the same ladder of rates is climbed twice, a rate of each in turn,
each until its first rate not admitted (an error, or an endpoint's p95 over 500 ms): by the
viewer, and by the ceiling, the same viewers sending every request to /robots.txt through the
proxy (never cached: Django answers each through its whole middleware stack). Printed: per
rate and endpoint, requests, p50/p95/p99 and errors, chat messages sent (201), saved (rows) and
delivered (to each sampled viewer), who answered (the proxy's cache, gunicorn, nginx's static
files: from nginx's access log); at a rate both admitted, CPU ms per arriving viewer of each
process and CPU ms per request of each Django view (streamsite_http_request_cpu_seconds from
/metrics); the highest rate each admitted and their ratio.

`.venv/bin/python bench/load.py [--quick]`; see bench/README.md. Options: --rates (the ladder,
viewers arriving per second, comma-separated), --seconds of arrivals per rate, --drain
(seconds the last viewers get to finish), --logged-in (share of viewers), --accounts
(logged-in users), --subscribers (rtc viewers counting chat), --workers (gunicorn's),
--pg-url (a PostgreSQL server, scripts/postgres.sh's when not given), --database (recreated),
--json (a file for the figures), --ceiling 0 (the viewer's ladder only).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter, defaultdict
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
ENDPOINTS += ["chat history", "chat again", "chat post", "viewer"]  # "viewer": one unfinished
MODES = {False: "viewer", True: "ceiling"}
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
LOG_LAG = 0.3  # seconds: nginx writes a request's log line just after the client has its answer
SITE = ["nginx", "gunicorn", "postgres", "livekit-server", "redis"]  # the site's processes


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


class Raid:
    """Locust in its own process (pinned to the load's cores), taking one step at a time:
    `step(rate, ceiling)` returns that step's figures, with what each process used meanwhile,
    what Django's views used (a /metrics scrape before and after) and who answered (nginx's
    access log). Killed after `timeout` seconds whatever happens."""

    def __init__(
        self,
        config: dict,
        meter: common.CpuMeter,
        site: Site,
        pinning: common.Pinning,
        timeout: float,
    ) -> None:
        common.OUT_DIR.mkdir(parents=True, exist_ok=True)
        (path := common.OUT_DIR / "load-config.json").write_text(json.dumps(config))
        self.meter, self.site = meter, site
        self.site_cpus = pinning.site if not pinning.reason else sorted(os.sched_getaffinity(0))
        self.log_file = (common.OUT_DIR / "locust.log").open("wb")
        self.locust = subprocess.Popen(
            [sys.executable, LOCUSTFILE, path],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log_file,
            text=True,
        )
        self.watchdog = threading.Timer(timeout, self.locust.kill)
        self.watchdog.start()
        meter.roots["locust"] = self.locust.pid
        try:
            pinning.pin(self.locust.pid, pinning.load)
            self._next("ready")  # warmed up
        except BaseException:
            self.close()
            raise

    def step(self, rate: float, ceiling: bool) -> dict:
        self._send(json.dumps({"rate": rate, "ceiling": ceiling}))
        self._next("start")
        log(f"{MODES[ceiling]}: {rate:g} arriving per second")
        views, offset = self.site.views(), self.site.log_offset()
        before, began = self.meter.snapshot(), time.perf_counter()
        machine = common.cpu_times()
        self._send("go")
        event = self._next("done")
        cores = self.meter.busy_since(before, began)
        site_cores = common.cores_busy(machine, self.site_cpus)
        summary = summarize(event, cores)
        summary["site cores busy"] = site_cores
        time.sleep(LOG_LAG)
        summary["views"] = views_since(views, self.site.views())
        summary["answered"] = answered(self.site.access_log, offset)
        log(progress(summary))
        return summary

    def _send(self, line: str) -> None:
        self.locust.stdin.write(line + "\n")
        self.locust.stdin.flush()

    def _next(self, kind: str) -> dict:
        line = self.locust.stdout.readline()
        if not line:
            self.locust.wait(timeout=10)
            raise RuntimeError(
                f"Locust exited with status {self.locust.returncode}: see bench/out/locust.log"
            )
        event = json.loads(line)
        if event["event"] != kind:
            raise RuntimeError(f"Locust said {event['event']!r}, expected {kind!r}")
        return event

    def close(self) -> None:
        self.watchdog.cancel()
        with contextlib.suppress(OSError):
            self.locust.stdin.write("quit\n")
            self.locust.stdin.close()
        try:
            self.locust.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.locust.kill()
            self.locust.wait(timeout=10)
        self.log_file.close()


def climb(raid: Raid, rates: list[float], modes: list[bool]) -> list[dict]:
    """The ladder of `rates`, a rate of each mode in turn; a mode stops climbing after its
    first rate not admitted."""
    steps, climbing = [], list(modes)
    for rate in rates:
        for ceiling in list(climbing):
            steps.append(raid.step(rate, ceiling))
            if not steps[-1]["admitted"]:
                climbing.remove(ceiling)
        if not climbing:
            break
    return steps


class Site:
    """What the bench reads from the running site: gunicorn's /metrics (per view) and nginx's
    access log (who answered)."""

    def __init__(self, gunicorn_port: int, token: str, access_log: Path) -> None:
        self.url = f"http://127.0.0.1:{gunicorn_port}/metrics"
        self.token, self.access_log = token, access_log

    def views(self) -> dict[tuple[str, str], dict[str, float]]:
        """Per (method, view): requests, CPU seconds and wall seconds so far (every worker's:
        PROMETHEUS_MULTIPROC_DIR)."""
        from prometheus_client.parser import text_string_to_metric_families

        request = urllib.request.Request(
            self.url, headers={"Authorization": f"Bearer {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            text = answer.read().decode()
        names = {
            "streamsite_http_requests_total": "requests",
            "streamsite_http_request_cpu_seconds_total": "cpu",
            "streamsite_http_request_duration_seconds_sum": "wall",
        }
        views: dict[tuple[str, str], dict[str, float]] = defaultdict(Counter)
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name in names:
                    key = (sample.labels["method"], sample.labels["view"])
                    views[key][names[sample.name]] += sample.value
        return views

    def log_offset(self) -> int:
        return self.access_log.stat().st_size if self.access_log.exists() else 0


def views_since(before: dict, after: dict) -> dict[str, dict[str, float]]:
    """Per "METHOD view", what happened between two scrapes (the scrape itself left out)."""
    grown = {}
    for (method, view), figures in after.items():
        was = before.get((method, view), {})
        delta = {name: value - was.get(name, 0.0) for name, value in figures.items()}
        if view != "metrics" and delta.get("requests", 0) > 0:
            grown[f"{method} {view}"] = delta
    return grown


ANSWERERS = ["proxy cache", "gunicorn", "nginx"]
ENDPOINT_PATHS = [  # the first that matches a request's path names its endpoint
    (re.compile(r"^/static/.*\.css$"), "static css"),
    (re.compile(r"^/static/.*\.js$"), "static js"),
    (re.compile(r"^/static/"), "static other"),
    (re.compile(r"^/api/stream/token/"), "token"),
    (re.compile(r"^/api/stream/[^/]+/chat$"), "chat"),
    (re.compile(r"^/api/stream/[^/]+$"), "stream info"),
    (re.compile(r"^/robots\.txt$"), "robots.txt"),
    (re.compile(r"^/[^/]+/$"), "channel page"),
]


def answered(access_log: Path, offset: int) -> dict[str, Counter[str]]:
    """Per endpoint, how many requests nginx's access log (deploy/nginx.conf's format) shows
    answered from the proxy's cache, by gunicorn, or by nginx alone (files on disk) since
    `offset`."""
    from devservers import proxy

    counts: dict[str, Counter[str]] = defaultdict(Counter)
    with contextlib.suppress(FileNotFoundError), access_log.open("rb") as lines:
        lines.seek(offset)
        for raw in lines:
            if not (entry := proxy.LOG_LINE.match(raw.decode(errors="replace"))):
                continue
            method, path = [*entry["request"].split(), "", ""][:2]
            path = path.split("?", 1)[0]
            name = next((n for pattern, n in ENDPOINT_PATHS if pattern.match(path)), "other")
            if name == "chat":
                name = "chat post" if method == "POST" else "chat history"
            if entry["cache"] in proxy.FROM_CACHE:
                counts[name]["proxy cache"] += 1
            elif entry["urt"] != "-" or entry["cache"] != "-":
                counts[name]["gunicorn"] += 1
            else:
                counts[name]["nginx"] += 1
    return counts


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
        "mode": MODES[step["ceiling"]],
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


def report(steps: list[dict], subscribers: int, pinning: common.Pinning) -> None:
    site_names = "the site (nginx, gunicorn, PostgreSQL, livekit-server, Redis)"
    out(f"cores: {pinning.describe(site_names, 'Locust and the rtc sample')}\n")
    out(f"1. By arrival rate (delivered: the fewest that one of {subscribers} rtc viewers got)")
    rows = []
    for s in steps:
        chat = s.get("chat", {"sent": "-", "saved": "-", "delivered": []})
        totals = Counter()
        for counts in s["answered"].values():
            totals.update(counts)
        figures = [f"{s['arriving']:.0f}", s["arrived"], s["finished"], f"{s['rps']:.0f}"]
        figures += [ms(s["worst_p95"], 0), sum(s["errors"].values()), chat["sent"], chat["saved"]]
        figures += [min(chat["delivered"], default="-")]
        figures += [totals[name] for name in ANSWERERS]
        rows.append([s["mode"], f"{s['rate']:g}", *figures, "yes" if s["admitted"] else "no"])
    header = ["mode", "arriving/s", "achieved/s", "viewers", "finished", "req/s", "worst p95 ms"]
    header += ["errors", "chat sent", "saved", "delivered", "from cache", "gunicorn", "nginx"]
    common.table([*header, "admitted"], rows)
    out("\n2. By endpoint (ms; failed requests included)")
    rows = [
        [s["mode"], f"{s['rate']:g}", name, e["requests"], f"{e['rps']:.1f}"]
        + [ms(e[q], 0) for q in ("p50", "p95", "p99")]
        + [e["errors"]]
        for s in steps
        for name, e in s["endpoints"].items()
    ]
    header = ["mode", "arriving/s", "endpoint", "requests", "req/s", "p50", "p95", "p99"]
    common.table([*header, "errors"], rows, left=3)
    out("\n3. Cores busy while viewers arrived and finished (the site's cores: by anyone)")
    for s in steps:
        busy = f"the site's cores {s['site cores busy']:.2f}"
        out(f"   {s['mode']} {s['rate']:g}/s: {busy}; {common.cores(s['cores'])}")
    failing = [s for s in steps if s["errors"]]
    if failing:
        out("\nerrors by kind:")
    for s in failing:
        errors = ", ".join(f"{k} x{n}" for k, n in s["errors"].items())
        out(f"   {s['mode']} {s['rate']:g}/s: {errors}")
    pair = compared(steps)
    if pair:
        print_cost(*pair, len(pinning.site) if not pinning.reason else os.cpu_count() or 1)
        print_views(*pair)
        print_answered(*pair)
    print_admitted(steps)


def compared(steps: list[dict]) -> tuple[dict, dict | None] | None:
    """The viewer's and the ceiling's steps at one rate to set side by side: the highest rate
    both admitted, else the lowest both ran with every viewer finished (the viewer's alone
    when the ceiling was not run)."""
    done = [s for s in steps if s["finished"] == s["arrived"] > 0]
    by_rate = defaultdict(dict)
    for s in done:
        by_rate[s["rate"]][s["mode"]] = s
    if not any(s["mode"] == "ceiling" for s in steps):
        viewer = [s for s in done if s["mode"] == "viewer"]
        return (viewer[0], None) if viewer else None
    both = [pair for _, pair in sorted(by_rate.items()) if len(pair) == 2]
    if not both:
        return None
    admitted = [p for p in both if p["viewer"]["admitted"] and p["ceiling"]["admitted"]]
    pair = admitted[-1] if admitted else both[0]
    return pair["viewer"], pair["ceiling"]


def print_cost(viewer: dict, ceiling: dict | None, cores: int) -> None:
    """CPU per arriving viewer of each process tree, the site's share of it, and how many
    arrivals per second the site's `cores` would serve at that cost, kept busy."""
    columns = [s for s in (viewer, ceiling) if s]
    costs = [
        {name: busy * s["wall"] / s["arrived"] for name, (busy, _) in s["cores"].items()}
        for s in columns
    ]
    out(f"\n4. CPU ms per arriving viewer at {viewer['rate']:g}/s")
    names = list(dict.fromkeys(name for cost in costs for name in cost))
    rows = [[name, *(ms(cost.get(name)) for cost in costs)] for name in names]
    site = [sum(cost.get(name, 0.0) for name in SITE) for cost in costs]
    rows.append(["the site (" + ", ".join(SITE) + ")", *(ms(share) for share in site)])
    common.table(["process", *(s["mode"] for s in columns)], rows)
    most = [cores / share if share else float("nan") for share in site]
    line = f"   at that cost the site's {cores} core(s) serve at most {most[0]:.0f} viewers/s"
    if ceiling:
        line += f", the ceiling's {most[1]:.0f}/s: ratio {site[1] / site[0]:.2f} (CPU alone)"
    out(line)


def print_views(viewer: dict, ceiling: dict | None) -> None:
    """CPU and wall time per request of each Django view (the metrics middleware's counters),
    and gunicorn's CPU per request it answered (its own HTTP handling included)."""
    out(f"\n5. Django, per request at {viewer['rate']:g}/s (CPU and wall ms inside the middleware)")
    rows = []
    for s in (viewer, ceiling):
        if s is None:
            continue
        for name, v in sorted(s["views"].items(), key=lambda item: -item[1]["cpu"]):
            n = v["requests"]
            rows.append([s["mode"], name, f"{n:.0f}", ms(v["cpu"] / n, 2), ms(v["wall"] / n, 2)])
        answered_by_gunicorn = sum(c["gunicorn"] for c in s["answered"].values())
        if answered_by_gunicorn and "gunicorn" in s["cores"]:
            busy = s["cores"]["gunicorn"][0] * s["wall"]
            cpu = ms(busy / answered_by_gunicorn, 2)
            rows.append([s["mode"], "(gunicorn's processes, all)", answered_by_gunicorn, cpu, ""])
    common.table(["mode", "view", "requests", "CPU ms", "wall ms"], rows, left=2)


def print_answered(viewer: dict, ceiling: dict | None) -> None:
    out(f"\n6. Who answered, per endpoint at {viewer['rate']:g}/s (nginx's access log)")
    rows = [
        [s["mode"], name, *(counts[a] for a in ANSWERERS)]
        for s in (viewer, ceiling)
        if s is not None
        for name, counts in sorted(s["answered"].items())
    ]
    common.table(["mode", "endpoint", *ANSWERERS], rows, left=2)


def print_admitted(steps: list[dict]) -> None:
    """The highest rate each mode admitted ("at least" when it was the ladder's last) and the
    ratio of the viewer's to the ceiling's."""
    best = {}
    for mode in MODES.values():
        mine = [s for s in steps if s["mode"] == mode]
        admitted = [s["rate"] for s in mine if s["admitted"]]
        if mine:
            best[mode] = (max(admitted, default=0.0), all(s["admitted"] for s in mine))
    saturated = {
        f"{s['mode']} {s['rate']:g}/s" for s in steps if s["cores"].get("locust", (0.0, 0))[0] > 0.9
    }
    out(f"\nadmitted (0 errors, every endpoint's p95 under {P95_BUDGET * 1000:.0f} ms):")
    for mode, (rate, top) in best.items():
        said = "none of the rates measured" if not rate else f"{rate:g} viewers arriving per second"
        out(f"   {mode}: {'at least ' if top and rate else ''}{said}")
    if len(best) == 2 and best["ceiling"][0]:
        ratio = best["viewer"][0] / best["ceiling"][0]
        out(f"   ratio viewer / ceiling: {ratio:.2f} (the rates are the ladder's steps)")
    if saturated:
        out(f"   Locust kept a core busy at {', '.join(sorted(saturated))}: the load may be short")


def nginx_version() -> str:
    from devservers import proxy

    binary = proxy.nginx_binary()
    if binary is None:
        raise SystemExit(proxy.MISSING)
    said = subprocess.run([binary, "-v"], capture_output=True, text=True).stderr.strip()
    return said.removeprefix("nginx version: ").replace("/", " ")


def main(argv: list[str]) -> None:
    quick = {"rates": "20,40,80,160,320,640", "seconds": 4.0, "drain": 10.0, "subscribers": 3}
    args = common.parse_args(
        __doc__,
        argv,
        quick,
        rates="20,30,40,60,80,120,160,240,320,480,640,960",
        seconds=10.0,
        drain=20.0,
        logged_in=0.2,
        accounts=200,
        subscribers=8,
        workers=2,
        pg_url="",
        database="loadbench",
        json="",
        ceiling=1,
    )
    from django.conf import settings

    from devservers import proxy

    nginx_said = nginx_version()  # before anything starts: is it there at all?
    metrics_dir, token = common.OUT_DIR / "load-metrics", os.urandom(16).hex()
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    livekit, web_port, pg_version = common.start_site(
        args,
        METRICS_TOKEN=token,
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        DJANGO_TRUSTED_PROXY_COUNT="1",  # nginx in front appends the viewer's address
    )
    log(f"seed: {HOST}, live, and {args.accounts} raiders with a session each")
    host, sessions = seed(args.accounts)
    software = common.versions("django", "gunicorn", "psycopg", "locust", "livekit")
    software += [f"PostgreSQL {pg_version}", common.first_line([str(LIVEKIT_SERVER), "--version"])]
    software += [nginx_said]
    site = f"nginx in front of gunicorn -w {args.workers} (sync workers, production settings) "
    common.print_header(args, software, site + "on PostgreSQL, livekit-server, Locust: 127.0.0.1")
    rates = [float(rate) for rate in args.rates.split(",")]
    modes = [False, True] if args.ceiling else [False]
    audience, pinning, steps = Audience(), common.Pinning(), []
    with (
        LiveKitStack(livekit, common.OUT_DIR / "load-livekit") as stack,
        common.gunicorn(args.workers, web_port, "load-gunicorn.log") as (port, pid),
        proxy.nginx(
            port,
            static_root=settings.STATIC_ROOT,
            media_root=settings.MEDIA_ROOT,
            out_dir=common.OUT_DIR / "load-nginx",
        ) as nginx,
    ):
        roots = {"nginx": nginx.pid, "gunicorn": pid, "postgres": postgres_pid()}
        roots |= {"livekit-server": stack.servers[0].process.pid, "redis": stack.redis.pid}
        roots = {name: pid for name, pid in roots.items() if pid}
        try:
            for root in roots.values():
                pinning.pin(root, pinning.site)
            log(f"a publisher and {args.subscribers} rtc viewers join the room")
            audience.join(nginx.port, host, args.subscribers)
            pinning.pin(os.getpid(), pinning.load, tree=False)  # the rtc sample's threads
            config = {"base_url": f"http://127.0.0.1:{nginx.port}", "channel": HOST}
            config |= {"host_id": str(host.pk), "session_cookie": settings.SESSION_COOKIE_NAME}
            config |= {"sessions": sessions, "logged_in": args.logged_in}
            config |= {"seconds": args.seconds, "drain": args.drain}
            config["public_cache_seconds"] = settings.PUBLIC_CACHE_SECONDS
            meter = common.CpuMeter({**roots, "bench (rtc)": os.getpid()})
            timeout = len(rates) * len(modes) * (args.seconds + args.drain + 45) + 60
            raid = Raid(config, meter, Site(port, token, nginx.access_log), pinning, timeout)
            try:
                steps = climb(raid, rates, modes)
            finally:
                raid.close()
            count_chat([s for s in steps if s["mode"] == "viewer"], audience, grace=10)
        finally:
            audience.close()
            pinning.restore()
    report(steps, args.subscribers, pinning)
    if args.json:
        Path(args.json).write_text(json.dumps(steps, indent=1))


if __name__ == "__main__":
    common.run_main(main)
