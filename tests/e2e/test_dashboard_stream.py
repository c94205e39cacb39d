"""Dashboard -> Stream in a real Chromium with a real LiveKit room: the creator's preview says
one thing about the stream, and while it is live, how many watch and for how long."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from streams.models import Stream

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = (390, 844)
DESKTOP = (1280, 800)


def expect_one_state(page, *, live: bool) -> None:
    """The badges, the player and the line beside them all say live, or all say offline."""
    for selector, shown in [
        ("[data-live-badge]", live),
        ("[data-uptime]", live),
        ("[data-offline-badge]", not live),
        ("[data-player-offline]", not live),
        ("[data-last-live]", not live),
    ]:
        if shown:
            expect(page.locator(selector)).to_be_visible()
        else:
            expect(page.locator(selector)).to_be_hidden()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_live_creator_sees_live_viewers_and_uptime_and_never_offline(
    open_page, publisher, alice, bob, viewport
):
    publisher(alice)
    went_live = timezone.now() - timedelta(hours=1, minutes=23, seconds=40)
    Stream.objects.filter(user=alice).update(
        is_live=True, live_changed_at=went_live, last_live_at=went_live
    )
    open_page("/alice/", bob)  # one viewer, in two tabs: one person
    open_page("/alice/", bob)
    page = open_page("/u/alice/", alice, viewport=viewport)
    expect(page.locator("[data-player-video]")).to_be_visible(timeout=30_000)
    expect_one_state(page, live=True)
    expect(page.get_by_text("is offline")).to_be_hidden()
    # bob, and alice herself watching her preview, as the channel page counts them.
    expect(page.locator("[data-viewer-count]")).to_have_text("2 viewers")
    uptime = page.locator("[data-uptime]")
    expect(uptime).to_have_text(re.compile(r"^Live for 1:2[3-5]:\d\d$"))
    first = uptime.inner_text()
    expect(uptime).not_to_have_text(first, timeout=3_000)  # it ticks


def test_the_preview_follows_the_stream_ending_and_says_when_it_was_last_live(
    open_page, publisher, alice
):
    stream = publisher(alice)
    Stream.objects.filter(user=alice).update(is_live=True, live_changed_at=timezone.now())
    page = open_page("/u/alice/", alice, viewport=PHONE)
    expect(page.locator("[data-player-video]")).to_be_visible(timeout=30_000)
    expect(page.locator("[data-uptime]")).to_have_text(re.compile(r"^Live for 0:00:\d\d$"))
    stream.close()
    expect(page.locator("[data-player-offline]")).to_be_visible(timeout=20_000)
    expect_one_state(page, live=False)
    expect(page.locator("[data-viewer-count]")).to_be_hidden()
    expect(page.locator("[data-last-live]")).to_have_text("Last live just now")
