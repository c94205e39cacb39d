"""A recording's parts in the spool become one watchable broadcast in media storage: one VOD
playlist (a discontinuity where the recorder restarted), a thumbnail, its duration; a part
cut off by a crash keeps what is whole."""

from __future__ import annotations

import json
import subprocess

import pytest
from django.core.files.storage import default_storage

from tests import recordings
from tests.recordings import record_part
from videos import finalise
from videos.tasks import finalise_broadcast


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
    return recordings.ended_broadcast(alice.stream)


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


def test_the_recorders_clock_of_a_part_is_preferred_to_ffmpegs(ended_broadcast):
    """ffmpeg stamps the time it began writing; the recorder knows when the first frame was
    captured (clock.txt), which is where chat replay must place the video."""
    part = finalise.spool_folder(ended_broadcast) / "part-001"
    record_part(part, 4)
    (part / "clock.txt").write_text("2026-12-03T07:10:39.123456+00:00\n")
    finalise_broadcast.call(ended_broadcast.pk)
    ended_broadcast.refresh_from_db()
    assert ended_broadcast.timeline[0]["clock"] == "2026-12-03T07:10:39.123456+00:00"
