"""A recording's parts in the spool become one watchable broadcast in media storage: one VOD
playlist (a discontinuity where the recorder restarted), a thumbnail, its duration; a part
cut off by a crash keeps what is whole."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from videos import finalise
from videos.models import Broadcast
from videos.tasks import finalise_broadcast


def record_part(folder: Path, seconds: int, *, closed: bool = True) -> None:
    """What the recorder's ffmpeg writes: fMP4 HLS of H.264 and Opus, 2 s segments here."""
    folder.mkdir(parents=True)
    subprocess.run(
        [
            "ffmpeg", "-v", "error",
            "-f", "lavfi", "-i", f"testsrc2=size=320x180:rate=25:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
            "-c:v", "libx264", "-g", "25", "-c:a", "libopus", "-f", "hls", "-hls_time", "2",
            "-hls_playlist_type", "event", "-hls_segment_type", "fmp4",
            "-hls_flags", "program_date_time+independent_segments",
            "-hls_fmp4_init_filename", "init.mp4",
            "-hls_segment_filename", str(folder / "seg-%05d.m4s"), str(folder / "index.m3u8"),
        ],
        check=True,
    )  # fmt: skip
    if not closed:  # the recorder died: no ENDLIST, a last segment half written
        playlist = folder / "index.m3u8"
        playlist.write_text(playlist.read_text().replace("#EXT-X-ENDLIST\n", ""))
        last = sorted(folder.glob("seg-*.m4s"))[-1]
        last.write_bytes(b"")


def probe_seconds(path: str) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", path],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(json.loads(out)["format"]["duration"])


@pytest.fixture
def ended_broadcast(alice, settings, tmp_path):
    settings.RECORDINGS_SPOOL_DIR = tmp_path / "spool"
    now = timezone.now()
    return Broadcast.objects.create(
        stream=alice.stream,
        title="Any% practice",
        started_at=now - timedelta(minutes=1),
        ended_at=now,
        state="recording",
    )


def test_two_parts_become_one_broadcast_with_a_thumbnail(ended_broadcast):
    spool = finalise.spool_folder(ended_broadcast)
    record_part(spool / "part-001", 6)
    record_part(spool / "part-002", 4, closed=False)  # cut off: its last segment is lost

    assert finalise_broadcast.call(ended_broadcast.pk, only_if_abandoned=True) == "ready"

    ended_broadcast.refresh_from_db()
    assert ended_broadcast.duration == pytest.approx(6 + 2, abs=0.2)
    assert [part["part"] for part in ended_broadcast.timeline] == [1, 2]
    assert ended_broadcast.timeline[1]["offset"] == pytest.approx(6, abs=0.1)
    assert ended_broadcast.timeline[0]["clock"] is not None
    playlist = default_storage.open(ended_broadcast.playlist).read().decode()
    assert playlist.count("#EXT-X-DISCONTINUITY") == 1
    assert playlist.rstrip().endswith("#EXT-X-ENDLIST")
    assert probe_seconds(default_storage.path(ended_broadcast.playlist)) == pytest.approx(
        8, abs=0.3
    )
    assert default_storage.size(ended_broadcast.thumbnail) > 1000
    assert ended_broadcast.bytes_stored > 10_000
    assert not spool.exists()


def test_a_broadcast_the_recorder_is_finishing_is_left_to_it(ended_broadcast):
    ended_broadcast.state = "processing"
    ended_broadcast.save()
    record_part(finalise.spool_folder(ended_broadcast) / "part-001", 4)
    assert finalise_broadcast.call(ended_broadcast.pk, only_if_abandoned=True) == (
        "left to the recorder"
    )
    assert finalise_broadcast.call(ended_broadcast.pk) == "ready"
