"""Every page, checked by axe-core (injected by Playwright) at a desktop and a phone width: no
serious or critical violation. Also the password change page and the 404 page, and the pages
of past broadcasts with a real recording playing."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from social.models import Notification
from streams.models import ChatMessage, Stream
from tests.factories import CategoryFactory, list_stream
from tests.recordings import ready_broadcast, said_during
from videos.models import Broadcast, Clip

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
CLIP_SLUG = "a11y-clip-1"
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}
# Guests see these; `alice/...` pages are seen signed in as alice (the host).
PAGES = {
    "home": ("/", None),
    "search": ("/search/?term=a", None),
    "channel offline": ("/alice/", None),
    "channel live": ("/alice/", "live"),
    "channel signed in": ("/alice/", "bob"),
    "sign in": ("/accounts/login/", None),
    "sign up": ("/accounts/signup/", None),
    "password reset": ("/accounts/password/reset/", None),
    "not found": ("/no-such-channel-here/", None),
    "dashboard stream": ("/u/alice/", "alice"),
    "dashboard keys": ("/u/alice/keys/", "alice"),
    "dashboard chat": ("/u/alice/chat/", "alice"),
    "dashboard community": ("/u/alice/community/", "alice"),
    "dashboard moderation": ("/u/alice/moderation/", "alice"),
    "password change": ("/accounts/password/change/", "alice"),
    "notifications": ("/notifications/", "bob"),
    "notification settings": ("/notifications/settings/", "bob"),
    "clip": (f"/clips/{CLIP_SLUG}/", "alice"),
    "channel clips": ("/alice/clips/", None),
    "new clip": ("/clips/new/broadcast/{broadcast}/", "bob"),
    "embed player": ("/embed/alice/", "live"),
    "embed chat": ("/embed/alice/chat/", None),
    "embed chat signed in": ("/embed/alice/chat/", "bob"),
    "directory": ("/directory/", None),
    "directory category": ("/directory/retro-games/", None),
    "directory tag": ("/tags/speedrun/", None),
}


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        message = f"axe-core is not installed at {AXE} (npm ci installs it)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}: `make test` installs it in CI.")
        pytest.skip(message)
    return AXE.read_text()


def serious_violations(page, axe_source: str) -> list[str]:
    page.add_script_tag(content=axe_source)
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
          .filter((v) => v.impact === "serious" || v.impact === "critical")
          .map((v) => `${v.id} (${v.impact}): ${v.help} at ` +
            v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", "))"""
    )
    return found


@pytest.mark.parametrize("width", WIDTHS, ids=list(WIDTHS))
@pytest.mark.parametrize("name", PAGES, ids=list(PAGES))
def test_no_serious_accessibility_violation(
    name, width, open_page, axe_source, alice, bob, carol, publisher
):
    path, who = PAGES[name]
    hello = ChatMessage.objects.create(
        stream=alice.stream, user=bob, author_name="bob", text="hello"
    )
    ChatMessage.objects.create(
        stream=alice.stream, user=alice, author_name="alice", text="hi @bob", reply_to=hello
    )
    Notification.objects.create(
        recipient=bob, channel=alice, kind=Notification.Kind.LIVE, broadcast="b1", title="Hi"
    )
    list_stream(alice, CategoryFactory(name="Retro Games"), ["speedrun"])
    if "clip" in name:
        path = path.format(broadcast=_clipped_broadcast(alice, bob).pk)
    if who == "live":
        publisher(alice)
        Stream.objects.filter(user=alice).update(is_live=True)
    user = {"alice": alice, "bob": bob}.get(who)
    page = open_page(path, user, viewport=WIDTHS[width])
    page.wait_for_load_state("networkidle")
    if who == "live":
        page.locator("[data-player-video]").wait_for(state="visible")
    assert serious_violations(page, axe_source) == []


def _clipped_broadcast(alice, bob) -> Broadcast:
    """A past broadcast of alice's and bob's clip of it (its video file is not needed)."""
    now = timezone.now()
    broadcast = Broadcast.objects.create(
        stream=alice.stream, title="Any% practice", started_at=now - timedelta(hours=1),
        ended_at=now, state="ready", duration=3600.0,
    )  # fmt: skip
    Clip.objects.create(
        slug=CLIP_SLUG, broadcast=broadcast, stream=alice.stream, clipper=bob,
        title="The skip", start=61.0, duration=30.0, file="clips/a11y.mp4",
    )  # fmt: skip
    return broadcast


# With a recorded broadcast of alice's, served by Django (tests/e2e/media_urls.py).
VIDEO_PAGES = {
    "channel videos": ("/alice/videos/", None),
    "video": ("/videos/{id}/", None),
    "video signed in": ("/videos/{id}/", "bob"),
    "channel offline with a last broadcast": ("/alice/", None),
    "dashboard videos": ("/u/alice/videos/", "alice"),
    "dashboard analytics": ("/u/alice/analytics/", "alice"),
}


@pytest.mark.urls("tests.e2e.media_urls")
@pytest.mark.parametrize("width", WIDTHS, ids=list(WIDTHS))
@pytest.mark.parametrize("name", VIDEO_PAGES, ids=list(VIDEO_PAGES))
def test_no_serious_accessibility_violation_on_past_broadcasts(
    name, width, open_page, axe_source, alice, bob, settings, tmp_path
):
    settings.RECORDINGS_SPOOL_DIR = tmp_path / "spool"
    broadcast = ready_broadcast(alice.stream)
    said_during(broadcast, 1, bob, "hello")
    path, who = VIDEO_PAGES[name]
    user = {"alice": alice, "bob": bob}.get(who)
    page = open_page(path.format(id=broadcast.pk), user, viewport=WIDTHS[width])
    page.wait_for_load_state("networkidle")
    if "{id}" in path:  # playing, with the chat replayed
        page.wait_for_function("document.querySelector('[data-video]').readyState >= 2")
        page.evaluate("document.querySelector('[data-video]').currentTime = 2")
        page.locator("[data-replay-messages] .chat-message").wait_for()
    assert serious_violations(page, axe_source) == []


FOCUSED = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  return {
    id: element.id,
    data: Object.keys(element.dataset),
    outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0,
  };
}"""


def tab_to(page, matches, presses: int = 60) -> dict:
    """Press Tab until the focused element satisfies `matches`; it must show a focus ring."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if matches(focused):
            assert focused["outline"], f"no visible focus on {focused}"
            return focused
    raise AssertionError("not reachable with Tab")


def test_the_player_and_the_chat_work_from_the_keyboard_alone(open_page, publisher, alice, bob):
    publisher(alice)
    Stream.objects.filter(user=alice).update(is_live=True)
    page = open_page("/alice/", bob)
    page.locator("[data-player-controls]").wait_for(state="visible", timeout=30_000)
    mute = page.locator("[data-player-mute]")

    tab_to(page, lambda focused: "playerMute" in focused["data"])
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('[data-player-mute]').ariaPressed === 'false'")
    assert mute.text_content() == "Mute"
    assert page.evaluate("document.querySelector('[data-player-video]').muted") is False

    tab_to(page, lambda focused: focused["id"] == "player-volume")
    page.keyboard.press("ArrowLeft")  # the volume slider moves with the arrow keys
    assert page.evaluate("document.querySelector('[data-player-volume]').value") != "100"

    tab_to(page, lambda focused: focused["id"] == "chat-input")
    page.keyboard.type("typed without a mouse")
    page.keyboard.press("Enter")
    text = page.locator("[data-chat-messages] .chat-message .chat-text").last
    text.wait_for()
    assert text.text_content() == "typed without a mouse"
    assert ChatMessage.objects.filter(user=bob, text="typed without a mouse").exists()
