"""Cutting a few seconds out of a recording without re-encoding.

A recording is fMP4 HLS (docs/recording.md): each part is an init segment and media segments
that each begin on a keyframe. A cut takes the segments of one part that cover the range and
joins them behind their init segment into one fragmented MP4 in a temporary folder: the only
place a recording's files are read (`Run.open`), so media storage that is not a local disk
works as well as the recorder's spool. ffmpeg then copies the streams (`-c copy`) from the
keyframe at or before the start up to the end into an MP4 whose index comes first
(`+faststart`: a browser plays it while it downloads), and ffprobe reads back how long the
result is, so a clip states where it really begins.

(ffmpeg's own HLS reader cannot seek in fMP4 segments: it would copy nothing.)
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.files.storage import default_storage

from videos import finalise
from videos.models import Broadcast

logger = logging.getLogger(__name__)

FFMPEG_TIMEOUT = 60  # seconds; copying a minute of video takes a fraction of one


class CutFailed(Exception):
    pass


@dataclass
class Run:
    """One part of a recording: its files (names `open` understands) and where it begins on
    the broadcast's time axis."""

    open: Callable[[str], IO[bytes]]
    init: str
    segments: list[tuple[str, float]] = field(default_factory=list)  # (name, seconds)
    offset: float = 0.0

    @property
    def duration(self) -> float:
        return sum(seconds for _, seconds in self.segments)

    @property
    def end(self) -> float:
        return self.offset + self.duration


@dataclass(frozen=True)
class Cut:
    path: Path
    start: float  # on the broadcast's time axis
    duration: float
    thumbnail: Path | None  # a JPEG of its first frame


def _storage_open(name: str) -> IO[bytes]:
    return default_storage.open(name, "rb")


def stored_runs(broadcast: Broadcast) -> list[Run]:
    """The parts of a finalised broadcast, read from its playlist in media storage."""
    folder = broadcast.storage_folder
    with default_storage.open(broadcast.playlist, "rb") as playlist:
        listed = finalise.read_playlist(playlist.read().decode())
    runs, offset = [], 0.0
    for part in listed:
        if not part.segments:
            continue
        segments = [(f"{folder}/{name}", seconds) for name, seconds in part.segments]
        runs.append(Run(_storage_open, f"{folder}/{part.init}", segments, offset))
        offset += runs[-1].duration
    return runs


def spool_run(broadcast: Broadcast) -> Run | None:
    """The part the recorder is writing now (the last one in the spool), with the segments it
    has finished; None when it has none yet. It begins where the earlier parts end, as the
    finalised broadcast will have it."""
    spool = finalise.spool_folder(broadcast)
    if not spool.is_dir():
        return None
    parts = [finalise.read_part(folder) for folder in sorted(spool.glob("part-*"))]
    parts = [part for part in parts if part.segments]
    if not parts:
        return None
    last = parts[-1]
    return Run(
        open=lambda name: (last.folder / name).open("rb"),
        init=last.init,
        segments=list(last.segments),
        offset=sum(part.duration for part in parts[:-1]),
    )


def _write_source(run: Run, names: list[str], target: Path) -> None:
    """The init segment and media segments `names`, one after the other: one fragmented MP4."""
    try:
        with target.open("wb") as out:
            for name in names:
                with run.open(name) as segment:
                    shutil.copyfileobj(segment, out)
    except OSError as error:  # the recording moved on (finalised meanwhile) or is unreadable
        raise CutFailed(f"cannot read the recording: {error}") from error


def cut(run: Run, start: float, end: float | None, into: Path) -> Cut:
    """Copy `run` from the keyframe at or before `start` up to `end` (to the run's end when
    None), times on the broadcast's time axis, into `into`/clip.mp4."""
    chosen, first, at = [], None, run.offset
    for name, seconds in run.segments:
        if at + seconds > start and (end is None or at < end):
            first = at if first is None else first
            chosen.append(name)
        at += seconds
        if end is not None and at >= end:
            break
    if first is None:
        raise CutFailed(f"no segment between {start:.1f} and {end} s")
    source, clip = into / "source.mp4", into / "clip.mp4"
    _write_source(run, [run.init, *chosen], source)
    until = ["-t", f"{end - start:.3f}"] if end is not None else []
    command = [
        settings.FFMPEG, "-v", "error", "-y", "-ss", f"{max(0.0, start - first):.3f}",
        "-i", str(source), *until, "-map", "0:v:0?", "-map", "0:a:0?", "-c", "copy",
        # From the keyframe on, timestamps from 0: no edit list hiding the frames before
        # `start`, so the clip is what it says it is.
        "-avoid_negative_ts", "make_zero", "-movflags", "+faststart", str(clip),
    ]  # fmt: skip
    _run(command)
    duration = probe(clip)["duration"]
    if duration <= 0:
        raise CutFailed(f"ffmpeg made an empty clip of {start:.1f} s to {end} s")
    clip_end = min(end, at) if end is not None else at
    start = round(max(first, clip_end - duration), 3)
    return Cut(path=clip, start=start, duration=duration, thumbnail=_thumbnail(clip, into))


def _thumbnail(clip: Path, into: Path) -> Path | None:
    """The clip's first frame (a keyframe: one decoded), as a JPEG; None when it cannot."""
    image = into / "thumbnail.jpg"
    command = [
        settings.FFMPEG, "-v", "error", "-y", "-i", str(clip), "-frames:v", "1",
        "-vf", f"scale={finalise.THUMBNAIL_WIDTH}:-2", "-q:v", "4", str(image),
    ]  # fmt: skip
    try:
        _run(command)
    except CutFailed as error:  # an audio-only clip, say: the page shows the channel instead
        logger.warning("No thumbnail for %s: %s", clip, error)
        return None
    return image if image.exists() else None


def _run(command: list[str]) -> None:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=FFMPEG_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise CutFailed(f"{command[0]}: {error}") from error
    if result.returncode != 0:
        raise CutFailed(f"{command[0]} failed: {result.stderr.strip()[-500:]}")


def probe(path: Path) -> dict:
    """{"duration": seconds, "streams": [{"codec_type", "codec_name", ...}]} of a media file."""
    command = [
        settings.FFPROBE, "-v", "error", "-show_entries", "format=duration:stream",
        "-of", "json", str(path),
    ]  # fmt: skip
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=FFMPEG_TIMEOUT)
        found = json.loads(result.stdout or "{}")
    except (OSError, subprocess.TimeoutExpired, ValueError) as error:
        raise CutFailed(f"{command[0]}: {error}") from error
    try:
        duration = float(found.get("format", {}).get("duration", 0))
    except ValueError:  # "N/A"
        duration = 0.0
    return {"duration": round(duration, 3), "streams": found.get("streams", [])}
