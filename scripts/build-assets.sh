#!/usr/bin/env bash
# The channel page bundle: `npm ci` when the lockfile changed, then esbuild writes
# static/js/channel.js (committed, so a deployment needs no Node: collectstatic is enough).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null 2>&1; then
  echo "npm is not installed: using the committed static/js/channel.js as it is." >&2
  exit 0
fi
stamp=node_modules/.package-lock.json
if [[ ! -f $stamp || package-lock.json -nt $stamp ]]; then
  echo "==> Installing JavaScript dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "==> Building static/js/channel.js (esbuild)" >&2
npm run --silent build
