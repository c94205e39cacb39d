"""Guards on the environment the suite and the deployment run in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "k3!x9#q-production-like-secret-7Hf2LpZr0aWv8Ns4Ty6Bc1Qe5Gm-Jd",
    "DJANGO_ALLOWED_HOSTS": "stream.example.com",
    "DJANGO_SITE_URL": "https://stream.example.com",
    "DATABASE_URL": "postgres://streamsite:secret@db.example.com:5432/streamsite",
    "LIVEKIT_URL": "https://livekit.example.com",
    "LIVEKIT_WS_URL": "wss://livekit.example.com",
    "LIVEKIT_API_KEY": "APIprodkey",
    "LIVEKIT_API_SECRET": "a-production-livekit-secret-of-more-than-32-chars",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "LIVEKIT_"))}
    clean.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "streamsite.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db
def test_the_suite_runs_on_postgresql_in_ci():
    if not os.environ.get("CI") and connection.vendor != "postgresql":
        pytest.skip(f"running on {connection.vendor}; `make test` runs the suite on PostgreSQL")
    assert connection.vendor == "postgresql", (
        "The suite must run against PostgreSQL in CI: `make test` starts one and sets "
        f"DATABASE_URL (got {connection.vendor})."
    )


def test_check_deploy_reports_nothing_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "DEBUG", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_start_up_stops_with_a_clear_message_without_a_secret_key():
    env = {**PRODUCTION_ENV, "DJANGO_SECRET_KEY": ""}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_production_start_up_needs_the_livekit_secret_too():
    env = {**PRODUCTION_ENV, "LIVEKIT_API_SECRET": ""}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "LIVEKIT_API_SECRET is not set" in result.stderr


def test_debug_mode_starts_with_development_defaults():
    result = _manage("check", env={"DJANGO_DEBUG": "true", "DATABASE_URL": "sqlite:///:memory:"})
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db
def test_there_are_no_pending_migrations():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
