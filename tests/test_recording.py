"""Past broadcasts recorded for real: OBS's stand-in (ffmpeg over RTMP) through LiveKit
Ingress into the room, the recorder (recorder/, Go) as a hidden subscriber writing HLS with
ffmpeg, the site's worker making it a broadcast. The picture flashes when the sound beeps,
so how far apart they are in the recording can be measured."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.core.files.storage import default_storage

from devservers.media import av_offsets
from devservers.recorder import Recorder
from devservers.servers import recorder_installed
from streams import livekit, rooms, services, viewer_counts
from streams.models import Stream, WebhookEvent
from tests import test_metrics_view as metrics
from tests.conftest import need, wait_for
from tests.test_go_live_notifications import run_worker
from videos.models import Broadcast

pytestmark = [pytest.mark.obs, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def recorder(live_server, ingress, settings, tmp_path):
    """The real recorder for the site under test, writing into this test's spool."""
    need(recorder_installed(), "the recorder (recorder/, built by `python -m devservers install`)")
    settings.RECORDINGS_SPOOL_DIR = tmp_path / "spool"
    process = Recorder(
        site_url=live_server.url,
        spool=settings.RECORDINGS_SPOOL_DIR,
        log=tmp_path / "recorder.log",
        api_key=settings.LIVEKIT_API_KEY,
        api_secret=settings.LIVEKIT_API_SECRET,
    ).start()
    yield process
    process.stop()


def stream_to(user, encoders, pattern: str = "sync"):
    """An encoder streaming to `user`'s RTMP key, once the site says they are live."""
    stream = Stream.objects.get(user=user)
    if not stream.ingress_id:
        stream = services.connection_generate(stream=stream, kind="rtmp")
    encoder = encoders(f"{stream.server_url}/{stream.stream_key}", pattern)
    wait_for(
        lambda: Stream.objects.get(user=user).is_live or encoder.failure(),
        what=f"{user.username}'s stream to go live",
    )
    assert not encoder.failure()
    return encoder


def recording(user, state: str = "recording") -> Broadcast:
    """`user`'s open broadcast, once the recorder says it is in `state`."""
    wait_for(
        lambda: Broadcast.objects.filter(stream__user=user, state=state).exists(),
        what=f"{user.username}'s broadcast to be {state}",
        timeout=30,
    )
    return Broadcast.objects.filter(stream__user=user).first()


def end(user, encoder) -> Broadcast:
    """Stop the encoder, wait for the site to see the stream offline, and return the
    broadcast once the worker has made it ready (with how long that took, from offline)."""
    encoder.stop()
    wait_for(lambda: not Stream.objects.get(user=user).is_live, what="the stream to end")
    offline = time.monotonic()
    broadcast = Broadcast.objects.filter(stream__user=user).first()

    def ready() -> bool:
        run_worker()
        broadcast.refresh_from_db()
        return broadcast.state in ("ready", "failed")

    wait_for(ready, what="the broadcast to be ready", timeout=60)
    assert broadcast.state == "ready", broadcast.failure
    broadcast.ready_after = time.monotonic() - offline
    return broadcast


def stream_seconds(broadcast: Broadcast) -> float:
    return (broadcast.ended_at - broadcast.started_at).total_seconds()


# One poll of the site (RECORDER_POLL_SECONDS, 0.5 in tests) and the time to join and get
# a keyframe.
START_ALLOWANCE = 1.5
# From a frame leaving Ingress to the watcher decoding it: a few hundred milliseconds on a
# quiet machine, 1.2 s with four busy loops on two cores here, and up to 2 s in a CI run of
# the whole suite. A lost last segment (about 4 s) is more than both allowances.
END_LATENCY = 2.0


def media_seconds(broadcast: Broadcast, watcher) -> float:
    """How long the stream's picture played in its room: from when its tracks were published
    (the webhook, as received) to the last frame a viewer decoded."""
    published = WebhookEvent.objects.filter(
        event="track_published", room=str(broadcast.stream.user_id)
    ).earliest("received_at")
    return watcher.last_frame_at - published.received_at.timestamp()


def test_a_stream_is_recorded_in_sync_and_ready_seconds_after_it_ends(
    recorder, encoders, alice, rtc_clients
):
    encoder = stream_to(alice, encoders)
    room = rooms.room_name(alice.pk)
    token = livekit.create_viewer_token(room=room, identity="watcher#1", name="w", metadata={})
    watcher = rtc_clients(settings.LIVEKIT_WS_URL, token, watch_video=True)
    recording(alice)
    time.sleep(20)
    broadcast = end(alice, encoder)

    assert broadcast.ready_after < 5
    # The recording starts once the recorder, asking the site every poll, has joined and
    # received a keyframe, so it may begin up to START_ALLOWANCE after the picture did; it
    # ends with the picture, which the watcher decodes up to END_LATENCY later.
    media = media_seconds(broadcast, watcher)
    print(f"recording: {broadcast.duration:.2f} s of {media:.2f} s of picture")
    log = recorder.log.read_text()
    assert media - START_ALLOWANCE - END_LATENCY <= broadcast.duration <= media + 0.3, log
    offsets = av_offsets(default_storage.path(broadcast.playlist))
    assert len(offsets) >= 8, offsets
    (_, first), (_, last) = offsets[0], offsets[-1]
    assert abs(first) < 0.05 and abs(last) < 0.05, offsets
    assert default_storage.exists(broadcast.thumbnail)
    # Segments of about 4 s: what a seek or a clip can land on.
    playlist = default_storage.open(broadcast.playlist).read().decode()
    lengths = [float(line[8:].rstrip(",")) for line in playlist.split() if line[:8] == "#EXTINF:"]
    assert max(lengths[:-1]) <= 6.5, lengths


def test_the_recorder_is_never_a_viewer(recorder, encoders, alice, rtc_clients, settings):
    encoder = stream_to(alice, encoders)
    broadcast = recording(alice)
    room = rooms.room_name(alice.pk)
    recorder_id = rooms.recorder_identity(str(broadcast.pk))

    # LiveKit lists it (to the server API), but nobody in the room sees it.
    identities = [p.identity for p in livekit.list_participants(room)]
    assert recorder_id in identities
    assert not rooms.is_viewer(recorder_id, alice.pk)
    viewer = rtc_clients(
        settings.LIVEKIT_WS_URL,
        livekit.create_viewer_token(room=room, identity="someone#1", name="someone", metadata={}),
    )
    assert viewer.wait_for(lambda: str(alice.pk) in viewer.remote_identities())
    assert recorder_id not in viewer.remote_identities()
    # The viewer-count pass, and Prometheus after it: the one viewer, not the recorder
    # (LiveKit's room sizes leave it out too, and are refreshed within 5 s).
    wait_for(
        lambda: livekit.room_sizes([room], timeout=5).get(room) == livekit.RoomSize(2, 1),
        "LiveKit to count the viewer in alice's room",
        timeout=20,
    )
    viewer_counts.count_viewers()
    assert Stream.objects.get(user=alice).viewer_count == 1
    settings.METRICS_TOKEN = metrics.TOKEN
    assert metrics.value(metrics.scrape(), "streamsite_stream_viewers", channel="alice") == 1
    encoder.stop()


def test_a_stream_that_stops_and_restarts_is_two_broadcasts(recorder, encoders, alice):
    for _ in range(2):
        encoder = stream_to(alice, encoders)
        recording(alice)
        time.sleep(6)
        end(alice, encoder)
    assert [b.state for b in Broadcast.objects.filter(stream__user=alice)] == ["ready", "ready"]


def test_two_channels_are_recorded_at_once(recorder, encoders, alice, bob):
    encoders_of = {user: stream_to(user, encoders) for user in (alice, bob)}
    for user in encoders_of:
        recording(user)
    time.sleep(8)
    for user, encoder in encoders_of.items():
        broadcast = end(user, encoder)
        assert broadcast.duration > 6


def gap_between_parts(broadcast: Broadcast) -> float:
    """Seconds of the stream no part recorded, between the first two parts."""
    first, second = broadcast.timeline[:2]
    clock = lambda part: Broadcast._meta.get_field("started_at").to_python(part["clock"])  # noqa: E731
    return (clock(second) - clock(first)).total_seconds() - first["duration"]


def test_a_recorder_that_crashes_mid_stream_loses_at_most_5_seconds(recorder, encoders, alice):
    encoder = stream_to(alice, encoders)
    recording(alice)
    time.sleep(6)
    recorder.kill()
    recorder.start()
    time.sleep(10)
    broadcast = end(alice, encoder)

    assert [part["part"] for part in broadcast.timeline] == [1, 2]
    assert gap_between_parts(broadcast) <= 5
    assert broadcast.duration >= stream_seconds(broadcast) - 5 - 2.5


def test_a_livekit_server_restart_mid_stream_loses_at_most_15_seconds(
    recorder, encoders, alice, livekit_stack
):
    encoder = stream_to(alice, encoders)
    recording(alice)
    time.sleep(6)
    livekit_stack.restart_node(0)
    time.sleep(20)
    from streams.models import WebhookEvent

    for e in WebhookEvent.objects.order_by("received_at"):
        print("EVENT", e.event, e.created_at.time(), e.received_at.time(), e.outcome)
    for b in Broadcast.objects.all():
        print("BROADCAST", b.pk, b.started_at.time(), b.ended_at, b.state)
    broadcast = end(alice, encoder)
    if len(broadcast.timeline) >= 2:
        assert Broadcast.objects.filter(stream__user=alice).count() == 1  # the same broadcast
    assert len(broadcast.timeline) >= 2
    assert gap_between_parts(broadcast) <= 15
