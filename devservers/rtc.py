"""Real LiveKit participants (the `livekit` rtc package) driven from synchronous code: the
tests, the benches and the README pictures.

The rtc SDK is asyncio-based; all clients share one event loop running in a background
thread, and each method waits for its coroutine there. ORM calls stay on the caller's thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from livekit import api, rtc

_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def _shared_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _loop_lock:
        if _loop is None:
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="rtc-loop", daemon=True).start()
    return _loop


def _run(coro, timeout: float = 20):
    return asyncio.run_coroutine_threadsafe(coro, _shared_loop()).result(timeout)


def publisher_token(*, api_key: str, api_secret: str, room: str, identity: str, name: str) -> str:
    """A token like the ingress's: joins as the host's identity and may publish."""
    grants = api.VideoGrants(room_join=True, room=room, can_publish=True, can_subscribe=False)
    return (
        api.AccessToken(api_key, api_secret)
        .with_identity(identity)
        .with_name(name)
        .with_grants(grants)
        .to_jwt()
    )


@dataclass
class Received:
    payload: bytes
    topic: str
    sender: str | None


@dataclass
class RtcClient:
    url: str
    token: str
    room: rtc.Room | None = None
    received: list[Received] = field(default_factory=list)
    # Called on the rtc loop's thread as each packet arrives, after it is added to `received`.
    on_data: Callable[[Received], None] | None = None
    disconnected: threading.Event = field(default_factory=threading.Event)
    # With `watch_video`, when (time.time()) the first and the last frame of the video this
    # participant subscribes to were decoded: how long the stream played in the room.
    watch_video: bool = False
    first_frame_at: float | None = None
    last_frame_at: float | None = None
    _frames_task: asyncio.Task | None = None
    _watch_task: asyncio.Task | None = None

    def connect(self) -> RtcClient:
        async def connect() -> rtc.Room:
            room = rtc.Room()

            @room.on("data_received")
            def on_data(packet: rtc.DataPacket) -> None:
                sender = packet.participant.identity if packet.participant else None
                received = Received(packet.data, packet.topic, sender)
                self.received.append(received)
                if self.on_data is not None:
                    self.on_data(received)

            @room.on("disconnected")
            def on_disconnected(*args) -> None:
                self.disconnected.set()

            @room.on("track_subscribed")
            def on_track(track: rtc.Track, *args) -> None:
                video = track.kind == rtc.TrackKind.KIND_VIDEO
                if self.watch_video and video and self._watch_task is None:
                    self._watch_task = asyncio.get_running_loop().create_task(self._watch(track))

            await room.connect(self.url, self.token)
            return room

        self.room = _run(connect())
        return self

    async def _watch(self, track: rtc.Track) -> None:
        async for _ in rtc.VideoStream(track):
            self.last_frame_at = time.time()
            if self.first_frame_at is None:
                self.first_frame_at = self.last_frame_at

    def publish_data(self, payload: bytes, topic: str = "chat") -> None:
        _run(self.room.local_participant.publish_data(payload, reliable=True, topic=topic))

    def publish_video(self, width: int = 320, height: int = 180):
        """Publish a synthetic camera track (scrolling colour bars) until close()."""

        async def publish():
            source = rtc.VideoSource(width, height)
            track = rtc.LocalVideoTrack.create_video_track("camera", source)
            options = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_CAMERA)
            publication = await self.room.local_participant.publish_track(track, options)

            async def frames() -> None:
                # Colour bars that scroll sideways: a picture that visibly moves.
                colours = [(192, 192, 192), (192, 192, 0), (0, 192, 192), (0, 192, 0)]
                colours += [(192, 0, 192), (192, 0, 0), (0, 0, 192)]
                row = b"".join(
                    bytes((*colours[x * len(colours) // width], 255)) for x in range(width)
                )
                tick = 0
                while True:
                    shift = (tick * 4) % width * 4
                    frame = (row[shift:] + row[:shift]) * height
                    source.capture_frame(
                        rtc.VideoFrame(width, height, rtc.VideoBufferType.RGBA, frame)
                    )
                    tick += 1
                    await asyncio.sleep(1 / 30)

            self._frames_task = asyncio.get_running_loop().create_task(frames())
            return publication

        return _run(publish())

    def remote_identities(self) -> set[str]:
        return set(self.room.remote_participants) if self.room else set()

    def wait_for(self, condition, timeout: float = 10) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(0.05)
        return condition()

    def close(self) -> None:
        async def close() -> None:
            for task in (self._frames_task, self._watch_task):
                if task is not None:
                    task.cancel()
            if self.room is not None:
                with contextlib.suppress(Exception):
                    await self.room.disconnect()

        _run(close())
