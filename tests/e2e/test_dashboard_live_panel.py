"""Dashboard -> Stream's live panel in a real Chromium: ffmpeg streaming over RTMP into the
real LiveKit Ingress, the panel showing what it sends, beside a muted preview playing the
stream's lowest layer; and on a phone, warnings that fit the screen and say what they are."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from streams import livekit, rooms, viewer_counts
from streams.models import Stream
from tests.conftest import wait_for
from tests.e2e.test_accessibility import AXE, serious_violations
from tests.test_recording import stream_to
from tests.test_stream_health import ingress_state

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = (390, 844)
VIDEO = "document.querySelector('[data-player-video]')"


def figure(page, name: str):
    return page.locator(f'[data-figure="{name}"]')


@pytest.mark.obs
def test_the_panel_shows_what_ffmpeg_sends_beside_a_muted_low_layer_preview(
    ingress, open_page, encoders, alice
):
    stream_to(alice, encoders, "testsrc")  # 640x360 at 25 fps; viewers' layers 640x360, 480x270
    page = open_page("/u/alice/", alice)
    panel = page.locator("[data-live-panel]")
    expect(figure(page, "resolution")).to_have_text("640x360", timeout=30_000)
    expect(figure(page, "framerate")).to_have_text("25 fps")
    expect(figure(page, "video_codec")).to_have_text("H.264")
    expect(figure(page, "audio")).to_contain_text("AAC")
    expect(figure(page, "uptime")).to_have_text(re.compile(r"^0:0\d:\d\d$"))
    expect(panel.get_by_text("No problems found.")).to_be_visible()
    expect(page.get_by_text("You are offline.")).to_be_hidden()

    page.wait_for_function(f"{VIDEO}.videoWidth > 0", timeout=30_000)
    start = page.evaluate(f"{VIDEO}.currentTime")
    page.wait_for_function(f"{VIDEO}.currentTime > {start} + 1")
    assert page.evaluate(f"{VIDEO}.muted") is True
    assert page.locator("[data-player-mute]").count() == 0
    expect(page.get_by_text("Muted preview")).to_be_visible()
    # The lowest layer (480x270), where a viewer's player gets the 640x360 one (LiveKit
    # sends every subscriber the lowest layer first: the viewer's switch shows it is over).
    viewer = open_page("/alice/")
    viewer.wait_for_function(f"{VIDEO}.videoHeight === 360", timeout=30_000)
    page.wait_for_timeout(2_000)
    assert page.evaluate(f"{VIDEO}.videoHeight") == 270
    # The preview is hidden in the room: of the three participants LiveKit counts (the
    # stream, the other page, the preview), the one viewer is the other page.
    room = rooms.room_name(alice.pk)
    wait_for(
        lambda: livekit.room_sizes([room], timeout=5).get(room) == livekit.RoomSize(3, 1),
        "LiveKit to count the stream, the viewer and the preview",
        timeout=20,
    )
    viewer_counts.count_viewers()
    assert Stream.objects.get(user=alice).viewer_count == 1


def test_on_a_phone_the_panel_fits_and_its_warnings_are_words_stubbed_facade(
    open_page, alice, monkeypatch
):
    went_live = timezone.now() - timedelta(minutes=3)
    Stream.objects.filter(user=alice).update(
        is_live=True, ingress_id="IN_alice", live_changed_at=went_live, viewer_count=1234
    )
    # The live server runs in this process: its facade answers as an ingress without sound
    # that a slow encoder feeds.
    monkeypatch.setattr(
        livekit, "ingress_health", lambda ingress_id: ingress_state(audio=False, framerate=15)
    )
    page = open_page("/u/alice/", alice, viewport=PHONE)
    warnings = page.locator("[data-live-warnings]")
    expect(warnings.locator("li")).to_have_count(2, timeout=15_000)
    expect(warnings.locator("li").first).to_contain_text("Warning: No audio reaches the stream")
    expect(warnings.locator("li").last).to_contain_text("Warning: Your stream runs at 15 frames")
    assert warnings.get_attribute("aria-live") == "polite"
    expect(figure(page, "viewers")).to_have_text("1,234")
    expect(figure(page, "resolution")).to_have_text("1280x720")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    box = page.locator("[data-live-panel]").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE[0]
    if AXE.exists():  # test_accessibility.py says when it is missing
        assert serious_violations(page, AXE.read_text()) == []


def test_offline_the_panel_says_what_it_will_show_and_follows_the_stream_going_live(
    open_page, alice, monkeypatch
):
    monkeypatch.setattr(livekit, "ingress_health", lambda ingress_id: ingress_state())
    Stream.objects.filter(user=alice).update(ingress_id="IN_alice")
    page = open_page("/u/alice/", alice)
    expect(page.get_by_text("You are offline. While you are live, this shows")).to_be_visible()
    expect(page.locator("[data-live-figures]")).to_be_hidden()
    Stream.objects.filter(user=alice).update(is_live=True, live_changed_at=timezone.now())
    expect(figure(page, "resolution")).to_have_text("1280x720", timeout=15_000)
    expect(page.get_by_text("You are offline.")).to_be_hidden()
