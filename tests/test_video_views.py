"""A channel's past broadcasts for viewers: the Videos page, the player page with its chat
replay, the replay's messages, and the channel page's links to them. The channel's rules
hold: a viewer the host blocked finds none of it."""

from __future__ import annotations

import mimetypes
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.apps import apps
from django.utils import timezone
from django.views.static import serve

from tests.factories import UserFactory
from tests.recordings import BroadcastFactory, ready_broadcast, said_during

pytestmark = pytest.mark.django_db


def soup(response) -> BeautifulSoup:
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def hours_ago(hours: float):
    return timezone.now() - timedelta(hours=hours)


@pytest.fixture
def alice_videos(alice, bob):
    """alice's broadcasts: two watchable ones and some that are not (yet); one of bob's."""
    return {
        "older": BroadcastFactory(stream=alice.stream, title="Older run", ended_at=hours_ago(48)),
        "newer": BroadcastFactory(stream=alice.stream, title="Newer run", ended_at=hours_ago(2)),
        "failed": BroadcastFactory(
            stream=alice.stream, title="Failed", ended_at=hours_ago(1), state="failed"
        ),
        "processing": BroadcastFactory(
            stream=alice.stream, title="Processing", ended_at=hours_ago(0.1), state="processing"
        ),
        "unrecorded": BroadcastFactory(
            stream=alice.stream, title="Unrecorded", ended_at=hours_ago(3), state="not_recorded"
        ),
        "bobs": BroadcastFactory(stream=bob.stream, title="Bob's run"),
    }


def test_the_videos_page_lists_the_watchable_broadcasts_newest_first(client, alice_videos):
    page = soup(client.get("/alice/videos/"))
    assert page.title.get_text() == "alice's videos · Streamsite"
    assert page.h1.get_text() == "alice's past broadcasts"
    cards = page.select(".card-grid .card")
    assert [card.select_one(".card-title").get_text() for card in cards] == [
        "Newer run",
        "Older run",
    ]
    newer = alice_videos["newer"]
    assert cards[0].a["href"] == f"/videos/{newer.pk}/"
    assert cards[0].img["src"] == f"/media/broadcasts/{newer.pk}/thumbnail.jpg"
    assert cards[0].select_one(".badge-duration").get_text() == "Length 1:00:00"
    assert cards[0].time["datetime"] == newer.started_at.isoformat()


def test_a_channel_without_videos_says_so(client, alice):
    page = soup(client.get("/alice/videos/"))
    assert page.select(".card") == []
    assert "alice has no past broadcasts to watch." in page.get_text()


def test_an_unknown_channel_has_no_videos_page(client, db):
    assert client.get("/nobody-here/videos/").status_code == 404


def test_a_blocked_viewer_gets_404_on_the_videos_and_the_video_page(
    carol_client, bob_client, alice_videos
):
    newer = alice_videos["newer"]
    for url in ["/alice/videos/", f"/videos/{newer.pk}/"]:
        assert carol_client.get(url).status_code == 404, url
        assert bob_client.get(url).status_code == 200, url
    response = carol_client.get(f"/api/videos/{newer.pk}/chat?from=0&to=60")
    assert response.status_code == 403
    assert response.json()["code"] == "blocked"


@pytest.mark.parametrize("which", ["failed", "processing", "unrecorded"])
def test_a_broadcast_that_cannot_be_watched_has_no_page(client, alice_videos, which):
    broadcast = alice_videos[which]
    assert client.get(f"/videos/{broadcast.pk}/").status_code == 404
    response = client.get(f"/api/videos/{broadcast.pk}/chat?from=0&to=60")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "No such video."}


def test_the_video_page_has_the_player_a_speed_choice_and_the_chat_replay(client, alice_videos):
    newer = alice_videos["newer"]
    page = soup(client.get(f"/videos/{newer.pk}/"))
    assert page.title.get_text() == "Newer run · alice · Streamsite"
    assert page.h1.get_text() == "Newer run"
    video = page.select_one("video[data-video]")
    assert video.has_attr("controls")
    assert video["poster"] == f"/media/broadcasts/{newer.pk}/thumbnail.jpg"
    speed = page.select_one("select#video-speed")
    assert page.select_one("label[for=video-speed]").get_text() == "Speed"
    assert [o["value"] for o in speed.select("option")] == ["0.5", "0.75", "1", "1.25", "1.5", "2"]
    assert speed.select_one("option[selected]")["value"] == "1"
    assert page.select_one("#replay-heading").get_text() == "Chat replay"
    assert page.select_one("script[src$='js/video.js']")["type"] == "module"
    data = page.select_one("#video-data").get_text()
    assert f'"playlist": "/media/broadcasts/{newer.pk}/index.m3u8"' in data
    assert f'"url": "/api/videos/{newer.pk}/chat"' in data


def test_the_channel_page_links_to_its_videos_and_offline_to_the_last_broadcast(
    client, alice_videos
):
    page = soup(client.get("/alice/"))
    assert page.select_one(".channel-header a[href='/alice/videos/']").get_text() == "Videos"
    last = page.select_one(".player-offline a[data-last-video]")
    assert last.get_text() == "Watch the last broadcast"
    assert last["href"] == f"/videos/{alice_videos['newer'].pk}/"


def test_a_channel_without_videos_offers_no_last_broadcast(client, alice):
    page = soup(client.get("/alice/"))
    assert page.select_one("[data-last-video]") is None


def test_the_videos_route_does_not_shadow_the_admins_page_of_the_videos_app(client, alice):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert client.get("/admin/videos/").status_code == 200


# -------------------------------------------------------------------- the replay's messages


@pytest.fixture
def recorded(alice, settings, tmp_path):
    settings.RECORDINGS_SPOOL_DIR = tmp_path / "spool"
    return ready_broadcast(alice.stream, parts=(4,))


def test_the_replay_gives_each_message_its_time_on_the_video(client, alice, recorded):
    said_during(recorded, 1.5, alice, "<b>hello</b>")
    said_during(recorded, 3, alice, "deleted", is_deleted=True)
    response = client.get(f"/api/videos/{recorded.pk}/chat?from=0&to=60")
    assert response.status_code == 200
    [message] = response.json()["messages"]
    assert message["text"] == "<b>hello</b>"  # text: the page shows it as text
    assert message["t"] == pytest.approx(1.5, abs=0.01)
    assert message["user"]["name"] == "alice"
    assert message["user"]["color"].startswith("hsl(")
    assert response.json()["more"] is False


@pytest.mark.parametrize(
    "query",
    ["", "from=0", "from=a&to=60", "from=-1&to=60", "from=60&to=60", "from=0&to=601",
     "from=nan&to=1", "from=0&to=inf", "from=0&to=60&after=x"],
)  # fmt: skip
def test_the_replay_refuses_a_window_it_cannot_read(client, alice_videos, query):
    response = client.get(f"/api/videos/{alice_videos['newer'].pk}/chat?{query}")
    assert response.status_code == 400
    assert response.json()["code"] in {"bad_window", "bad_after"}


@pytest.fixture
def system_mimetypes(tmp_path):
    """A system type table (/etc/mime.types) that names the HLS files otherwise, as some do."""
    table = tmp_path / "mime.types"
    table.write_text("audio/x-mpegurl m3u8\napplication/octet-stream m4s\n")
    mimetypes.init(files=[str(table)])
    yield
    mimetypes.init()


def test_django_serving_media_gives_the_hls_files_types_players_accept(
    system_mimetypes, settings, rf
):
    apps.get_app_config("videos").ready()  # as when the site starts, after the table is read
    folder = settings.MEDIA_ROOT / "broadcasts" / "1"
    folder.mkdir(parents=True)
    for name, content_type in [
        ("index.m3u8", "application/vnd.apple.mpegurl"),
        ("seg-00001.m4s", "video/iso.segment"),
        ("init.mp4", "video/mp4"),
    ]:
        (folder / name).write_bytes(b"x")
        response = serve(rf.get("/"), f"broadcasts/1/{name}", document_root=settings.MEDIA_ROOT)
        assert response["Content-Type"] == content_type, name
