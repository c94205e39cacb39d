#!/usr/bin/env bash
# Debian packages the test suite needs beyond Python: Chromium for the browser tests,
# redis-server for LiveKit, ffmpeg (the OBS stand-in), prometheus for its promtool (the
# alerting rules in deploy/prometheus are checked and unit-tested with it) and nginx (the
# proxy of deploy/nginx.conf, in front of the site in the proxy tests and the load bench,
# run as the current user by devservers/proxy.py). Installs only
# what is missing (as root), else says what to run. (GStreamer for Ingress: devservers
# installs it.)
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
[[ -x /usr/sbin/nginx ]] || command -v nginx >/dev/null 2>&1 || missing+=(nginx)
((${#missing[@]})) || exit 0

if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing system packages: ${missing[*]}. Install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
# Waits while another package manager holds the lock, and shows apt's error if it fails.
cd "$(dirname "$0")/.."
python3 -m devservers apt-install --purpose "The test suite" "${missing[@]}"
# Only promtool and the nginx binary are needed: stop (and under systemd disable) the
# Prometheus server, node exporter and system nginx (on :80) the packages (and their
# recommends) may just have started.
services=()
[[ " ${missing[*]} " == *" prometheus "* ]] && services+=(prometheus prometheus-node-exporter)
[[ " ${missing[*]} " == *" nginx "* ]] && services+=(nginx)
for service in "${services[@]}"; do
  if [[ -d /run/systemd/system ]]; then
    systemctl disable --now "$service.service" 2>/dev/null || true
  else
    service "$service" stop >/dev/null 2>&1 || true
  fi
done
