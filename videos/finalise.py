"""A recording's spool folder (one HLS part per run of the recorder's ffmpeg, see
docs/recording.md) made into one playable broadcast in media storage."""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage

from videos.models import Broadcast

logger = logging.getLogger(__name__)

THUMBNAIL_WIDTH = 640
THUMBNAIL_AT_SECONDS = 2.0  # the very first frame is often still black


class NothingRecorded(Exception):
    pass


@dataclass
class Part:
    """One part's playlist: its init segment, media segments and clock."""

    folder: Path
    init: str = ""
    segments: list[tuple[str, float]] = field(default_factory=list)  # (file, seconds)
    clock: datetime | None = None  # the wall clock of its first segment

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def duration(self) -> float:
        return sum(seconds for _, seconds in self.segments)

    @property
    def number(self) -> int:
        return int(self.name.removeprefix("part-"))


def spool_folder(broadcast: Broadcast) -> Path:
    return Path(settings.RECORDINGS_SPOOL_DIR) / str(broadcast.pk)


@dataclass
class Listed:
    """What one #EXT-X-MAP of an HLS playlist heads: its init segment, the media segments
    that follow (URI, seconds) and the first segment's program date-time."""

    init: str
    segments: list[tuple[str, float]] = field(default_factory=list)
    clock: datetime | None = None


def read_playlist(text: str) -> list[Listed]:
    """The runs of an HLS playlist as ffmpeg and vod_playlist write them: a part's playlist
    is one, a finalised broadcast's one per part."""
    runs: list[Listed] = []
    seconds = None
    for line in map(str.strip, text.splitlines()):
        if line.startswith("#EXT-X-MAP:"):
            runs.append(Listed(init=line.split('URI="', 1)[1].split('"', 1)[0]))
        elif line.startswith("#EXT-X-PROGRAM-DATE-TIME:") and runs and runs[-1].clock is None:
            runs[-1].clock = datetime.fromisoformat(line.split(":", 1)[1])
        elif line.startswith("#EXTINF:"):
            seconds = float(line.removeprefix("#EXTINF:").split(",", 1)[0])
        elif line and not line.startswith("#") and seconds is not None and runs:
            runs[-1].segments.append((line, seconds))
            seconds = None
    return runs


def read_part(folder: Path) -> Part:
    """The segments of a part's playlist that are on disk; a playlist cut off by a crash
    (no #EXT-X-ENDLIST, a last segment still being written) keeps what is whole."""
    part = Part(folder)
    playlist = folder / "index.m3u8"
    if not playlist.exists():
        return part
    runs = read_playlist(playlist.read_text())
    if not runs or not (folder / runs[0].init).is_file():
        return part
    part.init, part.clock = runs[0].init, runs[0].clock
    part.segments = [
        (name, seconds)
        for name, seconds in runs[0].segments
        if (folder / name).is_file() and (folder / name).stat().st_size > 0
    ]
    # The recorder's own clock of the part's first frame (from the stream's sender reports)
    # is better than ffmpeg's program date-time, which is when ffmpeg started writing.
    if (clock := folder / "clock.txt").is_file() and (text := clock.read_text().strip()):
        part.clock = datetime.fromisoformat(text)
    return part


def vod_playlist(parts: list[Part]) -> str:
    """One VOD playlist over every part, a discontinuity between two."""
    longest = max(seconds for part in parts for _, seconds in part.segments)
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        f"#EXT-X-TARGETDURATION:{int(longest + 0.999)}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    for index, part in enumerate(parts):
        if index:
            lines.append("#EXT-X-DISCONTINUITY")
        lines.append(f'#EXT-X-MAP:URI="{part.name}/{part.init}"')
        for name, seconds in part.segments:
            lines += [f"#EXTINF:{seconds:.6f},", f"{part.name}/{name}"]
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def _store(name: str, source: Path) -> int:
    """Copy a file into media storage under exactly `name`; returns its size."""
    if default_storage.exists(name):
        default_storage.delete(name)
    with source.open("rb") as handle:
        default_storage.save(name, File(handle))
    return source.stat().st_size


def _thumbnail(part: Part, into: Path) -> Path | None:
    """A frame of the first part as a JPEG, taken by ffmpeg (None when it cannot)."""
    whole = into / "start.mp4"
    with whole.open("wb") as out:
        out.write((part.folder / part.init).read_bytes())
        for name, _ in part.segments[:2]:
            out.write((part.folder / name).read_bytes())
    image = into / "thumbnail.jpg"
    at = min(THUMBNAIL_AT_SECONDS, part.duration / 2)
    command = [
        settings.FFMPEG, "-v", "error", "-y", "-ss", f"{at:.2f}", "-i", str(whole),
        "-frames:v", "1", "-vf", f"scale={THUMBNAIL_WIDTH}:-2", "-q:v", "4", str(image),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    if result.returncode != 0 or not image.exists():
        logger.warning("No thumbnail for %s: %s", part.folder, result.stderr.strip()[-300:])
        return None
    return image


def finalise(broadcast: Broadcast) -> Broadcast:
    """Make the broadcast's spool into its recording in media storage and mark it ready;
    raises NothingRecorded when there is no whole segment to keep."""
    spool = spool_folder(broadcast)
    parts = [read_part(folder) for folder in sorted(spool.glob("part-*")) if folder.is_dir()]
    parts = [part for part in parts if part.segments]
    if not parts:
        raise NothingRecorded(f"no recorded segment in {spool}")
    folder = broadcast.storage_folder
    stored = 0
    timeline, offset = [], 0.0
    for part in parts:
        stored += _store(f"{folder}/{part.name}/{part.init}", part.folder / part.init)
        for name, _ in part.segments:
            stored += _store(f"{folder}/{part.name}/{name}", part.folder / name)
        timeline.append(
            {
                "part": part.number,
                "offset": round(offset, 3),
                "duration": round(part.duration, 3),
                "clock": part.clock.isoformat() if part.clock else None,
            }
        )
        offset += part.duration
    playlist = vod_playlist(parts).encode()
    with tempfile.TemporaryDirectory() as work:
        (Path(work) / "index.m3u8").write_bytes(playlist)
        stored += _store(f"{folder}/index.m3u8", Path(work) / "index.m3u8")
        image = _thumbnail(parts[0], Path(work))
        if image is not None:
            stored += _store(f"{folder}/thumbnail.jpg", image)
    broadcast.state = Broadcast.State.READY
    broadcast.failure = ""
    broadcast.duration = round(offset, 3)
    broadcast.bytes_stored = stored
    broadcast.playlist = f"{folder}/index.m3u8"
    broadcast.thumbnail = f"{folder}/thumbnail.jpg" if image is not None else ""
    broadcast.timeline = timeline
    broadcast.save()
    shutil.rmtree(spool, ignore_errors=True)
    logger.info("Broadcast %s ready: %.1f s, %d bytes", broadcast.pk, offset, stored)
    return broadcast
