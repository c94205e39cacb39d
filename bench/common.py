"""Helpers the bench scripts share: progress and result output, and version look-ups for
the machine description each run prints."""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import platform
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def out(line: str = "") -> None:
    print(line, flush=True)


def version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def command_output(command: list[str]) -> str:
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return done.stdout.strip().splitlines()[0] if done.stdout.strip() else "?"


def machine() -> str:
    """Cores (and how many this process may use), CPU model and architecture."""
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    return f"{os.cpu_count()} cores ({usable} usable), {cpu}, {platform.machine()}"


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run_main(main: Callable[[list[str]], object]) -> None:
    """Run a bench's main; SIGTERM stops it like Ctrl-C, so its `finally` blocks (clients,
    servers) run either way."""

    def terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    try:
        main(sys.argv[1:])
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
