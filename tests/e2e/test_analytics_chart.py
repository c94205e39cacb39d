"""A broadcast's analytics page in real Chromium: uPlot draws a bar per minute and a viewers
point per minute with a count, the raids and the title change are marked, the table has the
same minutes, and on a phone the chart fits the screen and follows its width."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from streams.models import ViewerSample
from tests.broadcast_rows import MINUTES, charted_broadcast
from tests.e2e.test_accessibility import axe_source, serious_violations  # noqa: F401
from tests.recordings import BroadcastFactory

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = (390, 844)
DRAWN = "[data-chart][data-drawn=true]"


@pytest.fixture
def charted(alice):
    return charted_broadcast(alice)


def open_chart(open_page, charted, alice, viewport=(1280, 800)):
    page = open_page(f"/u/alice/analytics/{charted.broadcast.pk}/", alice, viewport=viewport)
    page.locator(DRAWN).wait_for(state="attached")
    return page


def drawn(page) -> dict:
    """What the chart says it drew (its data attributes, but data-chart itself)."""
    found = page.locator("[data-chart]").evaluate("(chart) => ({...chart.dataset})")
    return {name: value for name, value in found.items() if name != "chart"}


def test_the_chart_draws_every_minute_its_viewers_and_the_three_moments(open_page, alice, charted):
    page = open_chart(open_page, charted, alice)

    counted_minutes = len({when.replace(second=0) for when, _ in charted.samples})
    assert drawn(page) == {
        "drawn": "true",
        "minutes": str(MINUTES),
        "viewerPoints": str(counted_minutes),
        "markers": "3",
    }
    assert counted_minutes == MINUTES - 1  # one minute the pass did not run: a gap
    canvas = page.locator("[data-chart] canvas").bounding_box()
    assert canvas["width"] > 600 and canvas["height"] > 200
    legend = page.locator("[data-chart] .u-legend")
    expect(legend).to_contain_text("Viewers")
    expect(legend).to_contain_text("Chat messages / min")
    # Pointing at the plot reads the minute under the pointer out, in UTC as the table.
    plot = page.locator("[data-chart] .u-over").bounding_box()
    page.mouse.move(plot["x"] + plot["width"] * 0.45, plot["y"] + plot["height"] / 2)
    expect(legend.locator(".u-series").first.locator(".u-value")).to_have_text(
        re.compile(r"^20:0[4-6]$")
    )


def test_the_table_under_the_chart_has_a_row_for_each_minute_drawn(open_page, alice, charted):
    page = open_chart(open_page, charted, alice)

    rows = page.locator("[data-chart-table] tbody tr")
    expect(rows).to_have_count(int(drawn(page)["minutes"]))
    expect(rows.first.locator("th")).to_have_text("20:00")
    expect(rows.nth(1).locator("td")).to_have_text(["5", "4"])  # 20:01: at most 5, 4 messages
    expect(page.locator("[data-moments] li")).to_have_text(
        [
            "20:02 Raid from carol: 8 viewers, 5 arrived",
            "20:04 Title: Boss fight <3",
            "20:12 Raid to bob with 17 viewers",
        ]
    )
    assert page.locator("[data-chart-error]").is_hidden()


def test_on_a_phone_the_chart_fits_the_screen_and_follows_its_width(open_page, alice, charted):
    page = open_chart(open_page, charted, alice, viewport=PHONE)

    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    chart = page.locator("[data-chart]").bounding_box()
    plot = page.locator("[data-chart] .uplot").bounding_box()
    assert chart["x"] >= 0 and plot["x"] + plot["width"] <= chart["x"] + chart["width"] + 1
    assert drawn(page)["markers"] == "3"

    page.set_viewport_size({"width": 1280, "height": 800})
    page.wait_for_function(
        "document.querySelector('[data-chart] .uplot').getBoundingClientRect().width > 600"
    )
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    page.wait_for_function(
        "document.querySelector('[data-chart] .uplot').getBoundingClientRect().width <= 390"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]


@pytest.mark.parametrize("viewport", [(1280, 800), PHONE], ids=["desktop", "phone"])
def test_the_page_has_no_serious_accessibility_violation(
    open_page,
    alice,
    charted,
    axe_source,  # noqa: F811
    viewport,
):
    page = open_chart(open_page, charted, alice, viewport=viewport)

    assert serious_violations(page, axe_source) == []


def test_an_eight_hour_broadcast_draws_each_of_its_minutes(open_page, alice):
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=9)
    broadcast = BroadcastFactory(
        stream=alice.stream, started_at=start, ended_at=start + timedelta(hours=8), files=False
    )
    ViewerSample.objects.bulk_create(
        ViewerSample(stream=alice.stream, at=start + timedelta(seconds=15 * i), viewers=i % 97)
        for i in range(8 * 240)
    )
    page = open_page(f"/u/alice/analytics/{broadcast.pk}/", alice)
    page.locator(DRAWN).wait_for(state="attached")

    assert drawn(page) == {
        "drawn": "true",
        "minutes": str(8 * 60 + 1),
        "viewerPoints": str(8 * 60),  # the last minute is the end's alone, with no sample
        "markers": "0",
    }
    expect(page.locator("[data-chart-table] tbody tr")).to_have_count(8 * 60 + 1)
