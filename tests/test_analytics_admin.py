"""The admin shows analytics' rows (visits, title changes, broadcasts' figures) to operators,
the figures read-only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from analytics.models import BroadcastStats, TitleChange, ViewerVisit
from tests.analytics_rows import broadcast_of
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client_for):
    return client_for(UserFactory(username="root", is_staff=True, is_superuser=True))


def test_operators_list_and_open_each_kind_of_row(admin_client, alice):
    now = timezone.now()
    visit = ViewerVisit.objects.create(
        stream=alice.stream, identity="guest-1#a", person="guest-1", joined_at=now
    )
    title = TitleChange.objects.create(stream=alice.stream, at=now, title="Any% practice")
    broadcast = broadcast_of(alice.stream, now - timedelta(hours=1), now)
    stats = BroadcastStats.objects.create(broadcast=broadcast, duration=3600, peak_viewers=9)
    for name, row in [("viewervisit", visit), ("titlechange", title), ("broadcaststats", stats)]:
        assert admin_client.get(f"/admin/analytics/{name}/").status_code == 200
        assert admin_client.get(f"/admin/analytics/{name}/{row.pk}/change/").status_code == 200


def test_a_broadcasts_figures_cannot_be_typed_in(admin_client, alice):
    now = timezone.now()
    broadcast = broadcast_of(alice.stream, now - timedelta(hours=1), now)
    stats = BroadcastStats.objects.create(broadcast=broadcast, duration=3600, peak_viewers=9)
    url = f"/admin/analytics/broadcaststats/{stats.pk}/change/"
    admin_client.post(url, {"peak_viewers": 1000})
    stats.refresh_from_db()
    assert stats.peak_viewers == 9
