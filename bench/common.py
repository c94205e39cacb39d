"""What the bench scripts share: output and tables, percentiles, the machine description,
`--quick`, stopping on Ctrl-C, the site as production serves it (gunicorn on PostgreSQL), CPU
use and resident memory from /proc, and a viewer whose probe sees the player's first frame."""

from __future__ import annotations

import argparse
import contextlib
import gzip
import http.client
import importlib.metadata
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import namedtuple
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "bench" / "out"


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def out(line: str = "") -> None:
    print(line, flush=True)


def request(port: int, path: str, body: bytes | None = None, **headers: str) -> tuple[int, bytes]:
    """One request to 127.0.0.1 on a new connection, a POST when there is a body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST" if body else "GET", path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


PRODUCTION = """DJANGO_SETTINGS_MODULE=streamsite.settings DJANGO_DEBUG=false DJANGO_CONN_MAX_AGE=60
DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost DJANGO_SECURE_SSL_REDIRECT=false DJANGO_SERVE_MEDIA=false
DJANGO_LOG_LEVEL=WARNING LIVEKIT_API_KEY=benchkey GUNICORN_CMD_ARGS="""


def production_site(database: str, pg_url: str = "", **settings: str) -> str:
    """The site as production serves it (DEBUG off, plain HTTP on 127.0.0.1): a new `database`
    on `pg_url`'s PostgreSQL (scripts/postgres.sh's by default) migrated, static files, settings
    (given ones win over the .env file), new secrets; returns the server's version."""
    import django.core.management
    import psycopg

    pg_url = pg_url or subprocess.check_output([ROOT / "scripts/postgres.sh", "start"], text=True)
    server = urlsplit(pg_url.split()[-1])
    with psycopg.connect(urlunsplit(server._replace(path="/postgres")), autocommit=True) as db:
        (version,) = db.execute("SHOW server_version").fetchone() or ("?",)
        for statement in ("DROP DATABASE IF EXISTS {} WITH (FORCE)", "CREATE DATABASE {}"):
            db.execute(psycopg.sql.SQL(statement).format(psycopg.sql.Identifier(database)))
    os.environ.update(setting.split("=", 1) for setting in PRODUCTION.split())
    os.environ |= {key: os.urandom(24).hex() for key in ("DJANGO_SECRET_KEY", "LIVEKIT_API_SECRET")}
    os.environ.update(DATABASE_URL=urlunsplit(server._replace(path=f"/{database}")), **settings)
    django.setup()
    for command in ("migrate", "collectstatic"):
        django.core.management.call_command(command, interactive=False, verbosity=0)
    return str(version)


def start_site(args: argparse.Namespace, **settings: str) -> tuple[Any, int, str]:
    """production_site on `args.database` (and `args.pg_url`), its settings pointing at a
    livekit-server on free ports (started later) whose webhooks go to a free port for
    gunicorn: that LiveKitConfig, that port and the PostgreSQL version. `settings` are added."""
    from devservers.servers import LiveKitConfig, free_port

    web_port, key, secret = free_port(), "benchkey", os.urandom(27).hex()
    webhook = f"http://127.0.0.1:{web_port}/api/webhook/livekit"
    livekit = LiveKitConfig.on_free_ports(api_key=key, api_secret=secret, webhook_url=webhook)
    log(f"PostgreSQL: recreate {args.database}, migrate, collectstatic")
    version = production_site(
        args.database,
        args.pg_url,
        LIVEKIT_URL=livekit.url,
        LIVEKIT_WS_URL=livekit.ws_url,
        LIVEKIT_API_KEY=key,
        LIVEKIT_API_SECRET=secret,
        **settings,
    )
    return livekit, web_port, version


@contextlib.contextmanager
def gunicorn(
    workers: int,
    port: int = 0,
    log_name: str = "gunicorn.log",
    app: str = "streamsite.wsgi",
    env: dict[str, str] | None = None,
    cwd: Path = ROOT,
    options: Iterable[str] = (),
) -> Iterator[tuple]:
    """gunicorn (sync workers) serving `app` of the checkout `cwd` on `port` (a free one by
    default) of 127.0.0.1, logging to bench/out/, with `env` added to this process's
    environment and `options` to its command line: its port and pid; stopped at the end. No
    control socket: ~/.gunicorn is shared."""
    from devservers.servers import free_port, wait_until

    def answers() -> bool | None:
        with contextlib.suppress(OSError):
            return request(port, "/robots.txt")[0] == 200

    port = port or free_port()
    command = [Path(sys.executable).with_name("gunicorn"), app, "--no-control-socket"]
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    with (OUT_DIR / log_name).open("wb") as log_file:
        command += ["-w", str(workers), "-b", f"127.0.0.1:{port}", *options]
        environment = os.environ | (env or {})
        server = subprocess.Popen(
            command, cwd=cwd, env=environment, stdout=log_file, stderr=log_file
        )
        try:
            wait_until(answers, 30, "gunicorn", server)
            yield port, server.pid
        finally:
            server.terminate()
            server.wait(timeout=30)


# Figures and tables -----------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest rank (with 30 samples p99 is the largest one); NaN without samples."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ms(seconds: float | None, digits: int = 1) -> str:
    """Seconds as milliseconds; '-' for a figure that is missing (None or NaN)."""
    return "-" if seconds is None or seconds != seconds else f"{seconds * 1000:.{digits}f}"


def table(header: list[str], rows: Iterable[list[Any]], left: int = 1) -> None:
    """Rows under a header and a rule, each column as wide as its widest cell: the first
    `left` columns aligned left, the others (figures, at least 6 wide) right."""
    lines = [header, *([str(cell) for cell in row] for row in rows)]
    widths = [max(map(len, column)) for column in zip(*lines, strict=True)]
    widths = widths[:left] + [max(6, width) for width in widths[left:]]  # figures line up
    align = [str.ljust] * left + [str.rjust] * (len(widths) - left)
    for number, cells in enumerate(lines):
        padded = (a(c, w) for a, c, w in zip(align, cells, widths, strict=True))
        out("   " + " ".join(padded).rstrip())
        if number == 0:
            out("   " + "-" * (sum(widths) + len(widths) - 1))


# What a module script asks for: import ... from "./x.js" (loaded with it), import("./x.js")
# (loaded when the page's code gets there, e.g. on a click).
STATIC_IMPORT = re.compile(
    rb'(?:^|[;}\s])(?:import|export)\s*(?:[\w$*{},\s]+from\s*)?"(\.{1,2}/[^"]+)"'
)
LAZY_IMPORT = re.compile(rb'\bimport\("(\.{1,2}/[^"]+)"\)')


def _script(site: Any, url: str, kind: str) -> tuple[tuple[str, str, int, int], bytes]:
    path = urlsplit(url)
    status, body = request(site.web_port, path.path + (path.query and f"?{path.query}"))
    if status != 200:
        raise RuntimeError(f"GET {path.path} answered {status}")
    gzipped = len(gzip.compress(body, compresslevel=9, mtime=0))
    return (path.path, kind, len(body), gzipped), body


def page_scripts(site: Any, page: str, cookie: str = "") -> list[tuple[str, str, int, int]]:
    """(path, type, bytes, bytes gzipped at level 9) of each script `page` loads as `site` (a
    devservers.site.ThrowawaySite) serves it to the `cookie` given: its <script src> tags and
    what module scripts import (type "imported"), not what they load later with import()
    (lazy_scripts)."""
    status, html = request(site.web_port, page, **({"Cookie": cookie} if cookie else {}))
    if status != 200:
        raise RuntimeError(f"GET {page} answered {status}")
    scripts, seen = [], set()
    pending = []
    for tag in re.findall(r"<script\b[^>]*>", html.decode()):
        if src := re.search(r'\bsrc="([^"]+)"', tag):
            kind = re.search(r'\btype="([^"]+)"', tag)
            pending.append((urljoin(site.url + page, src[1]), kind[1] if kind else "classic"))
    while pending:
        url, kind = pending.pop(0)
        if url in seen:
            continue
        seen.add(url)
        script, body = _script(site, url, kind)
        scripts.append(script)
        if kind != "classic":
            pending += [(urljoin(url, m.decode()), "imported") for m in STATIC_IMPORT.findall(body)]
    return scripts


def lazy_scripts(
    site: Any, scripts: list[tuple[str, str, int, int]]
) -> list[tuple[str, str, int, int]]:
    """The modules `scripts` (page_scripts) load with import() when the page's code asks for
    them (type "import()"), and what those import in turn (type "imported")."""
    loaded = {path for path, *_ in scripts}
    found, pending = [], []
    for path, kind, *_ in scripts:
        if kind != "classic":
            body = _script(site, site.url + path, kind)[1]
            pending += [
                (urljoin(site.url + path, m.decode()), "import()")
                for m in LAZY_IMPORT.findall(body)
            ]
    while pending:
        url, kind = pending.pop(0)
        if urlsplit(url).path in loaded:
            continue
        loaded.add(urlsplit(url).path)
        script, body = _script(site, url, kind)
        found.append(script)
        pending += [(urljoin(url, m.decode()), "imported") for m in STATIC_IMPORT.findall(body)]
        pending += [(urljoin(url, m.decode()), "import()") for m in LAZY_IMPORT.findall(body)]
    return found


def print_page_js(
    what: str, page: str, scripts: list[tuple[str, str, int, int]], budget: int
) -> None:
    """A table of `page`'s scripts (page_scripts) and their total, and that total against the
    page's `budget` of gzipped bytes (1 kB = 1000 B)."""
    out(f"JavaScript the {what} loads (<script src> tags, each file fetched; gzip -9)")
    rows = [[page, *script] for script in scripts]
    rows.append([page, "total", "", *(sum(s[i] for s in scripts) for i in (2, 3))])
    header = ["page", "script", "type", "raw B", "gzip B"]
    table(header, ([*row[:3], f"{row[3]:,}", f"{row[4]:,}"] for row in rows), left=3)
    size = sum(s[3] for s in scripts)
    out(
        f"   {what}: {size:,} B gzipped = {size / budget:.1%} of its {budget // 1000} kB "
        f"budget ({budget:,} B), {abs(size - budget):,} B {'over' if size > budget else 'under'}\n"
    )


SPREAD = ["median", "min", "max", "n"]  # the columns of spread()


def spread(label: str, seconds: Iterable[float | None]) -> list[Any]:
    """A table row: median, min and max in ms of the values that are there, and how many."""
    found = [value for value in seconds if value is not None]
    figures = (statistics.median(found), min(found), max(found)) if found else (None,) * 3
    return [label, *(ms(figure, 0) for figure in figures), len(found)]


# The machine, the software, and the options every script takes ----------------------------------


def versions(*packages: str) -> list[str]:
    return [f"{package} {importlib.metadata.version(package)}" for package in packages]


def first_line(command: list[str]) -> str:
    """The first line a program prints (its version, say), or '?'."""
    with contextlib.suppress(OSError, subprocess.TimeoutExpired, IndexError):
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL
        )
        return done.stdout.strip().splitlines()[0]
    return "?"


def livekit_software() -> list[str]:
    """Versions of what a throwaway site runs besides Django: Chromium, Redis, livekit-server."""
    from devservers.media import CHROMIUM
    from devservers.servers import LIVEKIT_SERVER

    redis = first_line(["redis-server", "-v"]).split("v=")[-1].split()[0]
    chromium, livekit = (first_line([binary, "--version"]) for binary in (CHROMIUM, LIVEKIT_SERVER))
    return [chromium, f"Redis {redis}", livekit]


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def print_header(args: argparse.Namespace, software: list[str], site: str) -> None:
    """The machine (cores, CPU model, load average), the software, the site and the options."""
    models = re.findall(r"^model name\s*: (.*)$", Path("/proc/cpuinfo").read_text(), re.M)
    out(
        f"machine: {os.cpu_count()} cores ({len(os.sched_getaffinity(0))} usable), "
        f"{models[0] if models else '?'}, {platform.machine()}, load average {load_average()}"
    )
    out(f"software: Python {platform.python_version()}, {', '.join(software)}\nsite: {site}")
    given = (item for item in vars(args).items() if item[1] != "")
    shown = (f"--{name.replace('_', '-')} {value}" for name, value in given)
    out(f"parameters: {' '.join(shown)}\n")


def parse_args(doc: str, argv: list[str], quick: dict[str, Any], **options: Any) -> Any:
    """`--name value` for each option, of its default's type (`runs=7`: `--runs 7`), explained
    in the script's docstring; `--quick` lowers the defaults to `quick` (options given
    explicitly still win)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawTextHelpFormatter)
    for name, default in options.items():
        option, kind = f"--{name.replace('_', '-')}", type(default)
        parser.add_argument(option, type=kind, default=default, help=f"[{default}]")
    parser.add_argument("--quick", action="store_true", help=f"a first look: {quick}")
    if "--quick" in argv:
        parser.set_defaults(**quick)
    args = parser.parse_args(argv)
    del args.quick  # shown in the parameters it set
    return args


# Stopping on Ctrl-C or SIGTERM ------------------------------------------------------------------

FORCE_AFTER = 30.0  # seconds the `finally` blocks get to stop everything after a stop request


def run_main(main: Callable[[list[str]], object]) -> None:
    """Run a bench's main, then say how long it took. Ctrl-C or SIGTERM raise
    KeyboardInterrupt, so its `finally` blocks stop the clients and servers. A Playwright call
    interrupted half-way can leave the browser's own cleanup waiting forever: a second signal,
    or FORCE_AFTER seconds, then end every process this one started and exit."""
    stopping = threading.Event()

    def stop(signum: int, frame: object) -> None:
        if stopping.is_set():
            force_exit()
        stopping.set()
        watchdog = threading.Timer(FORCE_AFTER, force_exit)
        watchdog.daemon = True  # a stop that finishes in time does not wait for it
        watchdog.start()
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not ignored
        signal.signal(signal.SIGINT, stop)
    started = time.perf_counter()
    try:
        main(sys.argv[1:])
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    wall = time.perf_counter() - started
    out(f"wall time: {wall:.0f} s; load average at the end {load_average()}")


def force_exit() -> None:
    """SIGKILL to every process under this one (servers, browsers), then exit at once."""
    print("stopping did not finish: killing the processes this bench started", file=sys.stderr)
    for proc in descendants(os.getpid(), process_table())[1:]:
        with contextlib.suppress(OSError):
            os.kill(proc.pid, signal.SIGKILL)
    os._exit(130)


# CPU use of the processes a bench started, from /proc -------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")

# cpu: seconds, its own user + system time plus that of its reaped children
Proc = namedtuple("Proc", "pid ppid name cpu")


def process_table() -> dict[int, Proc]:
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            name = stat.split("(", 1)[1].rsplit(")", 1)[0]
            fields = stat.rsplit(")", 1)[1].split()
            cpu = sum(int(fields[i]) for i in (11, 12, 13, 14)) / TICK
            table[int(entry.name)] = Proc(int(entry.name), int(fields[1]), name, cpu)
    return table


def descendants(root: int, table: dict[int, Proc]) -> list[Proc]:
    """`root` and every process under it that is still running."""
    found = [table[root]] if root in table else []
    for proc in found:  # the list grows as the loop goes: children, grandchildren...
        found += [child for child in table.values() if child.ppid == proc.pid]
    return found


PAGE = os.sysconf("SC_PAGE_SIZE")


def resident(root: int, table: dict[int, Proc] | None = None) -> int:
    """Resident memory (RSS) in bytes of `root` and every process under it; pages they share
    (libraries) count once per process."""
    total = 0
    for proc in descendants(root, process_table() if table is None else table):
        with contextlib.suppress(OSError, ValueError, IndexError):
            total += int(Path(f"/proc/{proc.pid}/statm").read_text().split()[1]) * PAGE
    return total


def site_processes(site: Any) -> dict[str, int]:
    """A ThrowawaySite's servers by name, for CpuMeter."""
    stack = site.stack
    named = {"ingress": stack.ingress.pid} if stack.ingress else {}
    redis, livekit = stack.processes[:2]
    return named | {"livekit-server": livekit.pid, "redis": redis.pid, "django": site.server.pid}


Usage = dict[str, tuple[float, int]]  # name: (CPU seconds or cores busy, processes)


class CpuMeter:
    """CPU use of named process trees: a server with the processes it started. The bench's
    own process counts alone (its children are the servers, measured under their names)."""

    def __init__(self, roots: dict[str, int]) -> None:
        self.roots = roots

    def snapshot(self) -> Usage:
        table, result = process_table(), {}
        for name, pid in self.roots.items():
            tree = [table[pid]] if pid == os.getpid() else descendants(pid, table)
            if tree:
                result[name] = (sum(p.cpu for p in tree), len(tree))
        return result

    def busy_since(self, before: Usage, began: float) -> Usage:
        """Cores each tree kept busy since `before`, taken at perf_counter() `began`."""
        after, wall = self.snapshot(), time.perf_counter() - began
        return {
            name: ((used - before[name][0]) / wall, count)
            for name, (used, count) in after.items()
            if name in before
        }

    def busy(self, seconds: float) -> Usage:
        before, began = self.snapshot(), time.perf_counter()
        time.sleep(seconds)
        return self.busy_since(before, began)


def cpu_times() -> dict[int, tuple[float, float]]:
    """Per core (/proc/stat): (busy, total) seconds since boot, whoever used them."""
    times = {}
    for line in Path("/proc/stat").read_text().splitlines():
        name, *fields = line.split()
        if name.startswith("cpu") and name[3:].isdigit():
            ticks = [int(field) for field in fields]
            idle = ticks[3] + ticks[4]  # idle and iowait
            times[int(name[3:])] = ((sum(ticks[:8]) - idle) / TICK, sum(ticks[:8]) / TICK)
    return times


def cores_busy(before: dict[int, tuple[float, float]], cpus: list[int]) -> float:
    """How busy `cpus` were since `before` (cpu_times()), whoever kept them so, in cores."""
    after = cpu_times()
    busy = sum(after[cpu][0] - before[cpu][0] for cpu in cpus)
    total = sum(after[cpu][1] - before[cpu][1] for cpu in cpus)
    return len(cpus) * busy / total if total else float("nan")


def cores(usage: Usage) -> str:
    return ", ".join(
        f"{name}{f' ({count} processes)' if count > 1 else ''} {busy:.2f}"
        for name, (busy, count) in usage.items()
    )


# The channel player's first frame, seen from inside the page ------------------------------------

# Runs in the page before its own scripts. The player's <video> is in the server-rendered HTML
# and gets its stream only once the page's module script has joined the room, so arming when
# the document is parsed cannot miss the first frame. `arm()` starts over (a viewer waiting for
# the next stream). Times are performance.now() values: ms from navigation start.
FRAME_PROBE = """
(() => {
  const probe = (window.__probe = { current: null });
  const player = () => document.querySelector("[data-player-video]");
  probe.arm = () => {
    const mark = (probe.current = {});
    player().requestVideoFrameCallback((now, meta) => {
      if (probe.current !== mark) return;
      Object.assign(mark, { callback: performance.now(), presented: meta.presentationTime });
      mark.received = meta.receiveTime;
    });
  };
  probe.seen = () => probe.current?.callback !== undefined;
  document.addEventListener("readystatechange", () => probe.current || !player() || probe.arm());
  const note = (name) => (event) => {
    const mark = probe.current;
    if (!mark || mark[name] !== undefined || event.target !== player()) return;
    if (event.target.videoWidth) mark[name] = performance.now();
  };
  document.addEventListener("loadedmetadata", note("size"), true);
  document.addEventListener("resize", note("size"), true);
  document.addEventListener("loadeddata", note("data"), true);
})();
"""


VIEWER_STATE = """
() => {
  const shown = (selector) => document.querySelector(selector)?.hidden === false;
  return {
    ...window.__probe.current,
    seen: window.__probe.seen(),
    offline: shown("[data-player-offline]"),
    connected: shown("[data-viewer-count]"),
    error: shown("[data-player-error]") && document.querySelector("[data-player-error]")
      .textContent.trim(),
    origin: performance.timeOrigin,
  };
}
"""


class Viewer:
    """A page in a new browser context (cold cache, a new guest) with the probe installed."""

    def __init__(self, browser: Any, base_url: str) -> None:
        context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 760})
        context.add_init_script(script=FRAME_PROBE)
        self.page = context.new_page()
        self.offset = 0.0  # page clock (timeOrigin + now) minus time.time(), in seconds

    def state(self) -> dict[str, Any]:
        """The probe's marks, and what the player shows."""
        return self.page.evaluate(VIEWER_STATE)

    def arm(self) -> None:
        """Wait for the next first frame; calibrate the page clock on the best of 5 round
        trips, for `wall`."""
        self.page.evaluate("window.__probe.arm()")
        best = float("inf")
        for _ in range(5):
            before = time.time()
            page = self.page.evaluate("performance.timeOrigin + performance.now()") / 1000
            if (after := time.time()) - before < best:
                best, self.offset = after - before, page - (before + after) / 2

    def wall(self, state: dict[str, Any], mark: str) -> float | None:
        """One of the probe's marks as time.time()."""
        at = state.get(mark)
        return None if at is None else (state["origin"] + at) / 1000 - self.offset

    def close(self) -> None:
        self.page.context.close()


# Cores apart for the site and for its load ------------------------------------------------------


class Pinning:
    """The site's processes on one half of the usable cores, the load (Locust, the rtc sample)
    on the other, every thread of each, with taskset (util-linux): each side's CPU figures are
    then its own, and the load generator does not take the site's cores. `reason` says why
    nothing is pinned (one usable core, no taskset). Processes forked later inherit their
    parent's cores: a PostgreSQL postmaster pinned takes its future backends along, which is
    why `restore` puts a tree back as it was."""

    def __init__(self) -> None:
        usable = sorted(os.sched_getaffinity(0))
        self.load, self.site = usable[: len(usable) // 2], usable[len(usable) // 2 :]
        self.reason = ""
        if len(usable) < 2:
            self.reason = "a single usable core: nothing to split"
        elif not shutil.which("taskset"):
            self.reason = "taskset (util-linux) is not installed"
        self.saved: dict[int, set[int]] = {}

    def pin(self, root: int, cpus: list[int], tree: bool = True) -> None:
        """`root` and (with `tree`) every process under it on `cpus`; restore() can put it
        back. The bench's own process is pinned alone: the servers it started are its
        children, and stay on the site's cores."""
        if self.reason:
            return
        self.saved.setdefault(root, os.sched_getaffinity(root))
        procs = descendants(root, process_table()) if tree else [process_table()[root]]
        for proc in procs:
            self._taskset(proc.pid, cpus, must=proc.pid == root)

    def restore(self) -> None:
        """Every tree pinned, with the processes it started since, back on its first cores."""
        for root, cpus in self.saved.items():
            for proc in descendants(root, process_table()):
                self._taskset(proc.pid, sorted(cpus), must=False)
        self.saved.clear()

    def _taskset(self, pid: int, cpus: list[int], must: bool) -> None:
        command = ["taskset", "-a", "-p", "-c", ",".join(map(str, cpus)), str(pid)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode and must:  # a child may have ended meanwhile: only its root matters
            raise RuntimeError(f"{' '.join(command)}: {done.stderr.strip()}")

    def describe(self, site: str, load: str) -> str:
        if self.reason:
            return f"not pinned to cores ({self.reason}): the site and its load share them"
        return f"{site} on core(s) {_cpus(self.site)}; {load} on core(s) {_cpus(self.load)}"


def _cpus(cpus: list[int]) -> str:
    return ",".join(map(str, cpus))
