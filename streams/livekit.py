"""The one module that talks to LiveKit: small synchronous functions over the asyncio SDK.

A persistent `LiveKitAPI`, with its pool of keep-alive connections, lives on an event loop:
the main thread's own, which it runs for each call, or one in a background thread that other
threads hand their calls to (`_Connection`). Every network failure or Twirp error becomes
`LiveKitError` with a message a person can act on. Token signing and webhook verification are local.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import os
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import aiohttp
import jwt
from django.conf import settings
from google.protobuf.json_format import ParseError
from livekit import api

from streams import metrics

logger = logging.getLogger(__name__)

T = TypeVar("T")

VIEWER_TOKEN_TTL = timedelta(hours=6)
RECORDER_TOKEN_TTL = timedelta(hours=24)  # a long broadcast, rejoined after a restart
# The recorder signs its requests to the site with the API secret, as LiveKit tokens are,
# with this subject and a short life.
SERVICE_SUBJECT = "recorder"
SERVICE_TOKEN_MAX_LIFE = timedelta(minutes=5)
REQUEST_TIMEOUT_SECONDS = 10
# A chat message or a setting change waits at most this long on its broadcast; the send
# itself at most BROADCAST_SEND_SECONDS, so that there is time left to look the room up again.
BROADCAST_TIMEOUT_SECONDS = 1.0
BROADCAST_SEND_SECONDS = 0.75

INGRESS_INPUTS = {"rtmp": api.IngressInput.RTMP_INPUT, "whip": api.IngressInput.WHIP_INPUT}
# What Ingress makes of an RTMP stream for viewers: a preset a 2-core machine can carry.
RTMP_VIDEO_PRESET = api.IngressVideoEncodingPreset.H264_540P_25FPS_2_LAYERS
RTMP_AUDIO_PRESET = api.IngressAudioEncodingPreset.OPUS_STEREO_96KBPS
# States in which an ingress is receiving media from the encoder.
PUBLISHING_STATES = frozenset(
    {api.IngressState.ENDPOINT_PUBLISHING, api.IngressState.ENDPOINT_BUFFERING}
)


class LiveKitError(Exception):
    """LiveKit could not do what was asked; the message says why in plain words."""


class InvalidWebhook(Exception):
    """The webhook's signature is missing, forged, expired, or does not match the body."""


class MalformedWebhook(Exception):
    """The webhook is signed correctly but its body is not a LiveKit event."""


@dataclass(frozen=True)
class Ingress:
    ingress_id: str
    room: str
    url: str
    stream_key: str
    kind: str
    is_publishing: bool
    # The ingress's current session (one per stream from the encoder), "" when idle.
    session: str = ""
    # Whether it takes stream after stream (LiveKit can update and disable only those).
    reusable: bool = True


@dataclass(frozen=True)
class Participant:
    identity: str
    name: str
    metadata: str


# Answers that mean "there is no such thing", for calls where that is fine.
NOT_FOUND = frozenset({api.TwirpErrorCode.NOT_FOUND})


class _Client:
    """One `LiveKitAPI` (an aiohttp session whose connections are kept alive between calls)
    and the event loop it belongs to, in the process that made it. A change of LIVEKIT_URL
    or keys (tests do that) replaces the client."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.pid, self.loop = os.getpid(), loop
        self._client: api.LiveKitAPI | None = None
        self._client_for: tuple[str, str, str] | None = None

    async def run(self, target, operation, timeout: float):
        if self._client_for != target:
            if self._client is not None:
                await self._client.aclose()
            self._client, self._client_for = api.LiveKitAPI(*target), target
        async with asyncio.timeout(timeout):  # the whole operation, however many requests
            try:
                return await operation(self._client)
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
                # A kept-alive connection that the server closed meanwhile (a restart):
                # once more, on a fresh connection. Repeats are harmless: a broadcast
                # message carries its id, and the other calls are idempotent.
                return await operation(self._client)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client, self._client_for = None, None


class _Connection:
    """The process's LiveKit clients, made lazily in the process that calls (after gunicorn
    forks its workers, a worker starts its own; one inherited from the parent is never used).

    The main thread (a sync gunicorn worker's requests, a management command) runs its calls
    on an event loop of its own, in its own thread: no hand-over between threads, which
    costs about as much as a quick call itself. Any other thread (a threaded server's
    requests, which may be a new thread each time) and a thread already running an event
    loop hand their calls to one loop running in a daemon thread and wait for the answer.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._main: _Client | None = None  # the main thread's, run in it
        self._shared: _Client | None = None  # every other thread's, run in a daemon thread

    def call(self, operation: Callable[[api.LiveKitAPI], Awaitable[T]], timeout: float) -> T:
        target = (settings.LIVEKIT_URL, settings.LIVEKIT_API_KEY, settings.LIVEKIT_API_SECRET)
        if threading.current_thread() is threading.main_thread() and not _loop_running():
            if self._main is None or self._main.pid != os.getpid():
                self._main = _Client(asyncio.new_event_loop())
            client = self._main
            return client.loop.run_until_complete(client.run(target, operation, timeout))
        client = self._shared_client()
        work = client.run(target, operation, timeout)
        return asyncio.run_coroutine_threadsafe(work, client.loop).result()

    def _shared_client(self) -> _Client:
        with self._lock:
            if self._shared is None or self._shared.pid != os.getpid():
                self._shared = _Client(asyncio.new_event_loop())
                thread = threading.Thread(
                    target=self._shared.loop.run_forever, name="livekit-client", daemon=True
                )
                thread.start()
            return self._shared

    def close(self) -> None:
        """Close the clients' connections (at exit, so nothing is left half-closed)."""
        main, shared = self._main, self._shared
        if main is not None and main.pid == os.getpid() and not main.loop.is_running():
            main.loop.run_until_complete(main.aclose())
            main.loop.close()
        if shared is not None and shared.pid == os.getpid():
            asyncio.run_coroutine_threadsafe(shared.aclose(), shared.loop).result(timeout=5)
            shared.loop.call_soon_threadsafe(shared.loop.stop)


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


_connection = _Connection()
atexit.register(_connection.close)


def _call(
    operation: Callable[[api.LiveKitAPI], Awaitable[T]],
    what: str,
    *,
    timeout: float = REQUEST_TIMEOUT_SECONDS,
    gone_ok: frozenset[str] = frozenset(),
) -> T | None:
    """Run one SDK call; a Twirp error whose code is in `gone_ok` means the thing asked about
    does not exist (any more), which the caller accepts: the answer is then None."""
    started = time.perf_counter()
    try:
        return _connection.call(operation, timeout)
    except api.TwirpError as error:
        if error.code in gone_ok:
            logger.debug("LiveKit: nothing to %s (%s)", what, error.code)
            return None
        metrics.LIVEKIT_CALL_ERRORS.labels(what, error.code).inc()
        logger.warning("LiveKit refused to %s: %s %s", what, error.code, error.message)
        raise LiveKitError(
            f"LiveKit refused to {what}: {error.message or error.code} (HTTP {error.status})."
        ) from error
    except (TimeoutError, aiohttp.ClientError, OSError) as error:
        metrics.LIVEKIT_CALL_ERRORS.labels(what, "unreachable").inc()
        logger.warning("LiveKit unreachable at %s (%s): %r", settings.LIVEKIT_URL, what, error)
        raise LiveKitError(
            f"LiveKit is not reachable at {settings.LIVEKIT_URL}. Is livekit-server running?"
        ) from error
    finally:
        metrics.LIVEKIT_CALL_SECONDS.labels(what).observe(time.perf_counter() - started)


def _room_token(
    *, room: str, identity: str, name: str, ttl: timedelta, **grants
) -> api.AccessToken:
    """A token to join `room` that subscribes and publishes nothing (no tracks, no data, no
    metadata of its own), with `grants` on top."""
    video = api.VideoGrants(
        **{
            "room_join": True,
            "room": room,
            "can_subscribe": True,
            "can_publish": False,
            "can_publish_data": False,
            "can_update_own_metadata": False,
            **grants,
        }
    )
    return (
        api.AccessToken(settings.LIVEKIT_API_KEY, settings.LIVEKIT_API_SECRET)
        .with_identity(identity)
        .with_name(name)
        .with_grants(video)
        .with_ttl(ttl)
    )


def create_viewer_token(
    *,
    room: str,
    identity: str,
    name: str,
    metadata: dict,
    reader: bool = False,
    preview: bool = False,
) -> str:
    """A subscribe-only token: no publishing of tracks or data (chat goes through Django).

    A `reader` (the chat embed, streams/embed.py) is in the room for the chat's messages
    only: hidden, so that it is nobody's viewer, and subscribing to no track. A `preview`
    (the host's own, on the dashboard's Stream page) is hidden too: it watches, but is
    nobody's viewer, so it counts in no viewer count nor the host's statistics."""
    if reader:
        grants = {"hidden": True, "can_subscribe": False}
    else:
        grants = {"hidden": True} if preview else {}
    token = _room_token(room=room, identity=identity, name=name, ttl=VIEWER_TOKEN_TTL, **grants)
    return token.with_metadata(json.dumps(metadata)).to_jwt()


def create_recorder_token(*, room: str, identity: str) -> str:
    """The recorder's token: it subscribes, and is hidden, so no participant (nor a modified
    client) ever sees it in the room; it publishes nothing. As a recorder, it does not keep
    the room open once the stream has left (a hidden participant alone would)."""
    return _room_token(
        room=room,
        identity=identity,
        name="recorder",
        ttl=RECORDER_TOKEN_TTL,
        hidden=True,
        recorder=True,
    ).to_jwt()


class InvalidServiceToken(Exception):
    pass


def verify_service_token(authorization: str | None) -> None:
    """Check that a request comes from the recorder: `Bearer <JWT>` signed with the API
    secret, issued by the API key, for SERVICE_SUBJECT, expiring within minutes."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme != "Bearer" or not token:
        raise InvalidServiceToken("missing Bearer token")
    verifier = api.TokenVerifier(settings.LIVEKIT_API_KEY, settings.LIVEKIT_API_SECRET)
    try:
        claims = verifier.verify(token)
        expires = jwt_expiry(token)
    except Exception as error:  # the SDK raises PyJWT's errors and bare ValueError alike
        raise InvalidServiceToken(str(error)) from error
    if claims.identity != SERVICE_SUBJECT:
        raise InvalidServiceToken(f"token for {claims.identity!r}, not {SERVICE_SUBJECT!r}")
    if expires - datetime.now(UTC) > SERVICE_TOKEN_MAX_LIFE + timedelta(seconds=30):
        raise InvalidServiceToken("token lives longer than a service token may")


def jwt_expiry(token: str) -> datetime:
    """When a token (already verified) expires."""
    claims = jwt.decode(token, options={"verify_signature": False})
    return datetime.fromtimestamp(claims["exp"], UTC)


def _ingress(info: api.IngressInfo) -> Ingress:
    kind = "whip" if info.input_type == api.IngressInput.WHIP_INPUT else "rtmp"
    return Ingress(
        ingress_id=info.ingress_id,
        room=info.room_name,
        url=info.url,
        stream_key=info.stream_key,
        kind=kind,
        is_publishing=info.state.status in PUBLISHING_STATES,
        session=ingress_session(info),
        reusable=info.reusable,
    )


def ingress_session(info: api.IngressInfo) -> str:
    """The session an ingress is in: the resource id Ingress gives each stream it receives,
    the same in every state update and webhook about that stream ("" when there is none).
    LiveKit sends ingress_started again whenever a session goes from buffering back to
    publishing; the session says it is still the same broadcast."""
    return info.state.resource_id if info.HasField("state") else ""


def create_ingress(*, kind: str, name: str, room: str, identity: str, participant_name: str):
    """RTMP is transcoded to a preset a 2-core machine can carry; WHIP is passed through."""
    request = api.CreateIngressRequest(
        input_type=INGRESS_INPUTS[kind],
        name=name,
        room_name=room,
        participant_identity=identity,
        participant_name=participant_name,
    )
    if kind == "whip":
        request.enable_transcoding = False
    else:
        request.enable_transcoding = True
        request.video.CopyFrom(
            api.IngressVideoOptions(
                source=api.TrackSource.CAMERA,
                preset=RTMP_VIDEO_PRESET,
            )
        )
        request.audio.CopyFrom(
            api.IngressAudioOptions(
                source=api.TrackSource.MICROPHONE,
                preset=RTMP_AUDIO_PRESET,
            )
        )
    info = _call(lambda lk: lk.ingress.create_ingress(request), "create a stream connection")
    return _ingress(info)


def list_ingresses(room: str | None = None) -> list[Ingress]:
    request = api.ListIngressRequest(room_name=room or "")
    response = _call(lambda lk: lk.ingress.list_ingress(request), "list stream connections")
    return [_ingress(info) for info in response.items]


def delete_ingress(ingress_id: str) -> None:
    """Delete one ingress; one that is already gone counts as deleted. While it is publishing,
    delete_ingresses is the safe way."""
    request = api.DeleteIngressRequest(ingress_id=ingress_id)
    _call(
        lambda lk: lk.ingress.delete_ingress(request),
        "delete a stream connection",
        gone_ok=NOT_FOUND,
    )


def delete_ingresses(ingresses: list[Ingress], *, room: str | None = None) -> None:
    """Delete `ingresses`, ending `room` too when given, without racing a session's end.

    Deleting an ingress that is publishing makes LiveKit stop its session and drop its
    records at once; Ingress then reports the session's end while the records are half gone,
    which livekit-server v1.13.x (before v1.13.10) dies of. So the sessions end first: each
    reusable ingress (the RTMP and WHIP ones the site makes) is disabled, which ends its
    session and refuses the encoder if it reconnects, and the room is ended, which also ends
    the session of any other. Once LiveKit says none is publishing (INGRESS_STOP_SECONDS at
    most) they are deleted."""
    for ingress in ingresses:
        if ingress.reusable:
            _disable_ingress(ingress.ingress_id)
    if room is not None:
        delete_room(room)
    _wait_until_stopped([ingress.ingress_id for ingress in ingresses])
    for ingress in ingresses:
        delete_ingress(ingress.ingress_id)


# How long delete_ingresses waits for the sessions it ended to be over, and how often it looks.
INGRESS_STOP_SECONDS = 10.0
INGRESS_STOP_POLL_SECONDS = 0.1


def _disable_ingress(ingress_id: str) -> None:
    request = api.UpdateIngressRequest(ingress_id=ingress_id, enabled=False)
    _call(
        lambda lk: lk.ingress.update_ingress(request),
        "stop a stream connection",
        gone_ok=NOT_FOUND,
    )


def get_ingress(ingress_id: str) -> Ingress | None:
    """One ingress as LiveKit has it now; None once it is gone."""
    request = api.ListIngressRequest(ingress_id=ingress_id)
    found = _call(
        lambda lk: lk.ingress.list_ingress(request),
        "look up a stream connection",
        gone_ok=NOT_FOUND,
    )
    return _ingress(found.items[0]) if found is not None and found.items else None


@dataclass(frozen=True)
class VideoOutput:
    """The best layer viewers get of a transcoded stream."""

    width: int
    height: int
    framerate: float
    bitrate: int  # bits per second


# RTMP_VIDEO_PRESET's top layer, as LiveKit Ingress v1.5.0 defines the preset
# (pkg/params/presets.go: 960x540, 25 fps, 1 Mb/s; the second layer is half of each side).
RTMP_VIDEO_OUTPUT = VideoOutput(width=960, height=540, framerate=25, bitrate=1_000_000)


@dataclass(frozen=True)
class InputVideo:
    """What the encoder sends, as Ingress reads it (0 where Ingress has not said yet: it
    measures bitrates once a minute, and WHIP input reports no frame rate)."""

    codec: str  # MIME type, "video/H264"
    width: int
    height: int
    framerate: float
    bitrate: int  # average bits per second


@dataclass(frozen=True)
class InputAudio:
    codec: str  # MIME type, "audio/opus"
    bitrate: int
    channels: int
    sample_rate: int


@dataclass(frozen=True)
class IngressHealth:
    """An ingress's state as LiveKit reports it (ListIngress)."""

    status: str  # inactive, buffering, publishing, error or complete
    error: str  # Ingress's description of an error or a non-compliant input, if any
    started_at: datetime | None  # when the current (or last) session began
    video: InputVideo | None  # None until Ingress has seen the encoder's video
    audio: InputAudio | None  # None when the encoder sends no audio (or not yet)
    output: VideoOutput | None  # what viewers get at best, when Ingress transcodes

    @property
    def is_publishing(self) -> bool:
        return self.status in {"publishing", "buffering"}


_INGRESS_STATUSES = {
    api.IngressState.ENDPOINT_INACTIVE: "inactive",
    api.IngressState.ENDPOINT_BUFFERING: "buffering",
    api.IngressState.ENDPOINT_PUBLISHING: "publishing",
    api.IngressState.ENDPOINT_ERROR: "error",
    api.IngressState.ENDPOINT_COMPLETE: "complete",
}


def ingress_health(ingress_id: str) -> IngressHealth | None:
    """What one ingress receives from the encoder now, as Ingress reports it to LiveKit; None
    once the ingress is gone."""
    request = api.ListIngressRequest(ingress_id=ingress_id)
    found = _call(
        lambda lk: lk.ingress.list_ingress(request),
        "read the health of a stream connection",
        gone_ok=NOT_FOUND,
    )
    if found is None or not found.items:
        return None
    return _health(found.items[0])


def _health(info: api.IngressInfo) -> IngressHealth:
    state = info.state
    video = audio = None
    if state.HasField("video") and (state.video.mime_type or state.video.width):
        video = InputVideo(
            codec=state.video.mime_type,
            width=state.video.width,
            height=state.video.height,
            framerate=round(state.video.framerate, 2),
            bitrate=state.video.average_bitrate,
        )
    if state.HasField("audio") and state.audio.mime_type:
        audio = InputAudio(
            codec=state.audio.mime_type,
            bitrate=state.audio.average_bitrate,
            channels=state.audio.channels,
            sample_rate=state.audio.sample_rate,
        )
    # Ingress transcodes RTMP to the preset create_ingress gave it; WHIP passes through.
    transcoded = (
        info.input_type == api.IngressInput.RTMP_INPUT
        and info.video.WhichOneof("encoding_options") == "preset"
        and info.video.preset == RTMP_VIDEO_PRESET
    )
    return IngressHealth(
        status=_INGRESS_STATUSES.get(state.status, "inactive"),
        error=state.error,
        started_at=_from_nanoseconds(state.started_at),
        video=video,
        audio=audio,
        output=RTMP_VIDEO_OUTPUT if transcoded else None,
    )


def _from_nanoseconds(stamp: int) -> datetime | None:
    return datetime.fromtimestamp(stamp / 1e9, UTC) if stamp else None


def _publishing(ingress_id: str) -> bool:
    ingress = get_ingress(ingress_id)
    return ingress is not None and ingress.is_publishing


def _wait_until_stopped(ingress_ids: list[str]) -> None:
    deadline = time.monotonic() + INGRESS_STOP_SECONDS
    while publishing := [ingress_id for ingress_id in ingress_ids if _publishing(ingress_id)]:
        if time.monotonic() > deadline:
            logger.warning(
                "Stream connection(s) %s still publishing %.0f s after being stopped: deleted "
                "all the same",
                ", ".join(publishing),
                INGRESS_STOP_SECONDS,
            )
            return
        time.sleep(INGRESS_STOP_POLL_SECONDS)


def delete_room(room: str) -> None:
    """End a room, disconnecting everyone in it; a room that does not exist is fine."""
    request = api.DeleteRoomRequest(room=room)
    _call(lambda lk: lk.room.delete_room(request), "end the stream", gone_ok=NOT_FOUND)


def list_participants(room: str) -> list[Participant]:
    request = api.ListParticipantsRequest(room=room)
    response = _call(
        lambda lk: lk.room.list_participants(request), "list participants", gone_ok=NOT_FOUND
    )
    if response is None:
        return []
    return [
        Participant(
            identity=p.identity,
            name=p.name,
            metadata=p.metadata,
        )
        for p in response.participants
    ]


def participant_identities(rooms: list[str], *, timeout: float) -> dict[str, list[str]]:
    """Who is in each of `rooms`, asked of LiveKit all at once and answered within `timeout`
    (a room that does not exist has nobody in it). Hidden participants are left out: they
    watch nothing (the chat embed's readers) or are not an audience (the recorder)."""
    if not rooms:
        return {}

    async def one(lk: api.LiveKitAPI, room: str) -> tuple[str, list[str]]:
        try:
            found = await lk.room.list_participants(api.ListParticipantsRequest(room=room))
        except api.TwirpError as error:
            if error.code in NOT_FOUND:
                return room, []
            raise
        return room, [p.identity for p in found.participants if not p.permission.hidden]

    async def every_room(lk: api.LiveKitAPI) -> dict[str, list[str]]:
        return dict(await asyncio.gather(*(one(lk, room) for room in rooms)))

    return _call(every_room, "list participants of rooms", timeout=timeout)


@dataclass(frozen=True)
class RoomSize:
    """How many are in a room as LiveKit counts them: a hidden recorder is left out, and the
    counts are refreshed at most every 5 s (livekit-server's room updates)."""

    participants: int
    publishers: int  # participants sending media (the stream; a viewer cannot publish)


def room_sizes(rooms: list[str], *, timeout: float) -> dict[str, RoomSize]:
    """The size of each of `rooms` that exists (one that does not is left out), in one
    request answered within `timeout`."""
    if not rooms:
        return {}  # ListRooms without names would list every room
    request = api.ListRoomsRequest(names=rooms)
    found = _call(lambda lk: lk.room.list_rooms(request), "list rooms", timeout=timeout)
    return {
        room.name: RoomSize(participants=room.num_participants, publishers=room.num_publishers)
        for room in found.rooms
    }


def remove_participant(room: str, identity: str) -> None:
    request = api.RoomParticipantIdentity(room=room, identity=identity)
    _call(lambda lk: lk.room.remove_participant(request), "remove a participant", gone_ok=NOT_FOUND)


def send_data(room: str, payload: dict, *, topic: str) -> None:
    """Broadcast a JSON payload to everyone in the room, reliably.

    A room that does not exist has no one to tell, which is not an error. LiveKit answers
    SendData to a missing room only after 3 s ("unavailable"), so the room is looked up
    first (answered at once), and the lookup and send together are cut off after
    BROADCAST_TIMEOUT_SECONDS: a user's request never waits long on a broadcast.

    A room that closes between the two (the last viewer of an offline channel left) is not
    an error either: the send then gets no answer, and a second lookup finds the room gone.
    Only a room still there that does not answer, or a LiveKit that does not, is a failure.
    """
    request = api.SendDataRequest(
        room=room,
        data=json.dumps(payload, separators=(",", ":")).encode(),
        kind=api.DataPacket.Kind.RELIABLE,
        topic=topic,
    )

    async def is_open(lk: api.LiveKitAPI) -> bool:
        found = await lk.room.list_rooms(api.ListRoomsRequest(names=[room]))
        return bool(found.rooms)

    async def send_if_open(lk: api.LiveKitAPI) -> None:
        if not await is_open(lk):
            return
        try:
            async with asyncio.timeout(BROADCAST_SEND_SECONDS):
                await lk.room.send_data(request)
        except TimeoutError:
            if await is_open(lk):
                raise
            logger.debug("Room %s closed before a broadcast reached it", room)

    _call(
        send_if_open,
        "send a message to the room",
        timeout=BROADCAST_TIMEOUT_SECONDS,
        gone_ok=NOT_FOUND | {api.TwirpErrorCode.UNAVAILABLE},
    )


def ping() -> None:
    """Raise LiveKitError unless the server answers an authenticated request."""
    _call(lambda lk: lk.room.list_rooms(api.ListRoomsRequest(names=["healthz"])), "answer")


def verify_webhook(body: bytes, authorization: str | None) -> api.WebhookEvent:
    """Check the signed JWT and the body hash, then parse the event."""
    if not authorization:
        raise InvalidWebhook("missing Authorization header")
    receiver = api.WebhookReceiver(
        api.TokenVerifier(settings.LIVEKIT_API_KEY, settings.LIVEKIT_API_SECRET)
    )
    try:
        text = body.decode()
    except UnicodeDecodeError as error:
        # LiveKit signs UTF-8 JSON; these bytes cannot be what it signed.
        raise InvalidWebhook("body is not UTF-8") from error
    try:
        event = receiver.receive(text, authorization)
    except ParseError as error:
        raise MalformedWebhook(str(error)) from error
    except Exception as error:  # the SDK raises bare Exception and PyJWT errors alike
        raise InvalidWebhook(str(error)) from error
    if not event.id or not event.event:
        raise MalformedWebhook("event without an id or a name")
    try:
        webhook_time(event)
    except (OverflowError, OSError, ValueError) as error:
        raise MalformedWebhook(f"createdAt {event.created_at} is not a time") from error
    return event


def webhook_time(event: api.WebhookEvent) -> datetime:
    """When LiveKit emitted the event (it stamps them in whole seconds)."""
    return datetime.fromtimestamp(event.created_at, tz=UTC)
