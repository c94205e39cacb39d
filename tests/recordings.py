"""Real recordings for tests: what the recorder's ffmpeg writes into the spool, and a broadcast
finalised from it into media storage (ready to watch), as the worker makes it."""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import factory
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from streams.models import ChatMessage, Stream
from videos import finalise
from videos.models import Broadcast
from videos.replay import Timeline
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


def ended_broadcast(stream: Stream) -> Broadcast:
    """A broadcast of `stream` that ended just now while the recorder was recording: what
    the worker finalises from the spool (which the test fills)."""
    now = timezone.now()
    return Broadcast.objects.create(
        stream=stream,
        title="Any% practice",
        started_at=now - timedelta(minutes=1),
        ended_at=now,
        state="recording",
    )


def ready_broadcast(
    stream: Stream,
    *,
    parts: tuple[int, ...] = (4,),
    title: str = "Any% practice",
    ended_at: datetime | None = None,
) -> Broadcast:
    """A broadcast of `stream` recorded in parts of these many seconds and finalised: its
    files in media storage, its state ready. It began a second before its first frame and
    ended a second after its last, unless `ended_at` says when it ended. The spool is
    settings.RECORDINGS_SPOOL_DIR, which the test points somewhere of its own."""
    now = timezone.now()
    broadcast = Broadcast.objects.create(
        stream=stream,
        title=title,
        started_at=now,
        ended_at=now,
        state=Broadcast.State.PROCESSING,
    )
    for number, seconds in enumerate(parts, start=1):
        record_part(finalise.spool_folder(broadcast) / f"part-{number:03d}", seconds)
    assert finalise_broadcast.call(broadcast.pk) == Broadcast.State.READY
    broadcast.refresh_from_db()
    first, last = broadcast.timeline[0], broadcast.timeline[-1]
    if ended_at is None:
        broadcast.started_at = datetime.fromisoformat(first["clock"]) - timedelta(seconds=1)
        end = datetime.fromisoformat(last["clock"]) + timedelta(seconds=last["duration"] + 1)
    else:
        broadcast.started_at, end = ended_at - timedelta(seconds=sum(parts) + 2), ended_at
    broadcast.ended_at = end
    broadcast.save(update_fields=["started_at", "ended_at"])
    return broadcast


def said_during(broadcast: Broadcast, seconds_in: float, author, text: str, **fields):
    """A chat message `author` sent `seconds_in` seconds after the recording's first frame."""
    message = ChatMessage.objects.create(
        stream=broadcast.stream, user=author, author_name=author.username, text=text, **fields
    )
    moment = Timeline.of(broadcast).spans[0].clock + timedelta(seconds=seconds_in)
    ChatMessage.objects.filter(pk=message.pk).update(created_at=moment)
    return message


STORED_FILES = ["index.m3u8", "thumbnail.jpg", "part-001/init.mp4", "part-001/seg-00001.m4s"]


class BroadcastFactory(factory.django.DjangoModelFactory):
    """An ended broadcast, ready, whose recording is a few small stand-in files in media
    storage (`files=False`: none): for what needs rows and files, not a playable video."""

    class Meta:
        model = Broadcast
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Broadcast {n}")
    ended_at = factory.LazyFunction(timezone.now)
    started_at = factory.LazyAttribute(
        lambda b: (b.ended_at or timezone.now()) - timedelta(hours=1)
    )
    state = Broadcast.State.READY
    duration = 3600.0
    bytes_stored = 4 * 1000

    @factory.post_generation
    def files(broadcast, create, extracted, **kwargs):
        if not create or extracted is False or broadcast.state != Broadcast.State.READY:
            return
        for name in STORED_FILES:
            default_storage.save(f"{broadcast.storage_folder}/{name}", ContentFile(b"x" * 1000))
        broadcast.playlist = f"{broadcast.storage_folder}/index.m3u8"
        broadcast.thumbnail = f"{broadcast.storage_folder}/thumbnail.jpg"
        broadcast.save(update_fields=["playlist", "thumbnail"])


def stored_files(broadcast: Broadcast) -> list[str]:
    """The files under the broadcast's storage folder, as paths relative to it."""
    root = Path(default_storage.path(broadcast.storage_folder))
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())
