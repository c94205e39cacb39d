"""nginx in front of a site on this machine, as production runs it (deploy/nginx.conf): for
the proxy tests and the load bench. It runs as the current user, in the foreground, with its
config, pid, temporary files, cache and logs in a folder of its own, and stops at the end.

    with nginx(gunicorn_port, static_root=..., media_root=..., out_dir=tmp) as proxy:
        urlopen(f"http://127.0.0.1:{proxy.port}/")
        answered_by(proxy.access_log)  # Counter({"cache": ..., "site": ..., "disk": ...})

Standard library only, like the rest of devservers.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from devservers.servers import ROOT, SetupError, free_port, terminate, wait_until

TEMPLATE = ROOT / "deploy" / "nginx.conf"
DEBIAN_NGINX = Path("/usr/sbin/nginx")
MISSING = "nginx is not installed: run scripts/system-deps.sh (or `apt-get install nginx`)"
PLACEHOLDER = re.compile(r"\$\{(NGINX_[A-Z_]+)\}")


def nginx_binary() -> Path | None:
    """Debian's nginx, or the one on PATH; None when there is none."""
    if DEBIAN_NGINX.is_file() and os.access(DEBIAN_NGINX, os.X_OK):
        return DEBIAN_NGINX
    found = shutil.which("nginx")
    return Path(found) if found else None


def nginx_installed() -> bool:
    return nginx_binary() is not None


def render(values: dict[str, str], template: Path = TEMPLATE) -> str:
    """The template with each ${NGINX_...} replaced, as envsubst would; nginx's own
    $variables stay. A placeholder without a value is an error, not an empty string."""
    text = template.read_text()
    missing = sorted({name for name in PLACEHOLDER.findall(text) if name not in values})
    if missing:
        raise SetupError(f"{template.name} needs a value for {', '.join(missing)}.")
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


@dataclass
class Proxy:
    port: int
    pid: int  # the master process; worker_pids(): its workers, cache manager and loader
    access_log: Path
    error_log: Path
    prefix: Path  # config, pid file, temporary files and cache

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        with contextlib.suppress(OSError):
            return [int(pid) for pid in children.read_text().split()]
        return []


@contextlib.contextmanager
def nginx(
    upstream_port: int,
    *,
    static_root: Path | str,
    media_root: Path | str,
    out_dir: Path | str,
    port: int = 0,
    workers: int | str = 1,
) -> Iterator[Proxy]:
    """nginx on `port` of 127.0.0.1 (a free one by default) with deploy/nginx.conf, in front
    of the site on `upstream_port`; its files in a new folder under `out_dir`."""
    binary = nginx_binary()
    if binary is None:
        raise SetupError(MISSING)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    prefix = Path(tempfile.mkdtemp(prefix="nginx-", dir=out_dir))
    for folder in ("temp", "cache", "logs"):
        (prefix / folder).mkdir()
    port = port or free_port()
    config = prefix / "nginx.conf"
    config.write_text(
        render(
            {
                # Only read when started as root, which it then stays (it is the caller).
                "NGINX_USER": _current_user(),
                "NGINX_WORKERS": str(workers),
                "NGINX_LISTEN": f"127.0.0.1:{port}",
                "NGINX_UPSTREAM": f"127.0.0.1:{upstream_port}",
                "NGINX_FORWARDED_PROTO": "$scheme",
                "NGINX_STATIC_ROOT": str(Path(static_root).resolve()),
                "NGINX_MEDIA_ROOT": str(Path(media_root).resolve()),
                "NGINX_CACHE_DIR": str(prefix / "cache"),
                "NGINX_TEMP_DIR": str(prefix / "temp"),
                "NGINX_LOG_DIR": str(prefix / "logs"),
                "NGINX_RUN_DIR": str(prefix),
            }
        )
    )
    error_log = prefix / "logs" / "error.log"
    command = [str(binary), "-p", str(prefix), "-c", str(config), "-e", str(error_log)]
    checked = subprocess.run([*command, "-t", "-q"], capture_output=True, text=True)
    if checked.returncode != 0:
        raise SetupError(f"nginx refused {config}: {checked.stderr.strip()}")
    process = subprocess.Popen(
        [*command, "-g", "daemon off;"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        try:
            wait_until(lambda: _listening(port), 10, "nginx", process)
        except SetupError as error:
            raise SetupError(f"{error} Its log: {_tail(error_log)}") from None
        yield Proxy(
            port=port,
            pid=process.pid,
            access_log=prefix / "logs" / "access.log",
            error_log=error_log,
            prefix=prefix,
        )
    finally:
        terminate([process])  # SIGTERM: the master stops its workers, then exits


def _current_user() -> str:
    return f"{pwd.getpwuid(os.getuid()).pw_name} {grp.getgrgid(os.getgid()).gr_name}"


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _tail(path: Path, lines: int = 5) -> str:
    with contextlib.suppress(OSError):
        return " | ".join(path.read_text().splitlines()[-lines:]) or "(empty)"
    return "(none)"


# One line of deploy/nginx.conf's `streamsite` log format.
LOG_LINE = re.compile(
    r'^(?P<address>\S+) \[(?P<time>[^\]]+)\] "(?P<request>[^"]*)" (?P<status>\d{3}) '
    r"(?P<bytes>\d+) cache=(?P<cache>\S+) rt=(?P<rt>[\d.]+) urt=(?P<urt>\S+)"
)
FROM_CACHE = {"HIT", "STALE", "UPDATING", "REVALIDATED"}


def answered_by(access_log: Path | str) -> Counter:
    """How many requests in the log each side answered: "cache" (nginx's cache of public
    pages), "site" (gunicorn) and "disk" (static files and media, nginx alone)."""
    counts: Counter = Counter()
    with contextlib.suppress(FileNotFoundError), open(access_log) as lines:
        for line in lines:
            if match := LOG_LINE.match(line):
                counts[_side(match["cache"], match["urt"])] += 1
    return counts


def _side(cache: str, upstream_time: str) -> str:
    if cache in FROM_CACHE:
        return "cache"
    if upstream_time != "-" or cache != "-":
        return "site"
    return "disk"
