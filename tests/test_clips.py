"""Clips: a signed-in viewer cuts 5 to 60 s of a past broadcast (or the last 30 s of a live
stream) without re-encoding, into a page of its own; bad ranges are refused with nothing
saved; at most 10 clips per person per 10 minutes; the host deletes clips, files and all;
a viewer the host blocked finds nothing."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from streams.models import Stream
from tests.recordings import ended_broadcast, record_part
from videos import finalise, services
from videos.models import Broadcast, Clip
from videos.tasks import finalise_broadcast

pytestmark = pytest.mark.django_db


@pytest.fixture
def spool(settings, tmp_path) -> Path:
    settings.RECORDINGS_SPOOL_DIR = tmp_path / "spool"
    return settings.RECORDINGS_SPOOL_DIR


def _ready(broadcast: Broadcast) -> Broadcast:
    assert finalise_broadcast.call(broadcast.pk) == "ready"
    broadcast.refresh_from_db()
    return broadcast


@pytest.fixture
def broadcast(alice, spool) -> Broadcast:
    """alice's past broadcast: 20 s of H.264 (a keyframe every second) and Opus."""
    broadcast = ended_broadcast(alice.stream)
    record_part(finalise.spool_folder(broadcast) / "part-001", 20)
    return _ready(broadcast)


@pytest.fixture
def listed_broadcast(alice) -> Broadcast:
    """A ready broadcast of two minutes as far as its row says; its files are never read
    (every request made of it is refused first)."""
    now = timezone.now()
    return Broadcast.objects.create(
        stream=alice.stream,
        title="Long one",
        started_at=now - timedelta(minutes=3),
        ended_at=now,
        state="ready",
        duration=120.0,
        playlist="broadcasts/none/index.m3u8",
    )


def clip_api(client: Client, broadcast: Broadcast, **body):
    return client.post(
        reverse("api_broadcast_clips", args=[broadcast.pk]),
        json.dumps(body),
        content_type="application/json",
    )


def live_clip_api(client: Client, host, **body):
    return client.post(
        reverse("api_live_clips", args=[host.pk]), json.dumps(body), content_type="application/json"
    )


def probe(path: str, *entries: str) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", *entries, "-of", "json", path],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)


def video_packets(path: str) -> list[dict]:
    """The video packets of a media file: time, keyframe flag and a hash of the bytes."""
    found = probe(
        path,
        "-select_streams", "v:0", "-show_data_hash", "MD5",
        "-show_entries", "packet=pts_time,flags,data_hash",
    )  # fmt: skip
    return found["packets"]


def top_level_boxes(path: str) -> list[str]:
    """The MP4 boxes of a file, in order: with +faststart the index (moov) comes before the
    media (mdat)."""
    boxes, data, at = [], Path(path).read_bytes(), 0
    while at + 8 <= len(data):
        size, kind = int.from_bytes(data[at : at + 4], "big"), data[at + 4 : at + 8].decode()
        boxes.append(kind)
        if size == 1:  # a 64-bit size follows
            size = int.from_bytes(data[at + 8 : at + 16], "big")
        at += size if size else len(data)
    return boxes


def stream_params(path: str) -> dict:
    keep = ["codec_name", "profile", "width", "height", "pix_fmt", "sample_rate", "channels"]
    streams = probe(path, "-show_entries", "stream")["streams"]
    return {s["codec_type"]: {k: s.get(k) for k in keep} for s in streams}


def stored_files() -> list[str]:
    return default_storage.listdir("clips")[1] if default_storage.exists("clips") else []


# --------------------------------------------------------------------- a past broadcast


def test_a_clip_is_cut_from_the_keyframe_before_its_start_without_re_encoding(
    broadcast, bob_client
):
    response = clip_api(bob_client, broadcast, title="  The skip  ", start=5.5, end=15.5)

    assert response.status_code == 201
    clip = Clip.objects.get()
    assert response.json() == {
        "slug": clip.slug,
        "url": f"/clips/{clip.slug}/",
        "title": "The skip",
        "start": clip.start,
        "duration": clip.duration,
    }
    # Keyframes every second: the cut begins on the one at 5 s and ends at 15.5 s.
    assert clip.start == pytest.approx(5.0, abs=0.15)
    assert clip.duration == pytest.approx(10.5, abs=0.2)
    path = default_storage.path(clip.file)
    boxes = top_level_boxes(path)
    assert boxes.index("moov") < boxes.index("mdat")  # a browser plays it as it downloads
    packets = video_packets(path)
    assert "K" in packets[0]["flags"]
    assert stream_params(path) == stream_params(default_storage.path(broadcast.playlist))
    assert stream_params(path)["video"]["codec_name"] == "h264"
    assert stream_params(path)["audio"]["codec_name"] == "opus"
    # Copied, not encoded again: every picture is, byte for byte, one of the broadcast's.
    source = {packet["data_hash"] for packet in video_packets(broadcast_file(broadcast))}
    assert {packet["data_hash"] for packet in packets} <= source
    assert clip.bytes == default_storage.size(clip.file) + default_storage.size(clip.thumbnail)
    assert (clip.stream, clip.broadcast, clip.clipper.username) == (
        broadcast.stream,
        broadcast,
        "bob",
    )


def broadcast_file(broadcast: Broadcast) -> str:
    """The broadcast's one part as one fragmented MP4 (init segment, then every segment)."""
    part = Path(default_storage.path(broadcast.playlist)).parent / "part-001"
    whole = part / "whole.mp4"
    with whole.open("wb") as out:
        for name in ["init.mp4", *sorted(p.name for p in part.glob("seg-*.m4s"))]:
            out.write((part / name).read_bytes())
    return str(whole)


def test_a_clip_may_end_at_the_end_of_the_broadcast_and_take_times_as_minutes(
    broadcast, bob_client
):
    response = clip_api(bob_client, broadcast, title="The end", start="0:12", end="0:20")
    assert response.status_code == 201
    clip = Clip.objects.get()
    assert clip.start == pytest.approx(12, abs=0.15)
    assert clip.duration == pytest.approx(8, abs=0.2)


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"start": -1, "end": 10}, "out_of_range", "start"),
        ({"start": 120, "end": 125}, "out_of_range", "start"),
        ({"start": 100, "end": 121}, "out_of_range", "end"),
        ({"start": 30, "end": 20}, "end_before_start", "end"),
        ({"start": 30, "end": 30}, "end_before_start", "end"),
        ({"start": 30, "end": 34.9}, "too_short", "end"),
        ({"start": 30, "end": 90.5}, "too_long", "end"),
        ({"start": "soon", "end": 40}, "bad_start", "start"),
        ({"start": 10}, "bad_end", "end"),
        ({"start": True, "end": 40}, "bad_start", "start"),
        ({"start": "1:-30", "end": 40}, "bad_start", "start"),
        ({"start": "NaN", "end": 40}, "bad_start", "start"),
        ({"start": 10, "end": 20, "title": ""}, "title_required", "title"),
        ({"start": 10, "end": 20, "title": "   "}, "title_required", "title"),
        ({"start": 10, "end": 20, "title": None}, "title_required", "title"),
        ({"start": 10, "end": 20, "title": "x" * 101}, "title_too_long", "title"),
    ],
)
def test_a_bad_range_or_title_is_refused_and_nothing_is_saved(
    listed_broadcast, bob_client, body, code, field
):
    body = {"title": "A clip", **body}
    response = clip_api(bob_client, listed_broadcast, **body)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["detail"]
    assert not Clip.objects.exists()
    assert stored_files() == []


def test_a_clip_may_not_span_a_break_in_the_recording(alice, spool, bob_client):
    broadcast = ended_broadcast(alice.stream)
    record_part(finalise.spool_folder(broadcast) / "part-001", 6)
    record_part(finalise.spool_folder(broadcast) / "part-002", 6)
    broadcast = _ready(broadcast)

    response = clip_api(bob_client, broadcast, title="Across", start=3, end=9)
    assert (response.status_code, response.json()["code"]) == (400, "crosses_break")
    response = clip_api(bob_client, broadcast, title="After", start=6.5, end=12)
    assert response.status_code == 201
    assert Clip.objects.get().start == pytest.approx(6, abs=0.15)  # the second part's start


def test_a_broadcast_that_is_not_ready_cannot_be_clipped(listed_broadcast, bob_client):
    Broadcast.objects.filter(pk=listed_broadcast.pk).update(state="processing")
    response = clip_api(bob_client, listed_broadcast, title="Soon", start=0, end=10)
    assert (response.status_code, response.json()["code"]) == (409, "not_ready")
    assert not Clip.objects.exists()


def test_the_eleventh_clip_in_ten_minutes_waits(broadcast, bob_client, alice_client):
    for n in range(10):
        response = clip_api(bob_client, broadcast, title=f"Clip {n}", start=n, end=n + 5)
        assert response.status_code == 201

    response = clip_api(bob_client, broadcast, title="One more", start=0, end=5)
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert 0 < int(response["Retry-After"]) <= 11 * 60
    assert Clip.objects.count() == 10
    # The limit is bob's, not the channel's.
    assert clip_api(alice_client, broadcast, title="Mine", start=0, end=5).status_code == 201


def test_a_guest_must_sign_in_to_clip(broadcast, guest_client, live, alice):
    response = clip_api(guest_client, broadcast, title="Guest", start=0, end=10)
    assert (response.status_code, response.json()["code"]) == (401, "not_signed_in")
    response = live_clip_api(guest_client, alice, title="Guest")
    assert (response.status_code, response.json()["code"]) == (401, "not_signed_in")
    response = guest_client.post(
        reverse("clip_new", args=[broadcast.pk]), {"title": "Guest", "start": 0, "end": 10}
    )
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Clip.objects.exists()


def test_clipping_needs_the_csrf_token(broadcast, bob):
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)
    assert clip_api(client, broadcast, title="Forged", start=0, end=10).status_code == 403
    assert not Clip.objects.exists()


# --------------------------------------------------------------------- a live stream


@pytest.fixture
def live_broadcast(alice, live, spool) -> Broadcast:
    """alice is live and being recorded."""
    broadcast = services.broadcast_start(stream=live, at=timezone.now())
    Broadcast.objects.filter(pk=broadcast.pk).update(state="recording")
    return broadcast


def test_a_live_clip_is_the_last_thirty_seconds(live_broadcast, alice, bob_client):
    folder = finalise.spool_folder(live_broadcast)
    record_part(folder / "part-001", 8)  # an earlier run of the recorder
    record_part(folder / "part-002", 42, closed=False)  # being written: 40 s so far

    response = live_clip_api(bob_client, alice, title="Just now")

    assert response.status_code == 201
    clip = Clip.objects.get()
    assert clip.duration == pytest.approx(30, abs=1)
    assert clip.start == pytest.approx(8 + 40 - 30, abs=1)  # on the broadcast's time axis
    assert clip.broadcast == live_broadcast
    assert stream_params(default_storage.path(clip.file))["video"]["codec_name"] == "h264"


def test_a_live_clip_is_all_there_is_when_less_is_recorded(live_broadcast, alice, bob_client):
    record_part(finalise.spool_folder(live_broadcast) / "part-001", 12, closed=False)
    response = live_clip_api(bob_client, alice, title="Early")
    assert response.status_code == 201
    assert Clip.objects.get().duration == pytest.approx(10, abs=0.5)


def test_a_live_clip_needs_a_live_recorded_stream(live_broadcast, alice, bob_client):
    response = live_clip_api(bob_client, alice, title="Too soon")
    assert (response.status_code, response.json()["code"]) == (409, "not_recorded")
    Stream.objects.filter(user=alice).update(is_live=False)
    response = live_clip_api(bob_client, alice, title="Offline")
    assert (response.status_code, response.json()["code"]) == (409, "offline")
    assert not Clip.objects.exists()


def test_the_live_clip_form_opens_the_new_clip(live_broadcast, alice, bob_client):
    record_part(finalise.spool_folder(live_broadcast) / "part-001", 10, closed=False)
    page = bob_client.get(reverse("channel", args=["alice"])).content.decode()
    assert reverse("clip_new_live", args=[alice.pk]) in page

    response = bob_client.post(reverse("clip_new_live", args=[alice.pk]), {"title": "Wow"})

    clip = Clip.objects.get()
    assert response.status_code == 302 and response["Location"] == clip.get_absolute_url()


# --------------------------------------------------------------------- the pages


@pytest.fixture
def clip(broadcast, bob_client) -> Clip:
    assert clip_api(bob_client, broadcast, title="The skip", start=2, end=9).status_code == 201
    return Clip.objects.get()


def test_the_clip_page_plays_the_clip_and_names_the_clipper_and_channel(clip, guest_client):
    page = guest_client.get(clip.get_absolute_url())
    assert page.status_code == 200
    html = page.content.decode()
    assert f'src="/media/{clip.file}"' in html
    assert "The skip" in html
    assert 'href="/bob/"' in html and 'href="/alice/"' in html
    assert f'value="https://stream.example.com/clips/{clip.slug}/"' in html
    assert 'data-copy="clip-share-url"' in html
    assert "Delete the clip" not in html


def test_the_channel_lists_its_clips_newest_first(broadcast, bob_client, guest_client):
    for n, start in enumerate([0, 5, 10]):
        clip_api(bob_client, broadcast, title=f"Clip number {n}", start=start, end=start + 5)
    page = guest_client.get(reverse("channel_clips", args=["alice"])).content.decode()
    spots = [page.index(f"Clip number {n}") for n in range(3)]
    assert spots == sorted(spots, reverse=True)
    channel = guest_client.get(reverse("channel", args=["alice"])).content.decode()
    assert reverse("channel_clips", args=["alice"]) in channel


def test_the_clip_form_makes_a_clip_or_shows_why_not(broadcast, bob_client):
    url = reverse("clip_new", args=[broadcast.pk])
    assert bob_client.get(url).status_code == 200

    refused = bob_client.post(url, {"title": "Past the end", "start": "0:15", "end": "1:30"})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert 'id="clip-end-error"' in html and "The broadcast ends at 0:20" in html
    assert 'value="Past the end"' in html  # the form keeps what was typed
    assert not Clip.objects.exists()

    made = bob_client.post(url, {"title": "Good", "start": "0:01", "end": "0:09"})
    clip = Clip.objects.get()
    assert made.status_code == 302 and made["Location"] == clip.get_absolute_url()


def test_a_blocked_viewer_finds_no_clip(clip, broadcast, carol_client, alice):
    assert carol_client.get(clip.get_absolute_url()).status_code == 404
    assert carol_client.get(reverse("channel_clips", args=["alice"])).status_code == 404
    assert carol_client.get(reverse("clip_new", args=[broadcast.pk])).status_code == 404
    response = clip_api(carol_client, broadcast, title="Mine now", start=0, end=10)
    assert (response.status_code, response.json()["code"]) == (403, "blocked")
    Stream.objects.filter(user=alice).update(is_live=True)
    response = live_clip_api(carol_client, alice, title="Mine now")
    assert (response.status_code, response.json()["code"]) == (403, "blocked")
    assert Clip.objects.count() == 1


def test_the_host_deletes_a_clip_and_its_files(
    clip, alice_client, guest_client, django_capture_on_commit_callbacks
):
    files = [clip.file, clip.thumbnail]
    assert all(default_storage.exists(name) for name in files)
    assert "Delete the clip" in alice_client.get(clip.get_absolute_url()).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(reverse("clip_delete", args=[clip.slug]))

    assert response.status_code == 302
    assert response["Location"] == reverse("channel_clips", args=["alice"])
    assert not Clip.objects.exists()
    assert not any(default_storage.exists(name) for name in files)
    assert guest_client.get(clip.get_absolute_url()).status_code == 404


def test_nobody_but_the_host_deletes_a_clip(clip, bob_client, guest_client, mod_client):
    assert bob_client.post(reverse("clip_delete", args=[clip.slug])).status_code == 403
    assert mod_client.post(reverse("clip_delete", args=[clip.slug])).status_code == 403
    response = guest_client.post(reverse("clip_delete", args=[clip.slug]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert Clip.objects.filter(pk=clip.pk).exists()
    assert default_storage.exists(clip.file)


def test_a_deleted_broadcast_keeps_its_clips(clip, broadcast, guest_client):
    broadcast.delete()
    clip.refresh_from_db()
    assert clip.broadcast is None
    assert guest_client.get(clip.get_absolute_url()).status_code == 200


def test_a_channel_deleted_with_its_account_takes_its_clips_and_their_files(
    clip, alice, django_capture_on_commit_callbacks
):
    files = [clip.file, clip.thumbnail]
    with django_capture_on_commit_callbacks(execute=True):
        alice.delete()
    assert not Clip.objects.exists()
    assert not any(default_storage.exists(name) for name in files)
