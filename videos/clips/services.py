"""Writes about clips: a signed-in viewer clips 5 to 60 s of a past broadcast, or the last 30 s
of a live stream; the host deletes clips of their channel.

Every refusal is a ClipRefused (an ApiError: status, code, detail) naming the form field it is
about, and comes before anything is cut or saved. A person makes at most CLIPS_PER_WINDOW clips
in any CLIP_WINDOW_SECONDS (streams.flood counts them in the cache); a cut that then fails
still counts, as its work was done.

The cut runs inside the request. bench/clips.py measures 0.7 to 0.8 s for a 30 s clip of a
6 Mb/s 1080p recording, thumbnail included, on two cores other work kept busy (0.4 s with less
of it): the clipper gets the clip, or the reason there is none, in the answer, and no clip
is ever half made. The task queue would add a "processing" clip that pages poll and the
worker's wait, to save less than a second. With media storage that is not a local disk,
fetching the segments (the clip's length times the bitrate, some 23 MB there) joins the
time; it is one function (cutting._write_source) should the cut need to move to the worker.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction

from streams.errors import ApiError
from streams.flood import Limit
from streams.models import Stream
from videos.clips import cutting
from videos.formats import clock
from videos.models import Broadcast, Clip, new_clip_slug

logger = logging.getLogger(__name__)

MIN_SECONDS, MAX_SECONDS = 5, 60
LIVE_SECONDS = 30  # a live clip is the last this many seconds
TITLE_MAX_LENGTH = Clip._meta.get_field("title").max_length
CLIPS_PER_WINDOW, CLIP_WINDOW_SECONDS = 10, 600
# Counted per minute: the window is up to a minute longer at its edges, never shorter.
LIMIT = Limit("clips", CLIPS_PER_WINDOW, CLIP_WINDOW_SECONDS, step=60)
# Times on the broadcast's axis are sums of segment lengths: equal up to rounding.
SLACK = 0.01


class ClipRefused(ApiError):
    def __init__(self, status: int, code: str, detail: str, field: str | None = None, **kwargs):
        super().__init__(status, code, detail, **kwargs)
        self.field = field


def clean_title(title) -> str:
    title = title.strip() if isinstance(title, str) else ""
    if not title:
        raise ClipRefused(400, "title_required", "Give the clip a title.", "title")
    if len(title) > TITLE_MAX_LENGTH:
        detail = f"The title is {len(title)} characters; at most {TITLE_MAX_LENGTH}."
        raise ClipRefused(400, "title_too_long", detail, "title")
    return title


def parse_time(value, field: str) -> float:
    """Seconds from a number, "90", "90.5", "1:30" or "1:02:03"."""
    if isinstance(value, bool):  # a bool is an int to Python, and no time to anyone
        value = None
    try:
        if isinstance(value, str):
            parts = [float(part) for part in value.strip().split(":")]
            if len(parts) > 3 or any(part < 0 for part in parts[1:]):
                raise ValueError(value)
            seconds = 0.0
            for part in parts:
                seconds = seconds * 60 + part
        else:
            seconds = float(value)
    except (TypeError, ValueError, OverflowError):
        detail = f"Give the {field} as seconds (90) or minutes and seconds (1:30)."
        raise ClipRefused(400, f"bad_{field}", detail, field) from None
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN, infinities
        raise ClipRefused(400, f"bad_{field}", f"The {field} is not a time.", field)
    return seconds


def check_range(start: float, end: float, duration: float) -> None:
    """0 <= start < end <= duration, and MIN_SECONDS to MAX_SECONDS long."""
    if start < 0 or start >= duration:
        detail = f"The start must be between 0:00 and {clock(duration)}, the broadcast's end."
        raise ClipRefused(400, "out_of_range", detail, "start")
    if end <= start:
        raise ClipRefused(400, "end_before_start", "The end must come after the start.", "end")
    if end > duration + SLACK:
        detail = f"The broadcast ends at {clock(duration)}: end the clip there or before."
        raise ClipRefused(400, "out_of_range", detail, "end")
    if end - start < MIN_SECONDS:
        detail = f"A clip is at least {MIN_SECONDS} seconds long."
        raise ClipRefused(400, "too_short", detail, "end")
    if end - start > MAX_SECONDS:
        detail = f"A clip is at most {MAX_SECONDS} seconds long."
        raise ClipRefused(400, "too_long", detail, "end")


def _take_turn(clipper) -> None:
    wait = LIMIT.take([f"user:{clipper.pk}"])
    if wait:
        detail = (
            f"You made {CLIPS_PER_WINDOW} clips in the last {CLIP_WINDOW_SECONDS // 60} "
            f"minutes. Wait {wait} s for the next one."
        )
        raise ClipRefused(429, "rate_limited", detail, retry_after=wait)


def clip_from_broadcast(*, broadcast: Broadcast, clipper, title, start, end) -> Clip:
    """A clip of a past broadcast (ready to watch) from `start` to `end` seconds."""
    title = clean_title(title)
    start, end = parse_time(start, "start"), parse_time(end, "end")
    if broadcast.state != Broadcast.State.READY or not broadcast.duration:
        raise ClipRefused(409, "not_ready", "This broadcast cannot be watched, so not clipped.")
    check_range(start, end, broadcast.duration)
    runs = cutting.stored_runs(broadcast)
    run = next((run for run in runs if run.offset <= start < run.end), None)
    if run is None:
        raise ClipRefused(409, "not_ready", "This broadcast's recording is missing.")
    if end > run.end + SLACK:
        detail = (
            f"The recording breaks at {clock(run.end)} (the stream reconnected): "
            "end the clip there or start it after."
        )
        raise ClipRefused(400, "crosses_break", detail, "end")
    _take_turn(clipper)
    fields = {"broadcast": broadcast, "stream": broadcast.stream, "clipper": clipper}
    return _make(run, start, min(end, run.end), title=title, **fields)


def clip_from_live(*, stream: Stream, clipper, title) -> Clip:
    """A clip of the last LIVE_SECONDS of a live stream (all that is recorded, if less), from
    the part the recorder is writing."""
    title = clean_title(title)
    if not stream.is_live:
        detail = "The stream is offline: clip one of its past broadcasts instead."
        raise ClipRefused(409, "offline", detail)
    broadcast = Broadcast.objects.open().filter(stream=stream).first()
    if broadcast is None or broadcast.state not in (
        Broadcast.State.WAITING,
        Broadcast.State.RECORDING,
    ):
        raise ClipRefused(409, "not_recorded", "This stream is not recorded, so not clipped.")
    run = cutting.spool_run(broadcast)
    if run is None or run.duration < MIN_SECONDS:
        detail = "Not enough of the stream is recorded yet: try again in a few seconds."
        raise ClipRefused(409, "not_recorded", detail)
    _take_turn(clipper)
    start = max(run.offset, run.end - LIVE_SECONDS)
    fields = {"broadcast": broadcast, "stream": stream, "clipper": clipper}
    return _make(run, start, None, title=title, **fields)


def _make(run: cutting.Run, start: float, end: float | None, **fields) -> Clip:
    """Cut, store the MP4 and its thumbnail, save the clip; nothing stays behind when a step
    fails."""
    slug = new_clip_slug()
    stored: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="clip-") as work:
            try:
                made = cutting.cut(run, start, end, Path(work))
            except cutting.CutFailed as error:
                logger.error("Clip of %s not made: %s", fields["broadcast"], error)
                detail = "The clip could not be made. Try again in a moment."
                raise ClipRefused(503, "cut_failed", detail) from error
            size = 0
            for path in filter(None, [made.path, made.thumbnail]):
                with path.open("rb") as handle:
                    stored.append(default_storage.save(f"clips/{slug}{path.suffix}", File(handle)))
                size += path.stat().st_size
        with transaction.atomic():
            return Clip.objects.create(
                slug=slug,
                start=made.start,
                duration=made.duration,
                file=stored[0],
                thumbnail=stored[1] if len(stored) > 1 else "",
                bytes=size,
                **fields,
            )
    except Exception:  # the storage full, a slug taken meanwhile (one in 2**64), ...
        for name in stored:
            default_storage.delete(name)
        raise


def clip_delete(*, clip: Clip) -> None:
    """The clip and its file are gone (the file once the deletion is committed)."""
    clip.delete()
    logger.info("Clip %s deleted", clip.slug)
