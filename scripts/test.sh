#!/usr/bin/env bash
# `make test`: system packages, the JavaScript bundle, the real LiveKit server, a throwaway
# PostgreSQL, then lint, the migration check and the whole pytest suite. Extra arguments go
# to pytest (scripts/test.sh -k channel).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

# In CI anything missing fails the run; elsewhere the tests that need it are skipped with
# the reason.
if [[ -n "${CI:-}" ]]; then
  scripts/system-deps.sh
  $BIN/python -m devservers install
else
  scripts/system-deps.sh || true
  # Exit 3: LiveKit cannot be installed here, which the tests report as skips.
  $BIN/python -m devservers install --optional || [[ $? -eq 3 ]]
fi

scripts/build-assets.sh
# git status, not git diff: a file the build writes and nobody committed counts too.
if [[ -n "${CI:-}" && -n "$(git status --porcelain -- static/js/)" ]]; then
  echo "static/js/ differs from its sources after the build: commit the rebuilt files." >&2
  git status --short -- static/js/ >&2
  exit 1
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
