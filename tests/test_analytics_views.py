"""Dashboard → Analytics: the owner's broadcasts with their figures, the totals of the last 7
and 30 days, and the CSV of every broadcast; nobody else's."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics.models import BroadcastStats
from tests.analytics_rows import broadcast_of, followed, sample
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGE, CSV = "/u/alice/analytics/", "/u/alice/analytics.csv"


def soup(response) -> BeautifulSoup:
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.content, "html.parser")


def ended(
    stream, days_ago: float, hours: float, average: float = 0.0, title: str = "Run", **figures
):
    """A broadcast that started `days_ago` and lasted `hours`, with its figures stored."""
    start = timezone.now() - timedelta(days=days_ago)
    broadcast = broadcast_of(stream, start, start + timedelta(hours=hours), title=title)
    BroadcastStats.objects.create(
        broadcast=broadcast, duration=hours * 3600, average_viewers=average, **figures
    )
    return broadcast


FIGURES = [
    "duration",
    "peak",
    "average",
    "unique",
    "messages",
    "chatters",
    "followers",
    "raids-in",
    "raids-out",
]


def cells(row) -> dict[str, str]:
    return {name: row.select_one(f"[data-{name}]").get_text(strip=True) for name in FIGURES}


def test_the_owner_sees_each_broadcast_newest_first_with_its_figures(alice_client, alice):
    ended(alice.stream, 3, 1, title="Older", average=2.5, peak_viewers=7, unique_viewers=12)
    ended(
        alice.stream, 1, 1.5, title="Newer", chat_messages=40, chatters=9,
        new_followers=3, raids_in=1, raids_out=2,
    )  # fmt: skip
    page = soup(alice_client.get(PAGE))

    nav = page.select_one(".dashboard-nav a[aria-current=page]")
    assert (nav.get_text(), nav["href"]) == ("Analytics", PAGE)
    rows = page.select("tbody tr")
    assert [row.th.a.get_text() for row in rows] == ["Newer", "Older"]
    assert cells(rows[0]) == {
        "duration": "1:30:00", "peak": "0", "average": "0.0", "unique": "0",
        "messages": "40", "chatters": "9", "followers": "3", "raids-in": "1", "raids-out": "2",
    }  # fmt: skip
    assert cells(rows[1])["average"] == "2.5" and cells(rows[1])["unique"] == "12"
    broadcast_id = rows[0]["data-broadcast"]
    assert rows[0].th.a["href"] == f"/u/alice/analytics/{broadcast_id}/"
    assert page.select_one(f"a[href='{CSV}']").get_text() == "Download CSV"


def test_the_live_broadcast_shows_its_figures_so_far(alice_client, alice):
    start = timezone.now() - timedelta(minutes=30)
    broadcast_of(alice.stream, start, None, title="On air")
    sample(alice.stream, start + timedelta(minutes=1), 4)
    row = soup(alice_client.get(PAGE)).select_one("tbody tr")
    assert "live now" in row.th.get_text()
    assert cells(row)["peak"] == "4"
    assert cells(row)["duration"].startswith("30:")


def test_a_broadcast_whose_figures_are_not_stored_yet_says_so(alice_client, alice):
    start = timezone.now() - timedelta(hours=2)
    broadcast_of(alice.stream, start, start + timedelta(hours=1))
    row = soup(alice_client.get(PAGE)).select_one("tbody tr")
    assert row.select_one("[data-pending]").get_text() == "Figures are being computed."


def test_the_totals_cover_the_last_7_and_30_days(alice_client, alice, bob):
    ended(alice.stream, 2, 1, average=3)
    ended(alice.stream, 10, 2, average=6)
    ended(alice.stream, 40, 5, average=100)  # too old for either
    for name, days in [("f1", 1), ("f20", 20), ("f50", 50)]:
        followed(UserFactory(username=name), alice, timezone.now() - timedelta(days=days))
    page = soup(alice_client.get(PAGE))  # bob followed alice just now (the fixture)

    def total(days: int) -> dict[str, str]:
        panel = page.select_one(f"[data-totals='{days}']")
        names = ("hours", "average", "followers", "broadcasts")
        return {name: panel.select_one(f"[data-{name}]").get_text() for name in names}

    assert total(7) == {"hours": "1.0", "average": "3.0", "followers": "2", "broadcasts": "1"}
    # Each broadcast weighs its duration: (3 x 1 h + 6 x 2 h) / 3 h.
    assert total(30) == {"hours": "3.0", "average": "5.0", "followers": "3", "broadcasts": "2"}


def test_a_channel_without_broadcasts_says_what_will_be_there(alice_client):
    page = soup(alice_client.get(PAGE))
    assert "Once you have gone live" in page.select_one("main").get_text()
    assert page.select_one("[data-totals='7'] [data-hours]").get_text() == "0.0"


def test_the_csv_has_every_broadcast_and_a_header_row(alice_client, alice):
    older = ended(alice.stream, 3, 1, average=2.5, peak_viewers=7)
    newer = ended(alice.stream, 1, 0.5, title="Newer, with a comma", chat_messages=4)
    response = alice_client.get(CSV)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="alice-analytics.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "broadcast", "title", "started_at", "ended_at", "duration_seconds", "peak_viewers",
        "average_viewers", "unique_viewers", "chat_messages", "chatters", "new_followers",
        "raids_in", "raids_out",
    ]  # fmt: skip
    assert [row[0] for row in rows[1:]] == [str(newer.pk), str(older.pk)]
    assert rows[1][1] == "Newer, with a comma"
    assert rows[1][4:] == ["1800.0", "0", "0.0", "0", "4", "0", "0", "0", "0"]
    assert rows[2][2] == older.started_at.isoformat()
    assert rows[2][5:7] == ["7", "2.5"]


@pytest.mark.parametrize("title", ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)"])
def test_a_title_a_spreadsheet_would_run_is_written_as_text(alice_client, alice, title):
    ended(alice.stream, 1, 1, title=title)
    rows = list(csv.reader(io.StringIO(alice_client.get(CSV).content.decode())))
    assert rows[1][1] == f"'{title}"


@pytest.mark.parametrize("path", [PAGE, CSV])
def test_another_user_gets_404_and_a_guest_is_sent_to_log_in(path, bob_client, client, alice):
    assert bob_client.get(path).status_code == 404
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_broadcasts_page_is_the_owners_only(alice_client, bob_client, alice, bob):
    mine = ended(alice.stream, 1, 1)
    theirs = ended(bob.stream, 1, 1)
    assert alice_client.get(f"/u/alice/analytics/{mine.pk}/").status_code in (200, 302)
    assert alice_client.get(f"/u/alice/analytics/{theirs.pk}/").status_code == 404
    assert bob_client.get(f"/u/alice/analytics/{mine.pk}/").status_code == 404


def test_the_page_and_the_csv_make_as_many_queries_whatever_the_number_of_broadcasts(
    alice_client, alice
):
    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert alice_client.get(path).status_code == 200
        return len(captured)

    ended(alice.stream, 1, 1)
    few = {path: queries(path) for path in (PAGE, CSV)}
    for day in range(2, 40):
        ended(alice.stream, day, 1, title=f"Run {day}")
    start = timezone.now() - timedelta(minutes=5)
    broadcast_of(alice.stream, start, None, title="On air")
    many = {path: queries(path) for path in (PAGE, CSV, PAGE + "?page=2")}
    # The live broadcast's figures are computed (five queries) whichever page is shown.
    assert many[PAGE] == many[PAGE + "?page=2"] == few[PAGE] + 5
    assert many[CSV] == few[CSV] + 5
