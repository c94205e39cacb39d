"""The OBS path for real: keys from the dashboard, an encoder pushing to the real LiveKit
Ingress (ffmpeg over RTMP, Chromium over WHIP), live status from the real ingress webhooks,
and viewers watching in Chromium. Run alone with `pytest -m obs`."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from devservers.media import WhipEncoder
from streams.models import Stream, WebhookEvent
from tests.conftest import wait_for
from tests.e2e.conftest import off_the_browser_thread

pytestmark = [pytest.mark.obs, pytest.mark.django_db(transaction=True)]


def is_live(user) -> bool:
    return Stream.objects.get(user=user).is_live


def events_of(stream: Stream):
    """The webhooks about this stream's ingress (one from an earlier test may still arrive)."""
    return WebhookEvent.objects.filter(ingress_id=stream.ingress_id)


def generate_keys_in_browser(open_page, user, kind: str) -> Stream:
    page = open_page(f"/u/{user.username}/keys/", user)
    page.check(f"input[name=kind][value={kind}]")
    page.get_by_role("button", name="Generate connection").click()
    expect(page.locator(".message-success")).to_contain_text("New connection generated")
    stream = Stream.objects.get(user=user)
    expect(page.locator("#server-url")).to_have_value(stream.server_url)
    return stream


def expect_playing(page) -> None:
    page.wait_for_function(
        "() => document.querySelector('[data-player-video]').videoWidth > 0", timeout=30_000
    )
    start = page.locator("[data-player-video]").evaluate("v => v.currentTime")
    page.wait_for_function(
        f"() => document.querySelector('[data-player-video]').currentTime > {start} + 0.5"
    )


def test_rtmp_from_the_dashboard_to_a_viewer_and_back_offline(ingress, open_page, encoders, alice):
    stream = generate_keys_in_browser(open_page, alice, "rtmp")
    assert stream.server_url.startswith("rtmp://127.0.0.1:")
    encoder = encoders(f"{stream.server_url}/{stream.stream_key}")
    wait_for(lambda: is_live(alice), what="ingress_started to set the stream live")
    assert events_of(stream).filter(event="ingress_started", outcome="live").exists()
    home = open_page("/")
    card = home.locator(".card", has_text="alice")
    expect(card.locator(".badge-live")).to_have_text("LIVE")
    viewer = open_page("/alice/")
    expect_playing(viewer)
    expect(viewer.locator("[data-live-badge]")).to_be_visible()
    encoder.stop()
    wait_for(lambda: not is_live(alice), what="ingress_ended to set the stream offline")
    assert events_of(stream).filter(event="ingress_ended", outcome="offline").exists()
    expect(viewer.locator("[data-player-offline]")).to_be_visible(timeout=30_000)


def test_whip_from_chromium_bypasses_transcoding(ingress, open_page, alice):
    stream = generate_keys_in_browser(open_page, alice, "whip")
    assert stream.ingress_type == "whip"
    # Any page of the site: a secure (loopback) context. The offer is POSTed to
    # <server URL>/<stream key> and the answer applied, as OBS does.
    encoder = WhipEncoder(open_page("/robots.txt"), f"{stream.server_url}/{stream.stream_key}")
    encoder.start()
    wait_for(lambda: is_live(alice), what="ingress_started for the WHIP stream")
    viewer = open_page("/alice/")
    expect_playing(viewer)
    encoder.stop()
    wait_for(lambda: not is_live(alice), what="ingress_ended for the WHIP stream")
    expect(viewer.locator("[data-player-offline]")).to_be_visible(timeout=30_000)


def test_regenerating_keys_while_live_ends_the_stream_and_the_old_key_stops_working(
    ingress, open_page, encoders, alice, client_for
):
    old = generate_keys_in_browser(open_page, alice, "rtmp")
    old_url = f"{old.server_url}/{old.stream_key}"
    encoders(old_url)
    wait_for(lambda: is_live(alice), what="the stream to go live")
    viewer = open_page("/alice/")
    expect_playing(viewer)
    response = off_the_browser_thread(
        client_for(alice).post, "/u/alice/keys/generate/", {"action": "generate", "kind": "rtmp"}
    )
    assert response.status_code == 302
    new = Stream.objects.get(user=alice)
    assert new.stream_key != old.stream_key
    expect(viewer.locator("[data-player-video]")).to_be_hidden(timeout=30_000)
    assert not is_live(alice)
    retry = encoders(old_url)
    assert retry.process.wait(timeout=30) != 0, "ingress accepted the old stream key"
    assert not is_live(alice)


def test_a_crashed_ingress_is_corrected_by_sync_live_status(ingress, open_page, encoders, alice):
    stream = generate_keys_in_browser(open_page, alice, "rtmp")
    encoders(f"{stream.server_url}/{stream.stream_key}")
    wait_for(lambda: is_live(alice), what="the stream to go live")
    viewer = open_page("/alice/")
    expect_playing(viewer)
    ingress.kill_ingress()  # no ingress_ended is ever sent
    out = StringIO()
    wait_for(
        lambda: (
            off_the_browser_thread(call_command, "sync_live_status", stdout=out)
            or not is_live(alice)
        ),
        what="sync_live_status to set the stream offline",
    )
    assert not events_of(stream).filter(event="ingress_ended").exists()
    expect(viewer.locator("[data-player-offline]")).to_be_visible(timeout=30_000)


def test_a_wrong_stream_key_is_refused_and_nothing_changes(ingress, open_page, encoders, alice):
    stream = generate_keys_in_browser(open_page, alice, "rtmp")
    before = (stream.ingress_id, stream.stream_key)
    encoder = encoders(f"{stream.server_url}/not-the-stream-key")
    assert encoder.process.wait(timeout=30) != 0, "ingress accepted a wrong stream key"
    stream.refresh_from_db()
    assert not stream.is_live
    assert (stream.ingress_id, stream.stream_key) == before
    assert not events_of(stream).filter(event="ingress_started").exists()
    assert re.search(r"\S", encoder.log.read_text()), "ffmpeg said nothing"
