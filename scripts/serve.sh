#!/usr/bin/env bash
# `make run`'s last step: run the site's processes until Ctrl-C. Ctrl-C is how they are meant
# to end, so it is no error: one line says so and the status is 0 (make then prints no
# "Error 130"). Any other failure keeps its status.
set -u
trap : INT # the command handles Ctrl-C itself; this shell only waits for it to finish
"$@"
status=$?
if [[ $status -eq 0 || $status -eq 130 ]]; then
  echo "==> Stopped."
  exit 0
fi
exit "$status"
