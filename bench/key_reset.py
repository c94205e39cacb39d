"""New keys and resets while live, in a row: does livekit-server survive, and is the stream's
state right after each?

A throwaway copy of the site with the real livekit-server and LiveKit Ingress; ffmpeg streams
to alice's keys as OBS would, and once the site says she is live her keys are regenerated
or reset with the project's own services, as the dashboard and `manage.py reset_ingresses`
do. After each: is livekit-server still up, is the stream offline, are exactly the expected
ingresses left, and did LiveKit keep a state for an ingress it deleted (Ingress reported on a
session while its ingress was being deleted: the race that crashes servers before v1.13.10)?
A crashed server is started again (its panic counted and quoted) so that every try runs.

Two ways of deleting, in turn, so that both meet the same machine: `stop-first`, the site's
(streams.livekit.delete_ingresses: stop the sessions, wait until LiveKit says they are over,
delete), and `delete-first`, deleting at once and then ending the room, as the site did
before; each sequence regenerates and resets in turn.

`.venv/bin/python bench/key_reset.py [--quick]`; see bench/README.md. Options: --tries (per
sequence), --sequences, --timeout (seconds the stream may take to go live), --settle (seconds
to wait after each try for a crash), --livekit-server (another build of the server to run:
an unpatched one shows what the sequences alone do).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.common import log, ms, out
from devservers import media, servers
from devservers.site import ThrowawaySite


def alice_stream():
    from streams.models import Stream

    return Stream.objects.select_related("user").get(user__username="alice")


def go_live(site: ThrowawaySite, encoder_log: Path, timeout: float) -> media.RtmpEncoder:
    """New keys if alice has none, ffmpeg streaming to them, and the site saying she is live."""
    from streams import services

    stream = alice_stream()
    if not stream.ingress_id:
        stream = services.connection_generate(stream=stream, kind="rtmp")
    encoder = media.RtmpEncoder(f"{stream.server_url}/{stream.stream_key}", encoder_log)
    encoder.start()
    deadline = time.monotonic() + timeout
    while not alice_stream().is_live:
        if time.monotonic() > deadline or encoder.failure():
            encoder.stop()
            raise RuntimeError(f"not live after {timeout:.0f} s {encoder.failure()}")
        time.sleep(0.1)
    return encoder


def server_up(site: ThrowawaySite) -> bool:
    node = site.stack.servers[0]
    return node.process.poll() is None and servers.http_ok(node.url + "/")


def panics(site: ThrowawaySite) -> list[str]:
    """The first line of each panic livekit-server logged (its log is appended to)."""
    text = site.stack.servers[0].log.read_text(errors="replace")
    return [line for line in text.splitlines() if line.startswith("panic:")]


def state_errors(action: str) -> list[str]:
    """What is wrong with alice's stream and ingresses after `action`."""
    from streams import livekit

    stream = alice_stream()
    left = sorted(i.ingress_id for i in livekit.list_ingresses(str(stream.user_id)))
    expected = [stream.ingress_id] if action == "regenerate" else []
    errors = ["still marked live"] if stream.is_live else []
    if left != expected:
        errors.append(f"ingresses left {left}, expected {expected}")
    return errors


def orphaned_states(site: ThrowawaySite) -> int:
    """Ingress states LiveKit keeps for ingresses it has deleted."""
    from streams import livekit

    redis = ["redis-cli", "-p", str(site.livekit.redis_port), "--raw", "KEYS", "{ingress}_state:*"]
    keys = subprocess.run(redis, capture_output=True, text=True, check=True).stdout.split()
    known = {ingress.ingress_id for ingress in livekit.list_ingresses()}
    return len({key.split(":", 1)[1] for key in keys} - known)


def end_reported(ingress_id: str) -> bool:
    """Whether LiveKit sent ingress_ended for the session: it does only while the ingress
    still exists when Ingress reports the end."""
    from streams.models import WebhookEvent

    return WebhookEvent.objects.filter(event="ingress_ended", ingress_id=ingress_id).exists()


def delete_first(ingresses, *, room=None) -> None:
    """The sequence the site used before: delete each ingress at once, then end the room."""
    from streams import livekit

    for ingress in ingresses:
        livekit.delete_ingress(ingress.ingress_id)
    if room is not None:
        livekit.delete_room(room)


def one_try(site: ThrowawaySite, index: int, sequence: str, action: str, args) -> dict:
    from streams import livekit, services

    encoder = go_live(site, site.work / f"ffmpeg-{index}.log", args.timeout)
    old = alice_stream().ingress_id
    orphans = orphaned_states(site)
    began = time.perf_counter()
    stop_first = livekit.delete_ingresses
    try:
        if sequence == "delete-first":
            livekit.delete_ingresses = delete_first
        if action == "regenerate":
            services.connection_generate(stream=alice_stream(), kind="rtmp")
        else:
            services.connection_reset(stream=alice_stream())
        error = ""
    except Exception as failure:  # a crashed server fails the call: counted, not fatal
        error = f"{type(failure).__name__}: {failure}"
    finally:
        livekit.delete_ingresses = stop_first
    took = time.perf_counter() - began
    encoder.stop()
    time.sleep(args.settle)  # a crash after the call returned still counts for this try
    up = server_up(site)
    problems = ([error] if error else []) + (state_errors(action) if up else [])
    orphaned = orphaned_states(site) - orphans if up else 0
    return {
        "ended": end_reported(old),
        "sequence": sequence,
        "action": action,
        "seconds": took,
        "up": up,
        "orphaned": orphaned,
        "problems": problems,
    }


def restart(site: ThrowawaySite) -> None:
    """The whole LiveKit stack again (Redis too: the crash left its ingresses behind)."""
    site.stack.stop()
    site.stack.start()
    stream = alice_stream()
    stream.ingress_id, stream.is_live = None, False
    stream.save()


def main(argv: list[str]) -> None:
    args = common.parse_args(
        __doc__,
        argv,
        quick={"tries": 4},
        tries=20,
        sequences="stop-first,delete-first",
        timeout=45.0,
        settle=1.0,
        livekit_server="",
    )
    if args.livekit_server:
        servers.LIVEKIT_SERVER = Path(args.livekit_server).resolve()
    sequences = args.sequences.split(",")
    server = common.first_line([str(servers.LIVEKIT_SERVER), "--version"])
    common.print_header(args, [server, f"ingress {servers.INGRESS_VERSION}"], "runserver, SQLite")
    results = []
    with ThrowawaySite(with_ingress=True) as site:
        for index in range(args.tries * len(sequences)):
            sequence = sequences[index % len(sequences)]
            action = ("regenerate", "reset")[index // len(sequences) % 2]
            result = one_try(site, index, sequence, action, args)
            results.append(result)
            status = "up" if result["up"] else "CRASHED"
            log(f"try {index + 1}: {sequence} {action} {ms(result['seconds'], 0)} ms, {status}")
            if not result["up"]:
                restart(site)
        panic_lines = sorted(set(panics(site)))
    report(results, sequences, panic_lines)


def report(results: list[dict], sequences: list[str], panic_lines: list[str]) -> None:
    rows = []
    for sequence in sequences:
        mine = [r for r in results if r["sequence"] == sequence]
        took = {
            action: [r["seconds"] for r in mine if r["action"] == action and r["up"]]
            for action in ("regenerate", "reset")
        }
        rows.append(
            [
                sequence,
                len(mine),
                sum(not r["up"] for r in mine),
                sum(r["ended"] for r in mine),
                sum(r["orphaned"] for r in mine),
                sum(bool(r["problems"]) for r in mine),
                *(ms(statistics.median(t), 0) if t else "-" for t in took.values()),
            ]
        )
    header = ["sequence", "tries", "crashes", "end reported", "orphaned states", "state wrong"]
    common.table([*header, "regenerate p50 ms", "reset p50 ms"], rows)
    for line in panic_lines:
        out(f"  {line}")
    for index, result in enumerate(results, 1):
        if result["problems"]:
            out(f"  try {index} ({result['sequence']}): {'; '.join(result['problems'])}")
    if len(rows) == 2 and "-" not in rows[0][6:] + rows[1][6:]:
        for column, action in ((6, "regenerate"), (7, "reset")):
            ratio = float(rows[0][column]) / float(rows[1][column])
            out(f"{action} time, {rows[0][0]} / {rows[1][0]}: {ratio:.2f}x")


if __name__ == "__main__":
    common.run_main(main)
