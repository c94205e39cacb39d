"""The dashboard's Videos page: the host's broadcasts, each deletable at once with its
recording, and the channel's "Save past broadcasts" and retention settings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.utils import timezone

from tests.recordings import STORED_FILES, BroadcastFactory, ready_broadcast, stored_files
from videos.models import Broadcast, RecordingSettings

pytestmark = pytest.mark.django_db

PAGE = "/u/alice/videos/"


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def delete(client, broadcast, username: str = "alice"):
    return client.post(f"/u/{username}/videos/delete/", {"action": "delete", "id": broadcast.pk})


def test_the_host_sees_every_broadcast_with_its_state_date_duration_and_size(alice_client, alice):
    ended = timezone.now() - timedelta(days=1)
    BroadcastFactory(stream=alice.stream, title="Ready run", ended_at=ended, bytes_stored=2_500_000)
    BroadcastFactory(
        stream=alice.stream,
        title="Broken run",
        ended_at=ended - timedelta(days=1),
        state="failed",
        failure="VP8 from WHIP is not recorded",
        duration=None,
        bytes_stored=0,
    )
    live = BroadcastFactory(
        stream=alice.stream,
        title="Live now",
        ended_at=None,
        state="recording",
        duration=None,
        bytes_stored=0,
    )
    live.started_at = timezone.now()
    live.save()

    page = soup(alice_client.get(PAGE))
    assert page.title.get_text() == "Creator dashboard · Streamsite"
    nav = page.select_one(".dashboard-nav a[aria-current=page]")
    assert (nav.get_text(), nav["href"]) == ("Videos", PAGE)
    rows = page.select("tbody tr")
    titles = [row.td.get_text("|", strip=True).split("|")[0] for row in rows]
    assert titles == ["Live now", "Ready run", "Broken run"]
    states = [row.select_one("[data-state]").get_text() for row in rows]
    assert states == ["Recording", "Ready", "Failed"]
    assert rows[1].td.time["datetime"] == (ended - timedelta(hours=1)).isoformat()
    assert rows[1].select_one("[data-duration]").get_text() == "1:00:00"
    assert rows[1].select_one("[data-size]").get_text() == "2.4\xa0MB"
    assert rows[2].select_one("[data-duration]") is None  # nothing was recorded
    assert "VP8 from WHIP is not recorded" in rows[2].get_text()
    assert rows[0].select("td")[-1].get_text(strip=True) == "Live"  # not deletable yet
    assert rows[1].select_one("summary").get_text() == "Delete"


def test_the_host_deletes_a_broadcast_and_its_recording_at_once(
    alice_client, client, alice, bob, settings, tmp_path
):
    settings.RECORDINGS_SPOOL_DIR = tmp_path / "spool"
    broadcast = ready_broadcast(alice.stream)
    other = BroadcastFactory(stream=alice.stream)
    bobs = BroadcastFactory(stream=bob.stream)
    assert "index.m3u8" in stored_files(broadcast)
    assert client.get(f"/videos/{broadcast.pk}/").status_code == 200

    response = delete(alice_client, broadcast)
    assert response.status_code == 302
    assert response.url == PAGE
    assert "Deleted “Any% practice” and its recording." in alice_client.get(PAGE).text
    assert not Broadcast.objects.filter(pk=broadcast.pk).exists()
    assert stored_files(broadcast) == []
    assert not (settings.MEDIA_ROOT / broadcast.storage_folder).exists()
    assert client.get(f"/videos/{broadcast.pk}/").status_code == 404
    for kept in (other, bobs):
        assert stored_files(kept) == sorted(STORED_FILES)
        assert client.get(f"/videos/{kept.pk}/").status_code == 200


def test_nobody_else_can_delete_a_hosts_broadcast(bob_client, alice, bob):
    broadcast = BroadcastFactory(stream=alice.stream)
    assert delete(bob_client, broadcast).status_code == 404  # alice's dashboard: not bob's
    assert delete(bob_client, broadcast, username="bob").status_code == 404  # not his broadcast
    assert Broadcast.objects.filter(pk=broadcast.pk).exists()
    assert stored_files(broadcast) == sorted(STORED_FILES)


def test_a_guest_is_sent_to_log_in(client, alice):
    broadcast = BroadcastFactory(stream=alice.stream)
    for response in (client.get(PAGE), delete(client, broadcast)):
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/")
    assert Broadcast.objects.filter(pk=broadcast.pk).exists()


def test_deleting_needs_the_csrf_token(alice, alice_client):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    broadcast = BroadcastFactory(stream=alice.stream)
    assert delete(strict, broadcast).status_code == 403
    assert Broadcast.objects.filter(pk=broadcast.pk).exists()


def test_a_broadcast_still_live_is_not_deleted(alice_client, alice):
    live = BroadcastFactory(stream=alice.stream, ended_at=None, state="recording", files=False)
    response = delete(alice_client, live)
    assert response.status_code == 302
    assert "still live" in alice_client.get(PAGE).text
    assert Broadcast.objects.filter(pk=live.pk).exists()


def test_the_delete_form_asks_before_deleting(alice_client, alice):
    broadcast = BroadcastFactory(stream=alice.stream, title="Boss fight")
    page = soup(alice_client.get(PAGE))
    confirm = page.select_one("details.confirm-details")
    assert confirm.summary["aria-label"] == "Delete Boss fight"
    form = confirm.select_one("form")
    assert form["method"] == "post"
    assert form.select_one("input[name=csrfmiddlewaretoken]")
    assert form.select_one("input[name=id]")["value"] == str(broadcast.pk)
    assert form.button.get_text() == "Yes, delete"


def test_the_settings_start_at_the_defaults_and_are_saved(alice_client, alice):
    page = soup(alice_client.get(PAGE))
    assert page.select_one("#id_save_past_broadcasts").has_attr("checked")
    assert page.select_one("#id_retention_days")["value"] == "14"

    response = alice_client.post(
        "/u/alice/videos/settings/", {"action": "settings", "retention_days": "30"}
    )
    assert response.status_code == 302
    saved = RecordingSettings.objects.get(stream=alice.stream)
    assert (saved.save_past_broadcasts, saved.retention_days) == (False, 30)
    assert "Past broadcast settings saved." in alice_client.get(PAGE).text


@pytest.mark.parametrize("days", ["0", "366", "-1", "two weeks", ""])
def test_a_retention_out_of_1_to_365_days_is_refused_next_to_the_field(alice_client, alice, days):
    response = alice_client.post(
        "/u/alice/videos/settings/",
        {"action": "settings", "save_past_broadcasts": "on", "retention_days": days},
    )
    assert response.status_code == 400
    error = soup(response).select_one("#id_retention_days_error")
    assert error is not None and error.get_text(strip=True)
    assert not RecordingSettings.objects.filter(stream=alice.stream).exists()


def test_others_cannot_change_a_hosts_settings(bob_client, alice):
    response = bob_client.post("/u/alice/videos/settings/", {"retention_days": "1"})
    assert response.status_code == 404
    assert not RecordingSettings.objects.exists()
