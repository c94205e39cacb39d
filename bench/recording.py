"""What recording past broadcasts costs, measured side by side in one run: the recorder's CPU
and memory per recorded stream against LiveKit Ingress transcoding the same stream, disk per
hour, how soon a broadcast is ready once its stream ends, the time for a clip of it, and how
far apart its sound and picture are.

A throwaway copy of the site as production runs it (gunicorn, DEBUG off; SQLite), with the real
livekit-server and Ingress, the recorder (.bin/recorder, RECORDER_POLL_SECONDS 1, its default)
and the task worker (`manage.py db_worker` as the Procfile starts it: idle poll 1 s), all on
free ports of 127.0.0.1. --streams channels each get RTMP keys from the site (so Ingress
transcodes at the site's preset) and ffmpeg streams to each, as OBS would, the "sync-camera"
pattern of devservers/media.py: a flash and a beep together every 2 s, over moving dark noise
and a faint hiss, 1280x720 at 30 fps and 2500 kb/s (OBS's default output), so that the
encoder, Ingress and the recorder carry the bitrate of a real picture.

Once the recorder says every broadcast is recording, a window of --seconds is measured: CPU
of the recorder with its ffmpeg children and of Ingress with its handler processes (utime +
stime from /proc), their resident memory sampled every second. Then the encoders stop; the
database is polled every 50 ms for the stream going offline, the recorder closing the
recording (processing) and the worker making it ready. A --clip seconds clip is cut from each
finished broadcast by the clip service (in-process, as bench/clips.py), and the flashes and
beeps of the stored playlist give the A/V offsets.

`.venv/bin/python bench/recording.py [--quick]`; see bench/README.md. Options: --seconds
(measured window), --streams (at once), --clip (seconds), --pattern (sync: the tests' 640x360
at 25 fps on black and silence, which Ingress's encoder spends almost nothing on; testsrc, no
A/V offsets), --timeout (seconds any one wait may take).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.common import log, out
from devservers import media, servers
from devservers.recorder import Recorder
from devservers.site import API_KEY, API_SECRET, ThrowawaySite

WORK = common.OUT_DIR / "recording"  # the logs of the recorder, the worker and the encoders
POLL = 0.05  # seconds between two looks at the database
RECORDER_POLL_SECONDS = 1.0  # the recorder's default
CPU_GOAL, READY_GOAL = 0.1, 5.0  # recorder / Ingress; seconds from offline to ready
MB = 1e6


def until(check: Callable[[], object], timeout: float, what: str) -> float:
    """Poll `check` until it holds; time.monotonic() then. RuntimeError after `timeout`."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {timeout:.0f} s")
        time.sleep(POLL)
    return time.monotonic()


# Setting up -------------------------------------------------------------------------------------


def channels(count: int) -> list:
    """`count` channels with RTMP keys from the site (Ingress transcodes at its preset)."""
    from accounts.models import User
    from streams import services

    found = []
    for n in range(1, count + 1):
        user = User.objects.create_user(f"recbench{n}", f"recbench{n}@example.invalid")
        found.append(services.connection_generate(stream=user.stream, kind="rtmp"))
    return found


def start_worker(stack: contextlib.ExitStack) -> subprocess.Popen:
    """The task worker as the Procfile runs it (idle poll: its default, 1 s)."""
    log_file = stack.enter_context((WORK / "worker.log").open("ab"))
    command = [sys.executable, "manage.py", "db_worker"]
    worker = subprocess.Popen(command, cwd=servers.ROOT, stdout=log_file, stderr=log_file)
    stack.callback(servers.terminate, [worker])
    return worker


def start_recorder(site: ThrowawaySite, stack: contextlib.ExitStack) -> Recorder:
    recorder = Recorder(
        site_url=site.url,
        spool=Path(os.environ["RECORDINGS_SPOOL_DIR"]),
        log=WORK / "recorder.log",
        api_key=API_KEY,
        api_secret=API_SECRET,
        poll_seconds=RECORDER_POLL_SECONDS,
    ).start()
    stack.callback(recorder.stop)
    return recorder


def go_live(streams: list, args, stack: contextlib.ExitStack) -> list[media.RtmpEncoder]:
    """ffmpeg streaming to each channel, until the site says every one is live and the
    recorder that every broadcast is recording."""
    from streams.models import Stream
    from videos.models import Broadcast

    encoders = []
    for stream in streams:
        url = f"{stream.server_url}/{stream.stream_key}"
        encoder = media.RtmpEncoder(url, WORK / f"encoder-{stream.pk}.log", args.pattern)
        encoder.start()
        stack.callback(encoder.stop)
        encoders.append(encoder)
    pks = [stream.pk for stream in streams]

    def live() -> bool:
        check_encoders(encoders)
        return Stream.objects.filter(pk__in=pks, is_live=True).count() == len(pks)

    def recording() -> bool:
        check_encoders(encoders)
        states = Broadcast.objects.open().filter(stream__in=pks).values_list("state", flat=True)
        return list(states).count(Broadcast.State.RECORDING) == len(pks)

    until(live, args.timeout, "every stream live")
    log("live; waiting for the recorder")
    until(recording, args.timeout, "the recorder recording every broadcast")
    return encoders


def check_encoders(encoders: list[media.RtmpEncoder]) -> None:
    for encoder in encoders:
        if failure := encoder.failure():
            raise RuntimeError(failure)


# Measuring --------------------------------------------------------------------------------------


@dataclass
class Window:
    seconds: float
    busy: common.Usage  # cores each tree kept busy
    peak: dict[str, int] = field(default_factory=dict)  # RSS bytes, the largest sample
    end: dict[str, int] = field(default_factory=dict)  # RSS bytes, the last sample


def measure(roots: dict[str, int], seconds: float, healthy: Callable[[], None]) -> Window:
    """CPU of each process tree over `seconds`, and its RSS sampled every second."""
    meter = common.CpuMeter(roots)
    before, began = meter.snapshot(), time.perf_counter()
    peak, current = dict.fromkeys(roots, 0), {}
    while (left := began + seconds - time.perf_counter()) > 0:
        time.sleep(min(1.0, left))
        table = common.process_table()
        current = {name: common.resident(pid, table) for name, pid in roots.items()}
        peak = {name: max(peak[name], current[name]) for name in roots}
        healthy()
    busy = meter.busy_since(before, began)
    return Window(time.perf_counter() - began, busy, peak, current)


def end_streams(encoders: list, streams: list, timeout: float) -> list[dict[str, float]]:
    """Stop every encoder; per stream, seconds from its stop until its encoder exited, the
    site saw it offline, the recorder said the recording was closed (processing) and the
    worker made the broadcast ready."""
    from streams.models import Stream
    from videos.models import Broadcast

    marks = []
    for encoder in encoders:
        stopped = time.monotonic()
        encoder.stop()
        marks.append({"stopped": stopped, "exited": time.monotonic()})

    def all_ready() -> bool:
        for stream, mark in zip(streams, marks, strict=True):
            now = time.monotonic()
            if "offline" not in mark and not Stream.objects.get(pk=stream.pk).is_live:
                mark["offline"] = now
            broadcast = Broadcast.objects.filter(stream=stream).first()
            if broadcast.state in (Broadcast.State.FAILED, Broadcast.State.NOT_RECORDED):
                raise RuntimeError(
                    f"broadcast {broadcast.pk} {broadcast.state}: {broadcast.failure}"
                )
            if broadcast.state in (Broadcast.State.PROCESSING, Broadcast.State.READY):
                mark.setdefault("processing", now)
            if broadcast.state == Broadcast.State.READY:
                mark.setdefault("ready", now)
        return all("ready" in mark and "offline" in mark for mark in marks)

    until(all_ready, timeout, "every broadcast ready")
    return [{k: v - mark["stopped"] for k, v in mark.items() if k != "stopped"} for mark in marks]


def clip_of(broadcast, clipper, seconds: float) -> tuple[float, object] | None:
    """A clip of `seconds` (less if the recording is shorter) from the middle of it."""
    from bench.clips import clip_past

    length = min(seconds, int(broadcast.duration - 1))
    if length < 5:
        return None
    return clip_past(broadcast, clipper, (broadcast.duration - length) / 2, length)


def recorded_as(playlist: str) -> str:
    """The recording's tracks as ffprobe reads the stored playlist."""
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries",
         "stream=codec_type,codec_name,width,height,avg_frame_rate", "-of", "json", playlist],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    tracks = []
    for track in json.loads(probe.stdout or "{}").get("streams", []):
        if track.get("codec_type") == "video":
            rate = track.get("avg_frame_rate", "0/1").split("/")
            fps = f" {int(rate[0]) / int(rate[1]):.0f} fps" if rate[-1] not in ("0", "") else ""
            tracks.append(f"{track['codec_name']} {track['width']}x{track['height']}{fps}")
        elif track.get("codec_type") == "audio":
            tracks.append(track["codec_name"])
    return ", ".join(tracks) or "?"


def finished(stream, after_stop: dict[str, float], clipper, args) -> Recorded:
    """The stream's broadcast, once ready: its recording described, a clip of it made, and
    its A/V offsets (the "sync" patterns only)."""
    from django.core.files.storage import default_storage

    from videos.models import Broadcast

    broadcast = Broadcast.objects.select_related("stream__user").filter(stream=stream).first()
    playlist = default_storage.path(broadcast.playlist)
    log(f"broadcast {broadcast.pk}: a clip, the A/V offsets")
    return Recorded(
        label=f"{broadcast.stream.user.username}, broadcast {broadcast.pk}",
        duration=broadcast.duration,
        bytes=broadcast.bytes_stored,
        tracks=recorded_as(playlist),
        after_stop=after_stop,
        clip=clip_of(broadcast, clipper, args.clip),
        offsets=media.av_offsets(playlist) if args.pattern.startswith("sync") else [],
    )


# Reporting --------------------------------------------------------------------------------------


@dataclass
class Recorded:
    """What became of one stream: its broadcast, read before the throwaway site goes."""

    label: str
    duration: float
    bytes: int
    tracks: str
    after_stop: dict[str, float]  # seconds from the encoder's stop: exited, offline, ...
    clip: tuple[float, object] | None  # seconds to make it, the clip
    offsets: list[tuple[float, float]]


def report_costs(window: Window, idle_rss: int, count: int) -> float:
    """CPU and memory per stream, recorder against Ingress; returns the CPU ratio."""
    recorder, ingress = (window.busy.get(name, (0.0, 0))[0] for name in ("recorder", "ingress"))
    peak, end = window.peak, window.end
    per_stream = [
        ("CPU, % of one core", recorder * 100, ingress * 100, f"<= {CPU_GOAL}x"),
        ("memory, peak RSS (MB)", peak["recorder"] / MB, peak["ingress"] / MB, ""),
        ("memory, RSS at the end (MB)", end["recorder"] / MB, end["ingress"] / MB, ""),
    ]
    out(f"per recorded stream ({count} at once, over {window.seconds:.0f} s of recording):")
    common.table(
        ["", "recorder + ffmpeg", "Ingress", "recorder / Ingress", "goal"],
        [
            [label, f"{mine / count:.1f}", f"{theirs / count:.1f}",
             f"{mine / theirs:.3f}x" if theirs else "-", goal]
            for label, mine, theirs, goal in per_stream
        ],
    )  # fmt: skip
    out(f"the recorder alone before any stream: {idle_rss / MB:.1f} MB RSS")
    out(f"cores busy in the window: {common.cores(window.busy)}\n")
    return recorder / ingress if ingress else float("nan")


def report_disk(recorded: list[Recorded], pattern: str) -> None:
    common.table(
        ["recording", "seconds", "MB", "kb/s", "GB per hour", "tracks"],
        [
            [r.label, f"{r.duration:.1f}", f"{r.bytes / MB:.1f}",
             f"{r.bytes * 8 / r.duration / 1000:.0f}", f"{r.bytes / r.duration * 3.6e-6:.3f}",
             r.tracks]
            for r in recorded
        ],
    )  # fmt: skip
    out("(the site's RTMP keys: Ingress preset H264_540P_25FPS_2_LAYERS, OPUS_STEREO_96KBPS;")
    out(f" the encoder: ffmpeg x264 ultrafast, devservers/media.py's pattern {pattern!r})\n")


def report_ready(recorded: list[Recorded]) -> float:
    """From the encoder's stop to the broadcast ready; returns the longest offline -> ready."""

    def seconds(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    steps = ["exited", "offline", "processing", "ready"]
    common.table(
        ["after the encoder stopped (s)", *steps, "offline -> ready"],
        [
            [r.label, *(seconds(r.after_stop.get(step)) for step in steps),
             seconds(r.after_stop["ready"] - r.after_stop["offline"])]
            for r in recorded
        ],
    )  # fmt: skip
    polled = f"database polled every {POLL * 1000:.0f} ms"
    out(f"(goal: offline -> ready <= {READY_GOAL:g} s; {polled})\n")
    return max(r.after_stop["ready"] - r.after_stop["offline"] for r in recorded)


def report_clips(recorded: list[Recorded]) -> None:
    rows = []
    for r in recorded:
        if r.clip is None:
            rows.append([r.label, "-", "-", "-", "-"])
            continue
        took, clip = r.clip
        rows.append([r.label, f"{took:.3f}", f"{clip.duration:.2f}",
                     f"{took / clip.duration:.4f}", f"{clip.bytes / MB:.1f}"])  # fmt: skip
    common.table(["clip", "made in (s)", "clip (s)", "ratio", "MB"], rows)
    out()


def report_offsets(recorded: list[Recorded]) -> None:
    rows = []
    for r in recorded:
        found = [offset * 1000 for _, offset in r.offsets]
        figures = ["-"] * 3
        if found:
            figures = [f"{found[0]:+.0f}", f"{found[-1]:+.0f}", f"{max(map(abs, found)):.0f}"]
        rows.append([r.label, len(found), *figures])
    common.table(["A/V offset (ms, sound late +)", "flashes", "first", "last", "worst"], rows)


def report(args, window: Window, idle_rss: int, recorded: list[Recorded]) -> None:
    ratio = report_costs(window, idle_rss, args.streams)
    report_disk(recorded, args.pattern)
    ready = report_ready(recorded)
    report_clips(recorded)
    report_offsets(recorded)

    def verdict(figure: str, met: bool, goal: str) -> str:
        return f"{figure} ({goal}: {'met' if met else 'NOT met'})"

    cpu = verdict(f"{ratio:.3f}x", ratio <= CPU_GOAL, f"<= {CPU_GOAL}x")
    waited = verdict(f"{ready:.2f} s at most", ready <= READY_GOAL, f"<= {READY_GOAL:g} s")
    out(f"\ngoals: CPU recorder / Ingress {cpu}; offline -> ready {waited}")


# The run ----------------------------------------------------------------------------------------


def run(site: ThrowawaySite, stack: contextlib.ExitStack, args) -> tuple:
    """The worker and the recorder, the streams, the window measured, the streams ended and
    their broadcasts looked at; what `stack` started stops with it."""
    from accounts.models import User

    worker = start_worker(stack)
    recorder = start_recorder(site, stack)
    streams = channels(args.streams)
    time.sleep(2)  # the recorder's first polls
    idle_rss = common.resident(recorder.process.pid)
    log(f"{args.streams} stream(s) going live")
    encoders = go_live(streams, args, stack)
    roots = common.site_processes(site) | {"recorder": recorder.process.pid, "worker": worker.pid}
    roots |= {f"encoder {n}": encoder.process.pid for n, encoder in enumerate(encoders, 1)}

    def healthy() -> None:
        check_encoders(encoders)
        if not recorder.running:
            raise RuntimeError(f"the recorder exited: see {recorder.log}")

    log(f"recording: measuring {args.seconds:g} s")
    window = measure(roots, args.seconds, healthy)
    log("stopping the encoders")
    ends = end_streams(encoders, streams, args.timeout)
    clipper = User.objects.create_user("recclipper", "recclipper@example.invalid")
    recorded = [
        finished(stream, after_stop, clipper, args)
        for stream, after_stop in zip(streams, ends, strict=True)
    ]
    return window, idle_rss, recorded


def main(argv: list[str]) -> None:
    args = common.parse_args(
        __doc__,
        argv,
        quick={"seconds": 20},
        seconds=60.0,
        streams=1,
        clip=30.0,
        pattern="sync-camera",
        timeout=60.0,
    )
    if not servers.recorder_installed() or not servers.ingress_installed():
        sys.exit("The recorder or Ingress is not built: `.venv/bin/python -m devservers install`.")
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    ffmpeg = " ".join(common.first_line(["ffmpeg", "-version"]).split()[:3])
    server = common.first_line([str(servers.LIVEKIT_SERVER), "--version"])
    common.print_header(
        args,
        [server, f"ingress {servers.INGRESS_VERSION}", f"recorder {servers.recorder_build()}",
         ffmpeg],
        "gunicorn (2 workers, DEBUG off) on SQLite, db_worker (idle poll 1 s), "
        f"recorder (poll {RECORDER_POLL_SECONDS:g} s)",
    )  # fmt: skip
    site = ThrowawaySite(with_ingress=True, production=True)
    os.environ["RECORDINGS_SPOOL_DIR"] = str(site.work / "spool")
    with site, contextlib.ExitStack() as stack:
        window, idle_rss, recorded = run(site, stack, args)
    report(args, window, idle_rss, recorded)


if __name__ == "__main__":
    common.run_main(main)
