#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the test suite and the benches, listening on 127.0.0.1
# only, no system service. Its data lives in /tmp (the 'postgres' user, which runs it when we
# are root, may not be able to enter the checkout), one cluster and port per checkout. Installs Debian's
# postgresql package when no server is found.
#   scripts/postgres.sh start   # install if needed, initialise once, start; prints the URL
#   scripts/postgres.sh stop
#   scripts/postgres.sh status  # exit 0 when running
#   scripts/postgres.sh url
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CHECKOUT_HASH=$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1)
BASE_DIR=${STREAMSITE_PG_DIR:-${TMPDIR:-/tmp}/streamsite-pg-$CHECKOUT_HASH}
DATA_DIR="$BASE_DIR/data"
RUN_DIR="$BASE_DIR/run"
LOG_FILE="$BASE_DIR/postgres.log"
# Below the ephemeral range (32768+), where free ports handed to other servers come from.
PORT=${TEST_PG_PORT:-$((15400 + CHECKOUT_HASH % 500))}
URL="postgres://postgres@127.0.0.1:$PORT/streamsite"

say() { echo "==> $*" >&2; }

find_bindir() {
  local candidate
  if command -v pg_config >/dev/null 2>&1 && [[ -x "$(pg_config --bindir)/pg_ctl" ]]; then
    pg_config --bindir
    return
  fi
  for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [[ -x "$candidate/pg_ctl" && -x "$candidate/initdb" ]] && { echo "$candidate"; return; }
  done
  return 1
}

install_server() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "PostgreSQL is not installed. Install Debian's 'postgresql' package (apt-get install postgresql) and run again." >&2
    exit 1
  fi
  (cd "$ROOT" && python3 -m devservers apt-install --purpose PostgreSQL postgresql)
}

# PostgreSQL refuses to run as root: as root, run it as the 'postgres' system user.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start() {
  local bindir
  bindir=$(find_bindir) || { install_server; bindir=$(find_bindir); }
  mkdir -p "$RUN_DIR"
  if [[ $(id -u) -eq 0 ]]; then
    chown -R postgres: "$BASE_DIR"
  fi
  if [[ ! -f "$DATA_DIR/PG_VERSION" ]]; then
    say "Creating a throwaway PostgreSQL cluster in $BASE_DIR"
    as_owner "$bindir/initdb" -D "$DATA_DIR" -U postgres -A trust --no-sync -E UTF8 >/dev/null
    cat >>"$DATA_DIR/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$RUN_DIR'
# Test data only: durability is not needed, speed is.
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
CONF
  fi
  if as_owner "$bindir/pg_ctl" -D "$DATA_DIR" status >/dev/null 2>&1; then
    say "PostgreSQL already running on 127.0.0.1:$PORT"
  else
    say "Starting PostgreSQL on 127.0.0.1:$PORT"
    as_owner "$bindir/pg_ctl" -D "$DATA_DIR" -l "$LOG_FILE" -w -t 60 start >/dev/null
  fi
  echo "$URL"
}

stop() {
  local bindir
  bindir=$(find_bindir) || return 0
  [[ -f "$DATA_DIR/PG_VERSION" ]] || return 0
  if as_owner "$bindir/pg_ctl" -D "$DATA_DIR" status >/dev/null 2>&1; then
    say "Stopping PostgreSQL"
    as_owner "$bindir/pg_ctl" -D "$DATA_DIR" -m fast -w stop >/dev/null
  fi
}

status() {
  local bindir
  bindir=$(find_bindir) || return 1
  [[ -f "$DATA_DIR/PG_VERSION" ]] || return 1
  as_owner "$bindir/pg_ctl" -D "$DATA_DIR" status >/dev/null 2>&1
}

case "${1:-}" in
  start) start ;;
  status) status ;;
  stop) stop ;;
  url) echo "$URL" ;;
  *) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac
