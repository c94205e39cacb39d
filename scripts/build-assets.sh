#!/usr/bin/env bash
# The page scripts: `npm ci` when the lockfile or a patch of frontend/patches/ changed (npm ci
# applies the patches), then frontend/build.mjs writes static/js/ (committed, so a deployment
# needs no Node: collectstatic is enough).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null 2>&1; then
  echo "npm is not installed: using the committed static/js/ as it is." >&2
  exit 0
fi
stamp=node_modules/.package-lock.json
stale() {
  local source
  for source in package-lock.json frontend/patches/*.patch; do
    [[ $source -nt $stamp ]] && return 0
  done
  return 1
}
if [[ ! -f $stamp ]] || stale; then
  echo "==> Installing JavaScript dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "==> Building static/js/ (esbuild)" >&2
npm run --silent build
