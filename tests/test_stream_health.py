"""Dashboard -> Stream's live panel: the warnings a creator can act on (from Ingress states
made here: a stubbed facade), reconnects from the webhook log, chat per minute, and the
owner-only live-status endpoint. tests/test_live_status_ingress.py runs it against the real
Ingress."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from django.utils import timezone

from streams import health, livekit
from streams.models import ChatMessage, Stream, WebhookEvent
from tests.factories import ChatMessageFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
URL = "/u/alice/live-status/"


def ingress_state(
    *,
    status: str = "publishing",
    error: str = "",
    started: timedelta = timedelta(minutes=5),
    size: tuple[int, int] = (1280, 720),
    framerate: float = 30,
    video_bitrate: int = 1_200_000,
    audio: bool = True,
    transcoded: bool = True,
) -> livekit.IngressHealth:
    """An ingress as LiveKit would report it, started `started` before NOW."""
    width, height = size
    return livekit.IngressHealth(
        status=status,
        error=error,
        started_at=NOW - started,
        video=livekit.InputVideo("video/H264", width, height, framerate, video_bitrate),
        audio=livekit.InputAudio("audio/aac", 160_000, 2, 48_000) if audio else None,
        output=livekit.RTMP_VIDEO_OUTPUT if transcoded else None,
    )


def codes(state: livekit.IngressHealth, reconnects: int = 0) -> list[str]:
    found = health.stream_warnings(state, reconnect_count=reconnects, now=NOW)
    return [warning.code for warning in found]


# ------------------------------------------------------------------ warnings (stubbed facade)


def test_a_healthy_stream_has_no_warning_stubbed_facade():
    assert codes(ingress_state()) == []


def test_a_stream_without_audio_is_warned_once_the_encoder_had_time_to_send_it_stubbed_facade():
    assert codes(ingress_state(audio=False)) == ["no_audio"]
    assert codes(ingress_state(audio=False, started=timedelta(seconds=3))) == []


def test_video_bitrate_far_above_what_viewers_get_is_warned_with_the_figures_stubbed_facade():
    state = ingress_state(video_bitrate=6_000_000)
    [warning] = health.stream_warnings(state, now=NOW)
    assert warning.code == "bitrate_too_high"
    assert "You send 6.0 Mb/s of video, but viewers get at most 1.0 Mb/s" in warning.text
    assert "(960x540, 25 fps)" in warning.text
    assert "Lower OBS's video bitrate to 1.5 Mb/s or less" in warning.text
    # A little above the output is what a clean transcode needs: no warning.
    assert codes(ingress_state(video_bitrate=1_400_000)) == []


def test_a_stream_passed_through_untranscoded_has_no_bitrate_limit_stubbed_facade():
    assert codes(ingress_state(video_bitrate=8_000_000, transcoded=False)) == []


def test_a_frame_rate_under_24_is_warned_and_an_unknown_one_is_not_stubbed_facade():
    assert codes(ingress_state(framerate=15)) == ["low_framerate"]
    assert "15 frames per second" in health.stream_warnings(ingress_state(framerate=15))[0].text
    assert codes(ingress_state(framerate=24)) == []
    assert codes(ingress_state(framerate=0)) == []  # WHIP reports none


def test_reconnects_are_warned_saying_how_many_stubbed_facade():
    [warning] = health.stream_warnings(ingress_state(), reconnect_count=2, now=NOW)
    assert warning.code == "reconnects"
    assert "dropped and came back 2 times in the last 10 minutes" in warning.text


def test_an_ingress_that_receives_nothing_or_reports_an_error_is_warned_stubbed_facade():
    assert codes(ingress_state(status="buffering")) == ["not_receiving"]
    assert codes(ingress_state(status="inactive")) == ["not_receiving"]
    state = ingress_state(status="error", error="unsupported codec")
    assert codes(state) == ["not_receiving", "ingress_error"]
    assert "LiveKit reports: unsupported codec" in health.stream_warnings(state)[1].text


def test_what_viewers_get_at_best_is_never_larger_nor_faster_than_the_input():
    best = health.best_output(livekit.RTMP_VIDEO_OUTPUT, ingress_state(size=(640, 360)).video)
    assert (best.width, best.height, best.framerate) == (640, 360, 25)
    video = ingress_state(size=(1920, 1080), framerate=15).video
    best = health.best_output(livekit.RTMP_VIDEO_OUTPUT, video)
    assert (best.width, best.height, best.framerate) == (960, 540, 15)


# ------------------------------------------------------------------ reconnects


def ingress_events(stream: Stream, *events: tuple[str, datetime]) -> None:
    ids = count()
    for event, at in events:
        WebhookEvent.objects.create(
            event_id=f"EV_{stream.pk}_{next(ids)}",
            event=event,
            ingress_id=stream.ingress_id,
            created_at=at,
        )


@pytest.fixture
def streaming(alice) -> Stream:
    Stream.objects.filter(user=alice).update(ingress_id="IN_alice", is_live=True)
    return Stream.objects.get(user=alice)


def test_going_live_is_not_a_reconnect(streaming):
    ingress_events(streaming, ("ingress_started", NOW - timedelta(minutes=3)))
    assert health.reconnects(streaming, now=NOW) == 0


def test_livekit_saying_going_live_twice_is_not_a_reconnect(streaming):
    """Seen on a busy machine: two ingress_started webhooks under a second apart."""
    ingress_events(
        streaming,
        ("ingress_started", NOW - timedelta(minutes=3)),
        ("ingress_started", NOW - timedelta(minutes=3) + timedelta(seconds=1)),
    )
    assert health.reconnects(streaming, now=NOW) == 0


def test_a_stream_that_ended_and_came_back_within_two_minutes_reconnected(streaming):
    ingress_events(
        streaming,
        ("ingress_started", NOW - timedelta(minutes=40)),
        ("ingress_ended", NOW - timedelta(minutes=4)),
        ("ingress_started", NOW - timedelta(minutes=3, seconds=50)),
    )
    assert health.reconnects(streaming, now=NOW) == 1


def test_a_stalled_stream_publishing_again_reconnected(streaming):
    ingress_events(
        streaming,
        ("ingress_started", NOW - timedelta(hours=2)),
        ("ingress_started", NOW - timedelta(minutes=2)),
        ("ingress_started", NOW - timedelta(minutes=1)),
    )
    assert health.reconnects(streaming, now=NOW) == 2


def test_a_new_stream_after_a_pause_and_old_reconnects_do_not_count(streaming):
    ingress_events(
        streaming,
        ("ingress_ended", NOW - timedelta(minutes=30)),
        ("ingress_started", NOW - timedelta(minutes=29)),  # a reconnect, 29 minutes ago
        ("ingress_ended", NOW - timedelta(minutes=20)),
        ("ingress_started", NOW - timedelta(minutes=5)),  # 15 minutes later: a new stream
    )
    assert health.reconnects(streaming, now=NOW) == 0


def test_another_ingress_events_are_not_this_streams_reconnects(streaming, bob):
    Stream.objects.filter(user=bob).update(ingress_id="IN_bob")
    other = Stream.objects.get(user=bob)
    ingress_events(
        other,
        ("ingress_ended", NOW - timedelta(minutes=2)),
        ("ingress_started", NOW - timedelta(minutes=1)),
    )
    assert health.reconnects(streaming, now=NOW) == 0


# ------------------------------------------------------------------ chat per minute


def chat_at(stream: Stream, *ago: timedelta) -> None:
    for delta in ago:
        message = ChatMessageFactory(stream=stream)
        ChatMessage.objects.filter(pk=message.pk).update(created_at=NOW - delta)


def test_chat_per_minute_in_the_last_minute_and_on_average_over_five(streaming):
    chat_at(streaming, *[timedelta(seconds=s) for s in (5, 20, 50)])
    chat_at(streaming, *[timedelta(minutes=m) for m in (2, 3, 4, 4.5)])
    chat_at(streaming, timedelta(minutes=6))  # too old for either
    rate = health.chat_rate(streaming, now=NOW, live_since=NOW - timedelta(hours=1))
    assert (rate.last_minute, rate.per_minute) == (3, 1.4)  # 7 messages in 5 minutes


def test_chat_average_of_a_stream_live_for_two_minutes_is_over_those_two(streaming):
    chat_at(streaming, *[timedelta(seconds=s) for s in (10, 70, 80, 100)])
    rate = health.chat_rate(streaming, now=NOW, live_since=NOW - timedelta(minutes=2))
    assert (rate.last_minute, rate.per_minute) == (1, 2.0)


# ------------------------------------------------------------------ the endpoint


def test_a_guest_is_sent_to_log_in(guest_client, alice):
    response = guest_client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=")


def test_another_user_gets_a_json_404(bob_client, streaming):
    response = bob_client.get(URL)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert set(response.json()) == {"code", "detail"}


def test_it_answers_get_only(alice_client, streaming):
    assert alice_client.post(URL).status_code == 405


def test_offline_it_says_only_that(alice_client, alice):
    response = alice_client.get(URL)
    assert response.status_code == 200
    assert response.json() == {"live": False}
    assert "no-cache" in response["Cache-Control"]


def test_live_it_shows_the_stored_viewer_count_uptime_and_chat_stubbed_facade(
    alice_client, streaming, monkeypatch
):
    went_live = timezone.now() - timedelta(minutes=12, seconds=3)
    Stream.objects.filter(pk=streaming.pk).update(viewer_count=7, live_changed_at=went_live)
    chat_at(streaming, timedelta(seconds=1))  # NOW is the past: no message in the last minute
    ChatMessageFactory.create_batch(3, stream=streaming)
    monkeypatch.setattr(
        livekit, "ingress_health", lambda ingress_id: ingress_state(size=(640, 360), audio=False)
    )
    status = alice_client.get(URL).json()
    assert status["live"] is True
    assert status["viewers"] == 7
    assert 723 <= status["uptime_seconds"] <= 725
    assert status["live_since"] == went_live.isoformat()
    assert status["chat"] == {"last_minute": 3, "per_minute": 0.6}
    shown = status["health"]["shown"]
    assert (shown["resolution"], shown["framerate"]) == ("640x360", "30 fps")
    assert shown["video_bitrate"] == "1.2 Mb/s"
    assert (shown["video_codec"], shown["audio"]) == ("H.264", "None")
    assert shown["output"] == "640x360, 25 fps, 1.0 Mb/s"
    assert status["health"]["video"]["width"] == 640
    assert [warning["code"] for warning in status["warnings"]] == ["no_audio"]


def test_audio_and_a_bitrate_not_yet_measured_read_plainly_stubbed_facade(
    alice_client, streaming, monkeypatch
):
    monkeypatch.setattr(
        livekit, "ingress_health", lambda ingress_id: ingress_state(video_bitrate=0)
    )
    shown = alice_client.get(URL).json()["health"]["shown"]
    assert shown["video_bitrate"] == "Measuring…"
    assert shown["audio"] == "AAC, 160 kb/s, stereo, 48 kHz"


def test_a_refresh_costs_a_few_queries_however_busy_the_chat_stubbed_facade(
    alice_client, streaming, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(livekit, "ingress_health", lambda ingress_id: ingress_state())
    ChatMessageFactory.create_batch(30, stream=streaming)
    ingress_events(streaming, *[("ingress_started", timezone.now()) for _ in range(5)])
    # Session and user, the stream, the chat counts, the ingress's events in two.
    with django_assert_max_num_queries(6):
        assert alice_client.get(URL).json()["live"] is True


def test_livekit_unreachable_leaves_the_rest_of_the_panel(alice_client, streaming, livekit_down):
    status = alice_client.get(URL).json()
    assert status["live"] is True
    assert status["health"] is None
    assert "LiveKit is not reachable" in status["health_unavailable"]
    assert status["warnings"] == []


def test_a_stream_without_a_connection_says_where_to_make_one(alice_client, live):
    status = alice_client.get(URL).json()
    assert status["health"] is None
    assert "Keys page" in status["health_unavailable"]


def test_the_stream_page_shows_the_panel_and_what_it_shows_offline(alice_client, alice):
    page = alice_client.get("/u/alice/").content.decode()
    assert 'data-url="/u/alice/live-status/"' in page
    assert "You are offline. While you are live, this shows how many people watch" in page
    assert "js/dashboard.js" in page
    # The preview is muted with no sound controls, and asks for the lowest layer.
    assert "Muted preview" in page
    assert "data-player-mute" not in page
    assert '"preview": true' in page
