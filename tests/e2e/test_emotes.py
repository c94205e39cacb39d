"""Emotes on the channel page in a real Chromium with a real LiveKit room: a live message's
emote code shows as its image (the code as its text alternative, HTML staying text), the
picker inserts a code, and ":" completion is driven from the keyboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from streams.models import Stream
from tests.e2e import test_accessibility as a11y
from tests.factories import EmoteFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls("tests.e2e.media_urls")]


def go_live(host) -> None:
    """What the ingress_started webhook does."""
    Stream.objects.filter(user=host).update(is_live=True)


def loaded(image) -> bool:
    return image.evaluate("img => img.complete && img.naturalWidth > 0")


def test_a_live_message_shows_the_emote_image_and_html_stays_text(open_page, publisher, alice, bob):
    EmoteFactory(channel=alice, code="aliceHype")
    EmoteFactory(channel=bob, code="bobHype")
    publisher(alice)
    go_live(alice)
    guest_page = open_page("/alice/")
    bob_page = open_page("/alice/", bob)
    expect(bob_page.locator("#chat-input")).to_be_enabled()
    bob_page.fill("#chat-input", "<b>aliceHype</b> aliceHype xaliceHype bobHype")
    bob_page.press("#chat-input", "Enter")
    text = guest_page.locator("[data-chat-messages] .chat-message .chat-text")
    expect(text).to_have_count(1)
    image = text.locator("img.emote")
    expect(image).to_have_count(1)
    expect(image).to_have_attribute("alt", "aliceHype")
    assert loaded(image)
    expect(text).to_have_text("<b>aliceHype</b>  xaliceHype bobHype")
    assert text.locator("b").count() == 0


def test_the_picker_inserts_a_code_and_colon_completes_from_the_keyboard(
    open_page, publisher, alice, bob
):
    EmoteFactory(channel=alice, code="aliceHype")
    EmoteFactory(channel=alice, code="aliceHi")
    EmoteFactory(channel=None, code="SiteWave")
    publisher(alice)
    go_live(alice)
    page = open_page("/alice/", bob)
    chat_input = page.locator("#chat-input")
    expect(chat_input).to_be_enabled()

    page.get_by_role("button", name="Emotes").click()
    picker = page.locator("[data-emote-picker]")
    expect(picker).to_be_visible()
    picker.get_by_role("button", name="SiteWave").click()
    expect(picker).to_be_hidden()
    expect(chat_input).to_have_value("SiteWave ")

    chat_input.press_sequentially(":alice")
    options = page.get_by_role("option")
    expect(options).to_have_text(["aliceHi", "aliceHype"])
    expect(chat_input).to_have_attribute("aria-expanded", "true")
    chat_input.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    chat_input.press("Enter")  # takes the suggestion, does not send
    expect(chat_input).to_have_value("SiteWave aliceHype ")
    expect(options).to_have_count(0)

    chat_input.press_sequentially(":Site")
    expect(options).to_have_text(["SiteWave"])
    chat_input.press("Escape")
    expect(options).to_have_count(0)
    expect(chat_input).to_have_value("SiteWave aliceHype :Site")

    chat_input.fill("gg aliceHi")
    chat_input.press("Enter")
    sent = page.locator("[data-chat-messages] .chat-message .chat-text img.emote")
    expect(sent).to_have_attribute("alt", "aliceHi")


@pytest.fixture
def axe_source() -> str:
    if not a11y.AXE.exists():
        pytest.skip(f"axe-core is not installed at {a11y.AXE} (npm ci installs it)")
    return a11y.AXE.read_text()


@pytest.mark.parametrize("width", a11y.WIDTHS, ids=list(a11y.WIDTHS))
def test_the_emotes_dashboard_and_an_open_picker_have_no_serious_accessibility_violation(
    width, open_page, axe_source, publisher, alice, bob
):
    EmoteFactory(channel=alice, code="aliceHype")
    dashboard = open_page("/u/alice/emotes/", alice, viewport=a11y.WIDTHS[width])
    expect(dashboard.locator('tr[data-emote="aliceHype"] img.emote')).to_be_visible()
    assert a11y.serious_violations(dashboard, axe_source) == []

    publisher(alice)
    go_live(alice)
    page = open_page("/alice/", bob, viewport=a11y.WIDTHS[width])
    expect(page.locator("#chat-input")).to_be_enabled()
    page.locator("#chat-input").press_sequentially(":ali")
    expect(page.get_by_role("option")).to_have_count(1)
    assert a11y.serious_violations(page, axe_source) == []
    page.locator("#chat-input").press("Escape")
    page.get_by_role("button", name="Emotes").click()
    expect(page.locator("[data-emote-picker]")).to_be_visible()
    assert a11y.serious_violations(page, axe_source) == []
