"""The time for a 30 s clip: how long making a clip keeps a request waiting (videos.clips cuts
it inside the request), and that time as a share of the clip's length.

A recording as the recorder writes it (fMP4 HLS of H.264 without B-frames and Opus, 2 s
segments, keyframes every 2 s) is made once with ffmpeg at --bitrate, --size and 30 fps,
finalised into media storage (a folder under bench/out/), then clipped --runs times, each a
--seconds clip at a different start, by the service the API and the form call
(videos.clips.services.clip_from_broadcast: the segments copied out of storage, ffmpeg -c
copy, ffprobe, the MP4 stored and the row saved). A live clip (the last 30 s, from the
spool) is timed once too.

`.venv/bin/python bench/clips.py [--quick]`; see bench/README.md. Options: --seconds,
--runs, --recording (seconds recorded), --bitrate (kb/s), --size, --pg-url (a PostgreSQL
server, scripts/postgres.sh's when not given), --database (recreated).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.common import log, out

WORK = common.OUT_DIR / "clips"


def record(folder: Path, seconds: int, bitrate: int, size: str) -> None:
    """What the recorder's ffmpeg writes, from a test pattern encoded at a stream's bitrate."""
    folder.mkdir(parents=True)
    subprocess.run(
        [
            "ffmpeg", "-v", "error",
            "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=30:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
            "-c:v", "libx264", "-preset", "ultrafast", "-bf", "0", "-g", "60",
            "-b:v", f"{bitrate}k", "-maxrate", f"{bitrate}k", "-bufsize", f"{bitrate}k",
            "-c:a", "libopus", "-f", "hls", "-hls_time", "2", "-hls_playlist_type", "event",
            "-hls_segment_type", "fmp4", "-hls_flags", "program_date_time+independent_segments",
            "-hls_fmp4_init_filename", "init.mp4",
            "-hls_segment_filename", str(folder / "seg-%05d.m4s"), str(folder / "index.m3u8"),
        ],
        check=True,
    )  # fmt: skip


def seed(args):
    """A channel with one finalised broadcast of --recording seconds, and a viewer."""
    from django.utils import timezone

    from accounts.models import User
    from videos import finalise
    from videos.models import Broadcast

    host = User.objects.create_user("cliphost", "cliphost@example.invalid")
    viewer = User.objects.create_user("clipper", "clipper@example.invalid")
    now = timezone.now()
    broadcast = Broadcast.objects.create(
        stream=host.stream,
        title="Bench broadcast",
        started_at=now - timedelta(seconds=args.recording),
        ended_at=now,
        state=Broadcast.State.RECORDING,
    )
    record(finalise.spool_folder(broadcast) / "part-001", args.recording, args.bitrate, args.size)
    return finalise.finalise(broadcast), viewer


def clip_past(broadcast, viewer, start: float, seconds: int) -> tuple[float, object]:
    from videos.clips import services

    began = time.perf_counter()
    clip = services.clip_from_broadcast(
        broadcast=broadcast, clipper=viewer, title="Bench", start=start, end=start + seconds
    )
    return time.perf_counter() - began, clip


def clip_live(viewer, args) -> tuple[float, object]:
    """The last 30 s of a live stream whose recording has --recording seconds so far."""
    from accounts.models import User
    from streams.models import Stream
    from videos import finalise
    from videos.clips import services
    from videos.models import Broadcast
    from videos.services import broadcast_start

    host = User.objects.create_user("livehost", "livehost@example.invalid")
    Stream.objects.filter(user=host).update(is_live=True)
    stream = Stream.objects.get(user=host)
    broadcast = broadcast_start(stream=stream, at=stream.created_at)
    Broadcast.objects.filter(pk=broadcast.pk).update(state=Broadcast.State.RECORDING)
    record(finalise.spool_folder(broadcast) / "part-001", args.recording, args.bitrate, args.size)
    began = time.perf_counter()
    clip = services.clip_from_live(stream=stream, clipper=viewer, title="Live bench")
    return time.perf_counter() - began, clip


def report(runs: list[tuple[float, object]], live: tuple[float, object], args) -> None:
    rows = []
    for n, (seconds, clip) in enumerate(runs, 1):
        rows.append(_row(f"past broadcast, run {n}", seconds, clip))
    rows.append(_row("live, the last 30 s", *live))
    common.table(["clip", "made in (s)", "clip (s)", "ratio", "MB"], rows)
    out(
        f"ratio: the time to make the clip over its length; a {args.bitrate} kb/s "
        f"{args.size} recording, cut with ffmpeg -c copy inside the service call"
    )


def _row(label: str, seconds: float, clip) -> list:
    return [
        label,
        f"{seconds:.3f}",
        f"{clip.duration:.2f}",
        f"{seconds / clip.duration:.4f}",
        f"{clip.bytes / 1e6:.1f}",
    ]


def main(argv: list[str]) -> None:
    quick = {"runs": 1, "recording": 40}
    args = common.parse_args(
        __doc__,
        argv,
        quick,
        seconds=30,
        runs=3,
        recording=120,
        bitrate=6000,
        size="1920x1080",
        pg_url="",
        database="clipbench",
    )
    shutil.rmtree(WORK, ignore_errors=True)
    os.environ["DJANGO_MEDIA_ROOT"] = str(WORK / "media")
    os.environ["RECORDINGS_SPOOL_DIR"] = str(WORK / "spool")
    pg_version = common.production_site(args.database, args.pg_url)
    ffmpeg = " ".join(common.first_line(["ffmpeg", "-version"]).split()[:3])
    common.print_header(
        args,
        [*common.versions("django"), ffmpeg, f"PostgreSQL {pg_version}"],
        "the clip service called in-process, media storage on the local disk",
    )
    log(f"recording {args.recording} s at {args.bitrate} kb/s, {args.size}")
    broadcast, viewer = seed(args)
    step = max(1.0, (broadcast.duration - args.seconds) / max(1, args.runs))
    runs = []
    for n in range(args.runs):
        start = min(n * step + 1.5, broadcast.duration - args.seconds)
        log(f"run {n + 1}: {args.seconds} s from {start:.1f} s")
        runs.append(clip_past(broadcast, viewer, start, args.seconds))
    log("a live clip")
    live = clip_live(viewer, args)
    report(runs, live, args)


if __name__ == "__main__":
    common.run_main(main)
