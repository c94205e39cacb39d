"""Dashboard → Analytics in Chromium: on a phone the page fits the screen (the broadcasts'
table scrolls inside its own box), and the CSV downloads."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from analytics.models import BroadcastStats
from tests.analytics_rows import broadcast_of

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = (390, 844)


@pytest.fixture
def broadcasts(alice):
    now = timezone.now()
    for day in range(1, 4):
        start = now - timedelta(days=day)
        broadcast = broadcast_of(
            alice.stream, start, start + timedelta(hours=2), title=f"A rather long title {day}" * 3
        )
        # Stored when it ended (a broadcast made ended stores its figures on commit).
        BroadcastStats.objects.update_or_create(
            broadcast=broadcast, defaults={"peak_viewers": 1234, "average_viewers": 812.5}
        )


def test_on_a_phone_the_analytics_page_fits_and_its_table_scrolls_in_its_box(
    open_page, alice, broadcasts
):
    page = open_page("/u/alice/analytics/", alice, viewport=PHONE)
    assert page.locator("tbody tr").count() == 3
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    box = page.locator(".table-scroll")
    assert box.evaluate("e => e.scrollWidth > e.clientWidth")  # ten columns: it scrolls
    for panel in page.locator("[data-totals]").all():
        edge = panel.bounding_box()
        assert edge["x"] >= 0 and edge["x"] + edge["width"] <= PHONE[0]


def test_the_csv_downloads_with_a_row_per_broadcast(open_page, alice, broadcasts):
    page = open_page("/u/alice/analytics/", alice)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename == "alice-analytics.csv"
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4 and lines[0].startswith("broadcast,title,started_at")
