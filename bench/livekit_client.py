"""The LiveKit facade's cost per call: streams/livekit.py against a bare persistent client.

On a livekit-server of its own (free loopback ports), a listener in one room. Each call is
timed N times, one after the other, three ways: through the facade (its one client per
process, on a background loop); with one `LiveKitAPI` awaited directly on one event loop (the
floor); and with a new `LiveKitAPI` per call inside `async_to_sync`, as the facade worked
before it kept its client. `send_data` is the chat broadcast: a room lookup, then SendData.

`.venv/bin/python bench/livekit_client.py [--quick]`; option --calls (per call and way).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.common import log, ms, out, percentile
from devservers.rtc import RtcClient, publisher_token
from devservers.servers import LiveKitConfig, LiveKitStack
from devservers.site import API_KEY, API_SECRET

ROOM = "bench-room"
PAYLOAD = {"type": "message", "id": 1, "text": "hello"}


def calls(lk, api) -> dict:
    """The measured calls, each an awaitable made from a LiveKitAPI."""
    return {
        "list_participants": lambda: lk.room.list_participants(
            api.ListParticipantsRequest(room=ROOM)
        ),
        "send_data": lambda: send(lk, api),
    }


async def send(lk, api) -> None:
    found = await lk.room.list_rooms(api.ListRoomsRequest(names=[ROOM]))
    if found.rooms:
        data = b'{"type":"message","id":1,"text":"hello"}'
        await lk.room.send_data(api.SendDataRequest(room=ROOM, data=data, topic="chat"))


def timed(call, n: int) -> list[float]:
    seconds = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return seconds


async def bare(url: str, name: str, n: int) -> list[float]:
    from livekit import api

    async with api.LiveKitAPI(url, API_KEY, API_SECRET) as lk:
        seconds = []
        for _ in range(n):
            started = time.perf_counter()
            await calls(lk, api)[name]()
            seconds.append(time.perf_counter() - started)
        return seconds


def client_per_call(url: str, name: str):
    from asgiref.sync import async_to_sync
    from livekit import api

    async def once() -> None:
        async with api.LiveKitAPI(url, API_KEY, API_SECRET) as lk:
            await calls(lk, api)[name]()

    return async_to_sync(once)


def measure(url: str, n: int) -> list[list]:
    from streams import livekit

    facade = {
        "list_participants": lambda: livekit.list_participants(ROOM),
        "send_data": lambda: livekit.send_data(ROOM, PAYLOAD, topic="chat"),
    }
    rows = []
    for name, facade_call in facade.items():
        ways = {
            "bare client": asyncio.run(bare(url, name, n)),
            "facade": timed(facade_call, n),
            "client per call (before)": timed(client_per_call(url, name), n),
        }
        floor = percentile(ways["bare client"], 0.5)
        for way, seconds in ways.items():
            p50, p99 = percentile(seconds, 0.5), percentile(seconds, 0.99)
            rows.append([name, way, ms(p50, 2), ms(p99, 2), f"{p50 / floor:.2f}x", n])
    return rows


def main(argv: list[str]) -> None:
    args = common.parse_args(__doc__, argv, {"calls": 100}, calls=500)
    software = [*common.versions("livekit-api", "aiohttp"), *common.livekit_software()]
    common.print_header(args, software, "livekit-server and Redis on 127.0.0.1, no Django server")
    config = LiveKitConfig.on_free_ports(api_key=API_KEY, api_secret=API_SECRET, webhook_url="")
    os.environ.update(DJANGO_SETTINGS_MODULE="streamsite.settings", DJANGO_DEBUG="true")
    os.environ.update(
        LIVEKIT_URL=config.url, LIVEKIT_API_KEY=API_KEY, LIVEKIT_API_SECRET=API_SECRET
    )
    import django

    django.setup()
    log(f"starting livekit-server on {config.url}, a listener in {ROOM}")
    with LiveKitStack(config, Path(tempfile.mkdtemp(prefix="bench-livekit-"))):
        token = publisher_token(
            api_key=API_KEY, api_secret=API_SECRET, room=ROOM, identity="listener", name="l"
        )
        listener = RtcClient(config.ws_url, token).connect()
        try:
            rows = measure(config.url, args.calls)
        finally:
            listener.close()
    out("LiveKit calls, one after the other (ratio: p50 against the bare client)")
    common.table(["call", "way", "p50 ms", "p99 ms", "ratio", "n"], rows, left=2)


if __name__ == "__main__":
    common.run_main(main)
