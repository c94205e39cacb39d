"""streams/livekit.py against the real server, including how its failures read."""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from devservers.rtc import publisher_token
from devservers.servers import LiveKitConfig, LiveKitStack
from streams import livekit


def test_create_list_and_delete_an_ingress(livekit_server):
    created = livekit.create_ingress(
        kind="rtmp", name="facade", room="room-facade", identity="id-1", participant_name="x"
    )
    assert created.stream_key
    assert [i.ingress_id for i in livekit.list_ingresses("room-facade")] == [created.ingress_id]
    livekit.delete_ingress(created.ingress_id)
    livekit.delete_ingress(created.ingress_id)  # already gone: still fine
    assert livekit.list_ingresses("room-facade") == []


def test_deleting_idle_ingresses_of_either_kind_leaves_none(livekit_server):
    rtmp, whip = (
        livekit.create_ingress(
            kind=kind, name=kind, room="room-delete", identity="id-1", participant_name="x"
        )
        for kind in ("rtmp", "whip")
    )
    assert len(livekit.list_ingresses("room-delete")) == 2
    livekit.delete_ingresses([rtmp, whip], room="room-delete")
    assert livekit.list_ingresses("room-delete") == []
    assert livekit.get_ingress(rtmp.ingress_id) is None
    livekit.delete_ingresses([rtmp, whip])  # already gone: still fine


def test_with_a_stubbed_facade_an_ingress_that_never_stops_is_deleted_after_the_bound(
    monkeypatch, caplog
):
    """Unit test of the timeout path: the facade's calls are stubbed and recorded."""
    calls = []
    monkeypatch.setattr(livekit, "INGRESS_STOP_SECONDS", 0.3)
    monkeypatch.setattr(livekit, "_disable_ingress", lambda i: calls.append(("disable", i)))
    monkeypatch.setattr(livekit, "delete_room", lambda room: calls.append(("end room", room)))
    monkeypatch.setattr(livekit, "_publishing", lambda i: calls.append(("look", i)) or True)
    monkeypatch.setattr(livekit, "delete_ingress", lambda i: calls.append(("delete", i)))
    stuck = livekit.Ingress("IN_1", "room", "rtmp://x", "key", "rtmp", is_publishing=True)
    livekit.delete_ingresses([stuck], room="room")
    assert calls[:3] == [("disable", "IN_1"), ("end room", "room"), ("look", "IN_1")]
    assert calls[-1] == ("delete", "IN_1")
    assert calls.count(("look", "IN_1")) > 1  # it waited, looking again
    assert "IN_1 still publishing 0 s after being stopped: deleted all the same" in caplog.text


def test_rooms_that_do_not_exist_are_fine_to_end_and_list(livekit_server):
    livekit.delete_room("no-such-room")
    assert livekit.list_participants("no-such-room") == []
    livekit.remove_participant("no-such-room", "nobody")


def test_a_wrong_api_secret_reads_as_a_refusal(livekit_server, settings):
    settings.LIVEKIT_API_SECRET = "a-wrong-secret-with-more-than-32-characters"
    with pytest.raises(livekit.LiveKitError, match="LiveKit refused to list stream connections"):
        livekit.list_ingresses()


def test_an_unreachable_server_reads_as_not_reachable(livekit_down, settings):
    with pytest.raises(livekit.LiveKitError) as error:
        livekit.ping()
    assert str(error.value) == (
        f"LiveKit is not reachable at {settings.LIVEKIT_URL}. Is livekit-server running?"
    )


def test_send_data_reaches_a_room_participant(livekit_server, rtc_clients, settings):
    token = publisher_token(
        api_key=settings.LIVEKIT_API_KEY,
        api_secret=settings.LIVEKIT_API_SECRET,
        room="room-data",
        identity="listener",
        name="listener",
    )
    listener = rtc_clients(livekit_server.config.ws_url, token)
    livekit.send_data("room-data", {"type": "message", "text": "hi"}, topic="chat")
    assert listener.wait_for(lambda: listener.received)
    assert listener.received[0].payload == b'{"type":"message","text":"hi"}'
    assert listener.received[0].topic == "chat"


def test_a_broadcast_to_a_livekit_that_never_answers_is_cut_off(settings):
    """A LiveKit that accepts connections and then says nothing (hung, or a black-holed
    network path): the broadcast gives up after its short bound instead of the 10 s
    request timeout, and reads as unreachable."""
    with socket.create_server(("127.0.0.1", 0)) as silent:
        settings.LIVEKIT_URL = f"http://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        with pytest.raises(livekit.LiveKitError, match="not reachable"):
            livekit.send_data("room", {"type": "message"}, topic="chat")
        seconds = time.monotonic() - started
    assert livekit.BROADCAST_TIMEOUT_SECONDS <= seconds < livekit.BROADCAST_TIMEOUT_SECONDS + 2


def test_calls_from_many_threads_at_once_all_succeed(livekit_server):
    """Threaded gunicorn workers and runserver share the process's one background client,
    while the main thread (a sync worker) keeps using its own."""
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: livekit.list_participants("room-threads"), range(40)))
        assert livekit.list_participants("room-threads") == []
    assert answers == [[]] * 40


def test_a_call_from_code_running_an_event_loop_is_answered(livekit_server):
    """The main thread cannot run its own loop inside a running one: the call goes to the
    background loop instead of failing."""

    async def inside_a_loop() -> list:
        return livekit.list_participants("room-async")

    assert asyncio.run(inside_a_loop()) == []
    assert livekit.list_participants("room-async") == []  # and its own loop still works after


def _list_in_child(queue) -> None:
    try:
        queue.put(livekit.list_participants("room-fork"))
    except Exception as error:  # reported to the parent, which fails the test
        queue.put(repr(error))


def test_a_forked_worker_gets_its_own_working_client(livekit_server):
    """gunicorn forks its workers from a parent that may already have called LiveKit."""
    livekit.list_participants("room-fork")
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_list_in_child, args=(queue,))
    child.start()
    try:
        assert queue.get(timeout=20) == []
    finally:
        child.join(timeout=10)
    assert child.exitcode == 0


def test_calls_recover_after_livekit_server_restarts(
    livekit_server, settings, tmp_path, caplog, capfd
):
    # A server of its own (livekit_server only makes sure one is installed), restarted.
    config = LiveKitConfig.on_free_ports(
        api_key=settings.LIVEKIT_API_KEY,
        api_secret=settings.LIVEKIT_API_SECRET,
        webhook_url="http://127.0.0.1:9/unused",
    )
    settings.LIVEKIT_URL = config.url
    with LiveKitStack(config, tmp_path / "first"):
        assert livekit.list_participants("room-restart") == []  # a kept-alive connection
    with pytest.raises(livekit.LiveKitError, match="not reachable"):
        livekit.list_participants("room-restart")
    with LiveKitStack(config, tmp_path / "second"):
        assert livekit.list_participants("room-restart") == []
    logged = caplog.text + "".join(capfd.readouterr())
    assert "Event loop is closed" not in logged
