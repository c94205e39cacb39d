"""Dashboard → Analytics → one broadcast (analytics/broadcast_page.py): its figures, the chart's
data and the same figures as a table, for the channel's owner only."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from analytics.models import BroadcastStats
from analytics.timeline import broadcast_timeline
from streams.models import ViewerSample
from tests.broadcast_rows import END, MINUTES, START, charted_broadcast
from tests.recordings import BroadcastFactory
from videos.models import Broadcast

pytestmark = pytest.mark.django_db


@pytest.fixture
def charted(alice):
    return charted_broadcast(alice)


def page_url(username: str, broadcast) -> str:
    return reverse("analytics_broadcast", args=[username, broadcast.pk])


def test_the_owner_sees_the_figures_the_chart_data_and_a_table_row_per_minute(
    alice_client, charted
):
    response = alice_client.get(page_url("alice", charted.broadcast))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 class="page-title">Speedrun night</h1>' in html
    assert re.search(r'data-figure="duration">9:40<', html)
    assert re.search(r'data-figure="peak_viewers">21<', html)
    assert re.search(r'data-figure="chat_messages">10<', html)
    assert re.search(r'data-figure="raids_in">1<', html)
    table = html.split("data-chart-table", 1)[1].split("</table>", 1)[0]
    assert table.count('<th scope="row">') == MINUTES
    assert "not counted" in table  # the minute without a sample says so rather than 0
    data = json.loads(re.search(r'id="chart-data"[^>]*>(.*?)</script>', html, re.S)[1])
    assert len(data["minutes"]) == MINUTES
    assert data["start"] == START.timestamp() and data["end"] == END.timestamp()


def test_titles_and_names_are_escaped_in_the_page_and_its_json(alice_client, charted):
    html = alice_client.get(page_url("alice", charted.broadcast)).content.decode()

    assert "Title: Boss fight &lt;3" in html
    assert "Boss fight <3" not in html
    assert "Title: Boss fight \\u003C3" in html  # json_script's escaping


def test_the_chart_is_an_image_with_a_summary_and_its_script_is_the_analytics_bundle(
    alice_client, charted
):
    html = alice_client.get(page_url("alice", charted.broadcast)).content.decode()

    label = re.search(r'data-chart role="img" aria-label="([^"]+)"', html)[1]
    assert "at most 21 viewers, 10 chat messages, 3 moments marked" in label
    assert 'src="/static/js/analytics.js"' in html
    assert 'href="/static/js/analytics.css"' in html


def test_another_user_gets_404_even_for_their_own_username_in_the_url(bob_client, charted):
    assert bob_client.get(page_url("alice", charted.broadcast)).status_code == 404
    assert bob_client.get(page_url("bob", charted.broadcast)).status_code == 404


def test_the_owner_gets_404_for_another_channels_broadcast_or_one_that_does_not_exist(
    alice_client, bob
):
    bobs = BroadcastFactory(stream=bob.stream, files=False)

    assert alice_client.get(page_url("alice", bobs)).status_code == 404
    missing = reverse("analytics_broadcast", args=["alice", bobs.pk + 1000])
    assert alice_client.get(missing).status_code == 404


def test_a_guest_is_sent_to_log_in(guest_client, charted):
    url = page_url("alice", charted.broadcast)

    response = guest_client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_page_only_answers_get(alice_client, charted):
    assert alice_client.post(page_url("alice", charted.broadcast)).status_code == 405


def test_the_page_takes_the_same_queries_however_long_the_broadcast(alice_client, charted):
    long = BroadcastFactory(
        stream=charted.broadcast.stream,
        started_at=END + timedelta(hours=1),
        ended_at=END + timedelta(hours=5),
        files=False,
    )
    ViewerSample.objects.bulk_create(
        ViewerSample(stream=long.stream, at=long.started_at + timedelta(seconds=15 * i), viewers=i)
        for i in range(4 * 240)
    )
    counts = []
    for broadcast in (charted.broadcast, long):
        with CaptureQueriesContext(connection) as queries:
            assert alice_client.get(page_url("alice", broadcast)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 12


def test_figures_the_timeline_cannot_tell_are_left_out_until_stored_and_then_shown(
    alice_client, charted
):
    url = page_url("alice", charted.broadcast)
    assert "Unique viewers" not in alice_client.get(url).content.decode()

    figures = broadcast_timeline(charted.broadcast).figures
    BroadcastStats.objects.create(
        broadcast=charted.broadcast,
        duration=figures.duration,
        peak_viewers=figures.peak_viewers,
        average_viewers=figures.average_viewers,
        unique_viewers=7,
        chat_messages=figures.chat_messages,
        chatters=3,
        new_followers=2,
    )
    html = alice_client.get(url).content.decode()
    for name, value in [("unique_viewers", 7), ("chatters", 3), ("new_followers", 2)]:
        assert f'data-figure="{name}">{value}<' in html


def test_a_live_broadcast_shows_its_figures_so_far(alice_client, alice):
    broadcast = BroadcastFactory(
        stream=alice.stream,
        started_at=timezone.now() - timedelta(minutes=3),
        ended_at=None,
        state=Broadcast.State.RECORDING,
        files=False,
    )

    html = alice_client.get(page_url("alice", broadcast)).content.decode()

    assert "live now" in html
    table = html.split("data-chart-table", 1)[1].split("</table>", 1)[0]
    assert table.count('<th scope="row">') in (4, 5)  # the minute it began to the current one
