"""A live stream as its creator watches it from the dashboard: how many watch, for how long,
how busy the chat is, what the encoder sends as LiveKit Ingress reports it, and plain
warnings about what the creator can fix in OBS.

Warnings (each a `StreamWarning`, whose `code` the page and tests go by):

- `not_receiving`: the stream is marked live but Ingress receives nothing (it is buffering,
  or the encoder went away and LiveKit has not said so yet).
- `ingress_error`: Ingress reports an error or an input it does not accept; its own words.
- `no_audio`: Ingress has seen no audio from the encoder NO_AUDIO_GRACE after the session
  began (an encoder sends both within a second or two).
- `bitrate_too_high`: the encoder sends more than BITRATE_HEADROOM times what viewers get
  at best (the top layer of the preset Ingress transcodes RTMP to): upload spent for
  nothing, and a connection that may not carry it. A passed-through (WHIP) stream is sent
  to viewers as it comes, so it has no such limit. Ingress measures bitrates once a minute.
- `low_framerate`: under MIN_FRAMERATE frames per second (WHIP reports no frame rate).
- `reconnects`: the stream came back in the last RECONNECT_WINDOW (see `reconnects`).

Everything but the Ingress state comes from the database (the viewer count the viewer-count
pass stores, chat messages, the webhook log); the Ingress state is one ListIngress call.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from streams import livekit, selectors
from streams.models import ChatMessage, Stream, WebhookEvent

MIN_FRAMERATE = 24
# An input a little above the output keeps the transcode clean; far above it is waste.
BITRATE_HEADROOM = 1.5
NO_AUDIO_GRACE = timedelta(seconds=10)
RECONNECT_WINDOW = timedelta(minutes=10)
# An encoder whose stream ended (ingress_ended) and that started again within this long
# reconnected; one that came back later started a new stream.
RECONNECT_GAP = timedelta(minutes=2)
# LiveKit may say ingress_started twice as a stream begins (well under a second apart, seen
# on a busy machine): a start this soon after another is the same one.
SAME_START = timedelta(seconds=5)
CHAT_AVERAGE_MINUTES = 5

INGRESS_EVENTS = ("ingress_started", "ingress_ended")

CODEC_NAMES = {
    "video/h264": "H.264",
    "video/vp8": "VP8",
    "video/vp9": "VP9",
    "video/av1": "AV1",
    "audio/aac": "AAC",
    "audio/opus": "Opus",
    "audio/mpeg": "MP3",
}


@dataclass(frozen=True)
class StreamWarning:
    code: str
    text: str


@dataclass(frozen=True)
class ChatRate:
    last_minute: int  # messages sent in the last minute
    per_minute: float  # on average over the last CHAT_AVERAGE_MINUTES (or since going live)


def live_status(stream: Stream, *, now: datetime | None = None) -> dict:
    """The dashboard's live panel as JSON: {"live": false} while offline."""
    if not stream.is_live:
        return {"live": False}
    now = now or timezone.now()
    live_since = selectors.live_times(stream).live_since
    rate = chat_rate(stream, now=now, live_since=live_since)
    status = {
        "live": True,
        "viewers": stream.viewer_count,
        "viewers_counted_at": _iso(stream.viewers_counted_at),
        "live_since": _iso(live_since),
        "uptime_seconds": int((now - live_since).total_seconds()) if live_since else None,
        "chat": {"last_minute": rate.last_minute, "per_minute": rate.per_minute},
        "health": None,
        "health_unavailable": "",
        "reconnects": 0,
        "warnings": [],
    }
    if not stream.ingress_id:
        status["health_unavailable"] = "No stream connection: generate one on the Keys page."
        return status
    try:
        health = livekit.ingress_health(stream.ingress_id)
    except livekit.LiveKitError as error:
        status["health_unavailable"] = str(error)
        return status
    if health is None:
        status["health_unavailable"] = "LiveKit has no such stream connection any more."
        return status
    recent = reconnects(stream, now=now)
    status["health"] = health_json(health)
    status["reconnects"] = recent
    found = stream_warnings(health, reconnect_count=recent, now=now)
    status["warnings"] = [asdict(warning) for warning in found]
    return status


def stream_warnings(
    health: livekit.IngressHealth, *, reconnect_count: int = 0, now: datetime | None = None
) -> list[StreamWarning]:
    """What a creator can act on, most pressing first."""
    now = now or timezone.now()
    found = []
    if health.status == "buffering":
        found.append(
            StreamWarning(
                "not_receiving",
                "LiveKit is waiting for your stream's data (buffering): viewers see a frozen "
                "picture. Check your connection.",
            )
        )
    elif not health.is_publishing:
        found.append(
            StreamWarning(
                "not_receiving",
                "LiveKit is not receiving your stream. Check that OBS is streaming.",
            )
        )
    if health.error:
        found.append(StreamWarning("ingress_error", f"LiveKit reports: {health.error}"))
    began = health.started_at
    if health.audio is None and (began is None or now - began >= NO_AUDIO_GRACE):
        found.append(
            StreamWarning(
                "no_audio",
                "No audio reaches the stream: viewers hear nothing. Check OBS's audio "
                "sources and that its output has an audio track.",
            )
        )
    video, output = health.video, health.output
    if video and output and video.bitrate > output.bitrate * BITRATE_HEADROOM:
        output = best_output(output, video)
        found.append(
            StreamWarning(
                "bitrate_too_high",
                f"You send {megabits(video.bitrate)} of video, but viewers get at most "
                f"{megabits(output.bitrate)} ({output.width}x{output.height}, "
                f"{output.framerate:g} fps). Lower OBS's video bitrate to "
                f"{megabits(int(output.bitrate * BITRATE_HEADROOM))} or less: the rest is "
                "upload spent for nothing.",
            )
        )
    if video and 0 < video.framerate < MIN_FRAMERATE:
        found.append(
            StreamWarning(
                "low_framerate",
                f"Your stream runs at {video.framerate:g} frames per second, under "
                f"{MIN_FRAMERATE}: motion looks choppy. Set OBS's frame rate (Settings → "
                "Video) to 25 or 30, or lighten what OBS captures.",
            )
        )
    if reconnect_count:
        minutes = int(RECONNECT_WINDOW.total_seconds() // 60)
        times = "once" if reconnect_count == 1 else f"{reconnect_count} times"
        found.append(
            StreamWarning(
                "reconnects",
                f"Your stream dropped and came back {times} in the last {minutes} minutes. "
                "Check your connection, or lower OBS's bitrate.",
            )
        )
    return found


def reconnects(stream: Stream, *, now: datetime) -> int:
    """How often the stream came back in the last RECONNECT_WINDOW, from LiveKit's ingress
    webhooks as the site logged them (WebhookEvent): an `ingress_started` of the stream's
    ingress counts when the ingress's previous event was an `ingress_started` too (LiveKit
    says it again when a stalled session publishes again; not one SAME_START after it, which
    is LiveKit saying the first one twice) or an `ingress_ended` less than RECONNECT_GAP
    before it (the encoder lost its connection and made a new one). The start
    that took the stream live follows a long pause, or nothing, so it does not count.

    An ingress that died without its ingress_ended being delivered makes its next start look
    like one: that warning is shown for RECONNECT_WINDOW at most."""
    if not stream.ingress_id:
        return 0
    since = now - RECONNECT_WINDOW
    events = WebhookEvent.objects.filter(
        ingress_id=stream.ingress_id, event__in=INGRESS_EVENTS
    ).only("event", "created_at")
    recent = events.filter(created_at__gte=since).order_by("created_at", "pk")
    before = events.filter(created_at__lt=since).order_by("-created_at", "-pk").first()
    previous, count = before, 0
    for event in recent:
        if event.event == "ingress_started" and _came_back(event, previous):
            count += 1
        previous = event
    return count


def _came_back(start: WebhookEvent, previous: WebhookEvent | None) -> bool:
    if previous is None:
        return False
    gap = start.created_at - previous.created_at
    if previous.event == "ingress_started":
        return gap > SAME_START
    return gap <= RECONNECT_GAP


def chat_rate(stream: Stream, *, now: datetime, live_since: datetime | None = None) -> ChatRate:
    """Chat messages per minute: in the last minute, and on average over the last
    CHAT_AVERAGE_MINUTES (over the minutes live, when fewer). Every message sent counts,
    those hidden since too: it is how busy the chat was."""
    minute_ago = now - timedelta(minutes=1)
    counted = ChatMessage.objects.filter(
        stream=stream, created_at__gte=now - timedelta(minutes=CHAT_AVERAGE_MINUTES)
    ).aggregate(total=Count("pk"), last_minute=Count("pk", filter=Q(created_at__gte=minute_ago)))
    minutes = CHAT_AVERAGE_MINUTES
    if live_since is not None:
        minutes = min(minutes, max(1.0, (now - live_since).total_seconds() / 60))
    return ChatRate(counted["last_minute"], round(counted["total"] / minutes, 1))


def health_json(health: livekit.IngressHealth) -> dict:
    """The Ingress state with each figure also as the page shows it (`shown`)."""
    video, audio, output = health.video, health.audio, health.output
    best = best_output(output, video) if output else None
    return {
        "status": health.status,
        "error": health.error,
        "started_at": _iso(health.started_at),
        "video": asdict(video) if video else None,
        "audio": asdict(audio) if audio else None,
        "output": asdict(output) if output else None,
        "shown": {
            "resolution": f"{video.width}x{video.height}" if video and video.width else "—",
            "framerate": f"{video.framerate:g} fps" if video and video.framerate else "—",
            "video_bitrate": _bitrate(video.bitrate) if video else "—",
            "video_codec": codec_name(video.codec) if video else "—",
            "audio": _audio(audio),
            "output": (
                f"{best.width}x{best.height}, {best.framerate:g} fps, {megabits(best.bitrate)}"
                if best
                else "What you send (not transcoded)"
            ),
        },
    }


def best_output(
    output: livekit.VideoOutput, video: livekit.InputVideo | None
) -> livekit.VideoOutput:
    """What viewers get at best of `video`: the preset's top layer, never larger nor faster
    than the input (Ingress scales down, keeping the picture's shape, and never up)."""
    if video is None or not video.width or not video.height:
        return output
    width, height = video.width, video.height
    if width > output.width:
        width, height = output.width, video.height * output.width // video.width
    if height > output.height:
        width, height = width * output.height // height, output.height
    framerate = min(output.framerate, video.framerate) if video.framerate else output.framerate
    return livekit.VideoOutput(_even(width), _even(height), framerate, output.bitrate)


def _even(pixels: int) -> int:
    return (pixels + 1) // 2 * 2  # as Ingress rounds a layer's size


def codec_name(mime_type: str) -> str:
    return CODEC_NAMES.get(mime_type.lower(), mime_type or "—")


def megabits(bits_per_second: int) -> str:
    return f"{bits_per_second / 1_000_000:.1f} Mb/s"


def _bitrate(bits_per_second: int) -> str:
    # Ingress measures once a minute: nothing yet at the start of a stream.
    if not bits_per_second:
        return "Measuring…"
    if bits_per_second < 1_000_000:
        return f"{bits_per_second // 1000} kb/s"
    return megabits(bits_per_second)


def _audio(audio: livekit.InputAudio | None) -> str:
    if audio is None:
        return "None"
    parts = [codec_name(audio.codec)]
    if audio.bitrate:
        parts.append(f"{audio.bitrate // 1000} kb/s")
    if audio.channels:
        parts.append({1: "mono", 2: "stereo"}.get(audio.channels, f"{audio.channels} channels"))
    if audio.sample_rate:
        parts.append(f"{audio.sample_rate / 1000:g} kHz")
    return ", ".join(parts)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
