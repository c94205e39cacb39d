"""Helpers the bench scripts share: progress and result output, and version look-ups for
the machine description each run prints."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys


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
