"""A past broadcast in real Chromium: the recording plays (hls.js over Django's media
serving), seeks, changes speed, and its chat is replayed at the moments it was sent,
following the seeking; a deleted message never shows."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from streams import chat
from tests.factories import UserFactory
from tests.recordings import ready_broadcast, said_during

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls("tests.e2e.media_urls")]

PHONE = (390, 844)
VIDEO = "document.querySelector('[data-video]')"
SHOWN = "[data-replay-messages] .chat-text"


@pytest.fixture
def recorded(alice, bob, settings, tmp_path):
    """An 8 s broadcast of alice's, with bob's chat: at 0.5 s, at 3 s, and one at 2 s that a
    moderator deleted."""
    settings.RECORDINGS_SPOOL_DIR = tmp_path / "spool"
    broadcast = ready_broadcast(alice.stream, parts=(8,), title="Speedrun night")
    said_during(broadcast, 0.5, bob, "hello from the start")
    said_during(broadcast, 3, bob, "three seconds in")
    said_during(broadcast, 2, UserFactory(username="troll"), "a deleted insult", is_deleted=True)
    return broadcast


def seek(page, seconds: float) -> float:
    """Seek the paused video to `seconds`; where it is once it has seeked."""
    return page.evaluate(
        """(seconds) => new Promise((resolve) => {
          const video = document.querySelector('[data-video]');
          video.addEventListener('seeked', () => resolve(video.currentTime), { once: true });
          video.currentTime = seconds;
        })""",
        seconds,
    )


def ready(page) -> None:
    page.wait_for_function(f"{VIDEO}.readyState >= 2 && {VIDEO}.duration > 7", timeout=20_000)


def test_the_recording_plays_seeks_and_changes_speed(open_page, recorded):
    page = open_page(f"/videos/{recorded.pk}/")
    expect(page).to_have_title("Speedrun night · alice · Streamsite")
    ready(page)
    page.evaluate(f"{VIDEO}.muted = true; {VIDEO}.play()")
    page.wait_for_function(f"{VIDEO}.currentTime > 1.5", timeout=15_000)

    page.evaluate(f"{VIDEO}.pause()")
    middle = page.evaluate(f"{VIDEO}.duration") / 2
    assert seek(page, middle) == pytest.approx(middle, abs=0.5)

    page.select_option("#video-speed", "2")
    assert page.evaluate(f"{VIDEO}.playbackRate") == 2
    assert page.locator("[data-video-error]").is_hidden()


def test_chat_is_replayed_when_the_video_reaches_it_and_follows_seeking(open_page, recorded):
    page = open_page(f"/videos/{recorded.pk}/")
    ready(page)
    shown = page.locator(SHOWN)
    page.evaluate(f"{VIDEO}.muted = true; {VIDEO}.play()")
    expect(shown.filter(has_text="hello from the start")).to_be_visible()
    expect(shown.filter(has_text="three seconds in")).to_be_visible(timeout=10_000)
    at = page.evaluate(f"{VIDEO}.currentTime")
    assert 3 <= at < 4, f"shown at {at:.2f} s of the video"
    page.evaluate(f"{VIDEO}.pause()")

    seek(page, 1)  # back before it was sent: it goes
    expect(shown).to_have_text(["hello from the start"])
    seek(page, 6)  # forward past it: it is there again, with the time it was sent
    expect(shown).to_have_text(["hello from the start", "three seconds in"])
    item = page.locator("[data-replay-messages] .chat-message").last
    assert item.locator(".chat-time").text_content() == "0:03"
    # The name in the colour the live chat gives it.
    colour = page.evaluate(
        "(c) => { const b = document.createElement('b'); b.style.color = c; return b.style.color }",
        chat.name_color("bob"),
    )
    assert item.locator(".chat-name").evaluate("(name) => name.style.color") == colour
    assert "a deleted insult" not in page.locator("[data-replay]").inner_text()


def test_a_message_is_text_never_markup(open_page, recorded, bob):
    said_during(recorded, 1, bob, '<img src=x onerror="window.pwned = 1">')
    page = open_page(f"/videos/{recorded.pk}/")
    ready(page)
    seek(page, 2)
    expect(page.locator(SHOWN).nth(1)).to_have_text('<img src=x onerror="window.pwned = 1">')
    assert page.locator("[data-replay-messages] img").count() == 0
    assert page.evaluate("window.pwned") is None


def test_on_a_phone_the_player_comes_first_and_the_page_fits(open_page, recorded):
    page = open_page(f"/videos/{recorded.pk}/", viewport=PHONE)
    ready(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    player = page.locator(".player").bounding_box()
    assert player["y"] + player["height"] <= PHONE[1]
    chat = page.locator("[data-replay]").bounding_box()
    assert chat["y"] >= player["y"] + player["height"]
    assert chat["x"] >= 0 and chat["x"] + chat["width"] <= PHONE[0]


def test_the_channel_leads_to_its_videos_and_the_last_broadcast(open_page, recorded):
    phone = open_page("/alice/", viewport=PHONE)
    link = phone.get_by_role("link", name="Watch the last broadcast")
    expect(link).to_be_visible()
    player, box = phone.locator("[data-player]").bounding_box(), link.bounding_box()
    assert player["y"] <= box["y"] and box["y"] + box["height"] <= player["y"] + player["height"]

    page = open_page("/alice/")
    page.get_by_role("link", name="Watch the last broadcast").click()
    page.wait_for_url(f"**/videos/{recorded.pk}/")
    page.goto("/alice/")
    page.locator(".channel-header").get_by_role("link", name="Videos").click()
    page.wait_for_url("**/alice/videos/")
    page.get_by_role("link", name="Speedrun night").click()
    page.wait_for_url(f"**/videos/{recorded.pk}/")
    ready(page)


def test_a_viewer_clips_the_video_from_where_it_plays(open_page, alice, bob, settings, tmp_path):
    settings.RECORDINGS_SPOOL_DIR = tmp_path / "spool"
    broadcast = ready_broadcast(alice.stream, parts=(20,))
    page = open_page(f"/videos/{broadcast.pk}/", bob)
    video = page.locator("[data-video]")
    page.wait_for_function("document.querySelector('[data-video]').readyState >= 1")
    video.evaluate("v => { v.currentTime = 6; }")
    page.wait_for_function("Math.floor(document.querySelector('[data-video]').currentTime) === 6")
    page.get_by_text("Clip this video").click()
    expect(page.locator("[data-clip-start]")).to_have_value("6")
    expect(page.locator("[data-clip-end]")).to_have_value("20")  # the video ends before 36
    page.locator("#clip-title").fill("The good part")
    page.get_by_role("button", name="Make the clip").click()
    page.wait_for_url("**/clips/*/")
    expect(page.get_by_role("heading", name="The good part")).to_be_visible()


def test_a_guest_is_asked_to_log_in_to_clip(open_page, alice, settings, tmp_path):
    settings.RECORDINGS_SPOOL_DIR = tmp_path / "spool"
    broadcast = ready_broadcast(alice.stream)
    page = open_page(f"/videos/{broadcast.pk}/")
    expect(page.locator(".clip-panel").get_by_role("link", name="Log in")).to_have_attribute(
        "href", f"/accounts/login/?next=/videos/{broadcast.pk}/"
    )
