"""A raid in a real Chromium: the host starts it from the channel page, the viewers see the
countdown, those who did not press "Stay here" land on the target's channel, whose chat
announces them."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from raids.models import Raid, RaidArrival
from streams import rooms
from streams.models import Stream
from tests.conftest import wait_for
from tests.e2e.conftest import off_the_browser_thread
from tests.factories import UserFactory
from tests.test_raid_room import run_worker

pytestmark = pytest.mark.django_db(transaction=True)


def go_live(*hosts) -> None:
    Stream.objects.filter(user__in=hosts).update(is_live=True)


def test_viewers_go_to_the_raided_channel_after_the_countdown_but_one_who_stays_does_not(
    open_page, publisher, alice, bob
):
    erin, frank = UserFactory(username="erin"), UserFactory(username="frank")
    publisher(alice)
    publisher(bob)
    go_live(alice, bob)
    host = open_page("/alice/", alice)
    erin_page = open_page("/alice/", erin)
    guest_page = open_page("/alice/")
    frank_page = open_page("/alice/", frank)
    for page in (erin_page, guest_page, frank_page):
        # The page counts the host's own tab; the raid will not (the host stays).
        expect(page.locator("[data-viewer-count]")).to_have_text("4 viewers", timeout=30_000)
    guest_cookie = cookie(guest_page, rooms.GUEST_COOKIE)

    host.get_by_role("button", name="Raid", exact=True).click()
    host.get_by_role("button", name="Raid bob").click()
    for page in (erin_page, guest_page, frank_page, host):
        expect(page.locator("[data-raid-banner]")).to_contain_text("Raiding bob in")
    frank_page.get_by_role("button", name="Stay here").click()
    expect(frank_page.locator("[data-raid-banner]")).to_contain_text("You are staying here")

    # The worker sends the raid when the countdown is over.
    wait_for(lambda: off_the_browser_thread(run_worker) == 1, "the raid to go", timeout=20)
    for page in (erin_page, guest_page):
        expect(page).to_have_url(re.compile(r"/bob/$"), timeout=15_000)
        expect(page.locator("[data-chat-messages] .chat-text")).to_contain_text(
            ["alice is raiding with 3 viewers!"]
        )
    expect(frank_page).to_have_url(re.compile(r"/alice/$"))
    expect(frank_page.locator("[data-raid-banner]")).to_contain_text("you stayed here")
    expect(host).to_have_url(re.compile(r"/alice/$"))

    wait_for(lambda: Raid.objects.get().arrivals == 2, "both arrivals to be counted", 15)
    persons = list(RaidArrival.objects.values_list("person", flat=True))
    assert rooms.signed_in_person(erin) in persons
    # The guest arrived as the guest they were on alice's channel: the same signed cookie.
    assert cookie(guest_page, rooms.GUEST_COOKIE) == guest_cookie
    assert any(rooms.is_guest_person(person) for person in persons)


def cookie(page, name: str) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == name)
