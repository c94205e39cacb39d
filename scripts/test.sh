#!/usr/bin/env bash
# `make test`: lint, migration check and the whole pytest suite against a throwaway
# PostgreSQL. Extra arguments go to pytest (scripts/test.sh -k channel).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

# The real livekit-server (built with Go) and Redis. In CI a missing one fails the run;
# elsewhere the tests that need it are skipped with the reason.
if [[ -n "${CI:-}" ]]; then
  $BIN/python -m devservers install
else
  $BIN/python -m devservers install --optional || true
fi

echo "==> Lint: ruff check and ruff format --check"
$BIN/ruff check .
$BIN/ruff format --check .

# Stop PostgreSQL at the end only if this run started it (a bench may be using it).
if ! scripts/postgres.sh status; then
  trap 'scripts/postgres.sh stop' EXIT
fi
DATABASE_URL=$(scripts/postgres.sh start)
export DATABASE_URL

export DJANGO_SETTINGS_MODULE=tests.settings
echo "==> No pending migrations"
$BIN/python manage.py makemigrations --check --dry-run

echo "==> pytest on PostgreSQL"
# pytest exits 5 when it collected no test: that is a failure here like any other non-zero.
$BIN/python -m pytest "$@"
