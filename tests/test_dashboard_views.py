"""The creator dashboard: access, stream title, thumbnail, profile, chat settings,
community and keys pages."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from accounts.images import reencode_stored_images
from streams.models import ChatBan, ModerationAction, Stream
from tests.conftest import image_bytes
from tests.factories import BlockFactory, ModeratorFactory, UserFactory

pytestmark = pytest.mark.django_db

DASHBOARD_PAGES = [
    "/u/alice/",
    "/u/alice/keys/",
    "/u/alice/chat/",
    "/u/alice/community/",
    "/u/alice/videos/",
    "/u/alice/moderation/",
]


@pytest.mark.parametrize("url", DASHBOARD_PAGES)
def test_anonymous_visitors_are_sent_to_log_in(guest_client, alice, url):
    response = guest_client.get(url)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=")


@pytest.mark.parametrize("url", DASHBOARD_PAGES)
def test_other_users_get_a_404(bob_client, url):
    assert bob_client.get(url).status_code == 404


@pytest.mark.parametrize("url", ["/u/alice/title/", "/u/alice/chat/"])
def test_other_users_cannot_change_anything(bob_client, url):
    data = {"action": "title", "title-title": "pwned", "followers_only_minutes": "0"}
    assert bob_client.post(url, data).status_code == 404
    stream = Stream.objects.get(user__username="alice")
    assert (stream.title, stream.is_chat_enabled) == ("alice's stream", True)


@pytest.mark.parametrize("url", DASHBOARD_PAGES)
def test_the_owner_sees_every_page(alice_client, url):
    response = alice_client.get(url)
    assert response.status_code == 200
    assert "Creator dashboard" in response.content.decode()


def test_the_stream_page_shows_the_channel_as_the_host_sees_it(alice_client):
    soup = BeautifulSoup(alice_client.get("/u/alice/").content, "html.parser")
    assert "alice is offline" in soup.select_one(".player").get_text(" ", strip=True)
    assert soup.select_one(".channel-actions button") is None  # no Follow on your own channel


def test_the_stream_page_of_a_live_stream_says_live_for_how_long_and_never_offline(
    alice_client, alice
):
    went_live = timezone.now() - timedelta(hours=1, minutes=23, seconds=45)
    Stream.objects.filter(user=alice).update(
        is_live=True, live_changed_at=went_live, last_live_at=went_live
    )
    soup = BeautifulSoup(alice_client.get("/u/alice/").content, "html.parser")
    assert "hidden" in soup.select_one("[data-player-offline]").attrs
    assert "hidden" not in soup.select_one("[data-live-badge]").attrs
    assert "hidden" in soup.select_one("[data-offline-badge]").attrs
    uptime = soup.select_one("[data-uptime]")
    assert "hidden" not in uptime.attrs
    assert re.fullmatch(r"Live for 1:23:4[5-9]", uptime.get_text(" ", strip=True))
    assert uptime.select_one("time")["datetime"] == went_live.isoformat()
    assert "hidden" in soup.select_one("[data-last-live]").attrs
    # The preview is the channel's player: the page script joins the room for the live
    # state and the viewer count.
    assert json.loads(soup.select_one("#channel-data").string)["host"]["username"] == "alice"
    assert soup.select_one("script[src$='js/channel.js']")


def test_the_stream_page_of_an_offline_stream_says_when_it_was_last_live(alice_client, alice):
    ended = timezone.now() - timedelta(hours=3, minutes=5)
    Stream.objects.filter(user=alice).update(
        is_live=False, last_live_at=ended - timedelta(hours=2), live_changed_at=ended
    )
    soup = BeautifulSoup(alice_client.get("/u/alice/").content, "html.parser")
    assert "hidden" not in soup.select_one("[data-player-offline]").attrs
    assert "hidden" not in soup.select_one("[data-offline-badge]").attrs
    assert "hidden" in soup.select_one("[data-live-badge]").attrs
    assert "hidden" in soup.select_one("[data-uptime]").attrs
    assert soup.select_one("[data-last-live]").get_text(strip=True) == "Last live 3\xa0hours ago"


def test_the_stream_page_of_a_stream_never_live_says_so(alice_client, alice):
    Stream.objects.filter(user=alice).update(last_live_at=None, live_changed_at=None)
    soup = BeautifulSoup(alice_client.get("/u/alice/").content, "html.parser")
    assert soup.select_one("[data-last-live]").get_text(strip=True) == "Not live yet"


def test_the_owner_changes_the_title(alice_client, alice):
    response = alice_client.post(
        "/u/alice/title/", {"action": "title", "title-title": "  New title "}
    )
    assert response.status_code == 302
    assert Stream.objects.get(user=alice).title == "New title"
    assert "Stream title saved." in alice_client.get(response.url).content.decode()


@pytest.mark.parametrize("title", ["", "   ", "x" * 101])
def test_a_bad_title_shows_a_field_error_and_changes_nothing(alice_client, alice, title):
    response = alice_client.post("/u/alice/title/", {"action": "title", "title-title": title})
    assert response.status_code == 400
    assert response.context["title_form"].errors["title"]
    assert Stream.objects.get(user=alice).title == "alice's stream"


def upload_thumbnail(client, upload):
    return client.post(
        "/u/alice/thumbnail/", {"action": "thumbnail", "thumbnail-thumbnail": upload}
    )


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_the_owner_uploads_a_thumbnail(alice_client, alice, image_format):
    name = f"thumb.{image_format.lower()}"
    upload = SimpleUploadedFile(name, image_bytes(image_format), "application/octet-stream")
    response = upload_thumbnail(alice_client, upload)
    assert response.status_code == 302
    stream = Stream.objects.get(user=alice)
    assert stream.thumbnail.name.startswith(f"thumbnails/{alice.pk}/")
    assert stream.thumbnail.storage.exists(stream.thumbnail.name)


def test_a_non_image_thumbnail_is_refused_with_nothing_saved(alice_client, alice, settings):
    upload = SimpleUploadedFile("thumb.png", b"not an image at all", "image/png")
    response = upload_thumbnail(alice_client, upload)
    assert response.status_code == 400
    assert "Upload a valid image" in str(response.context["thumbnail_form"].errors)
    assert not Stream.objects.get(user=alice).thumbnail
    assert not (settings.MEDIA_ROOT / "thumbnails").exists()


def test_a_gif_thumbnail_is_refused(alice_client, alice):
    upload = SimpleUploadedFile("thumb.gif", image_bytes("GIF"), "image/gif")
    response = upload_thumbnail(alice_client, upload)
    assert response.status_code == 400
    assert "JPEG, PNG or WebP" in str(response.context["thumbnail_form"].errors)
    assert not Stream.objects.get(user=alice).thumbnail


def test_an_oversized_thumbnail_is_refused_with_nothing_saved(alice_client, alice, settings):
    big = image_bytes("PNG") + b"\0" * (4 * 1024 * 1024)
    upload = SimpleUploadedFile("big.png", big, "image/png")
    response = upload_thumbnail(alice_client, upload)
    assert response.status_code == 400
    assert "limit is 4 MB" in str(response.context["thumbnail_form"].errors)
    assert not Stream.objects.get(user=alice).thumbnail
    assert not (settings.MEDIA_ROOT / "thumbnails").exists()


def test_the_owner_replaces_and_removes_the_thumbnail(
    alice_client, alice, django_capture_on_commit_callbacks
):
    # Replaced files are deleted once the transaction commits.
    for _ in range(2):
        upload = SimpleUploadedFile("t.png", image_bytes(), "image/png")
        with django_capture_on_commit_callbacks(execute=True):
            upload_thumbnail(alice_client, upload)
    stream = Stream.objects.get(user=alice)
    storage, name = stream.thumbnail.storage, stream.thumbnail.name
    assert len(storage.listdir(f"thumbnails/{alice.pk}")[1]) == 1  # the old file is gone
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post("/u/alice/thumbnail/remove/", {"action": "remove_thumbnail"})
    assert not Stream.objects.get(user=alice).thumbnail
    assert not storage.exists(name)


def test_the_thumbnail_shows_on_the_home_page(alice_client, guest_client, alice):
    upload = SimpleUploadedFile("t.png", image_bytes(), "image/png")
    upload_thumbnail(alice_client, upload)
    soup = BeautifulSoup(guest_client.get("/").content, "html.parser")
    img = soup.select_one(".card-thumb img")
    assert img["src"] == Stream.objects.get(user=alice).thumbnail.url
    assert img["alt"] == "Thumbnail of alice's stream"


def test_the_owner_edits_the_bio_and_uploads_an_avatar(alice_client, alice, guest_client):
    upload = SimpleUploadedFile("a.png", image_bytes(), "image/png")
    response = alice_client.post(
        "/u/alice/profile/",
        {"action": "profile", "profile-bio": "Now with speedruns", "profile-avatar": upload},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.bio == "Now with speedruns"
    assert alice.avatar
    soup = BeautifulSoup(guest_client.get("/alice/").content, "html.parser")
    assert soup.select_one(".channel-identity .avatar img")["src"] == alice.avatar.url


def test_a_bio_over_300_characters_is_refused(alice_client, alice):
    response = alice_client.post(
        "/u/alice/profile/", {"action": "profile", "profile-bio": "x" * 301}
    )
    assert response.status_code == 400
    assert response.context["profile_form"].errors["bio"]
    alice.refresh_from_db()
    assert alice.bio == "Speedruns and retro games."


def test_dashboard_forms_enforce_csrf(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert (
        client.post("/u/alice/title/", {"action": "title", "title-title": "x"}).status_code == 403
    )
    assert client.post("/u/alice/chat/", {"is_chat_enabled": ""}).status_code == 403
    assert Stream.objects.get(user=alice).title == "alice's stream"


def test_the_owner_saves_chat_settings(alice_client, alice):
    response = alice_client.post(
        "/u/alice/chat/",
        {
            "slow_mode_seconds": "30",
            "followers_only_minutes": "1440",
            "is_chat_signed_in_only": "on",
        },
    )
    assert response.status_code == 302
    stream = Stream.objects.get(user=alice)
    assert (
        stream.is_chat_enabled,
        stream.slow_mode_seconds,
        stream.followers_only_minutes,
        stream.is_chat_signed_in_only,
    ) == (False, 30, 1440, True)
    content = alice_client.get(response.url).content.decode()
    assert "Chat settings saved." in content


def test_followers_only_off_is_saved_as_no_restriction(alice_client, alice):
    Stream.objects.filter(user=alice).update(followers_only_minutes=60)
    alice_client.post("/u/alice/chat/", {"is_chat_enabled": "on", "slow_mode_seconds": "0"})
    assert Stream.objects.get(user=alice).followers_only_minutes is None


@pytest.mark.parametrize(
    ("field", "value"), [("slow_mode_seconds", "7"), ("followers_only_minutes", "5")]
)
def test_chat_settings_outside_the_choices_are_refused_next_to_the_field(
    alice_client, alice, field, value
):
    data = {"slow_mode_seconds": "3", "followers_only_minutes": "", field: value}
    response = alice_client.post("/u/alice/chat/", data)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert Stream.objects.get(user=alice).slow_mode_seconds == 0


def test_the_chat_page_shows_two_switches_and_two_choices(alice_client):
    soup = BeautifulSoup(alice_client.get("/u/alice/chat/").content, "html.parser")
    labels = [label.get_text(strip=True) for label in soup.select("form label.switch")]
    assert labels == ["Enable chat", "Only signed-in viewers can chat"]
    slow = [o.get_text(strip=True) for o in soup.select("select[name=slow_mode_seconds] option")]
    assert slow == [
        "Off",
        "3 seconds",
        "5 seconds",
        "10 seconds",
        "30 seconds",
        "1 minute",
        "2 minutes",
    ]
    ages = [o["value"] for o in soup.select("select[name=followers_only_minutes] option")]
    assert ages == ["", "0", "10", "60", "1440", "10080", "43200"]


def test_the_community_page_lists_blocked_users_with_unblock(alice_client, carol):
    soup = BeautifulSoup(alice_client.get("/u/alice/community/").content, "html.parser")
    rows = soup.select("table tbody tr")
    assert len(rows) == 1
    assert "carol" in rows[0].get_text()
    assert rows[0].select_one("form")["action"] == "/carol/unblock/"
    assert rows[0].select_one("time")


def test_the_community_page_filters_and_paginates(alice_client, alice, carol):
    for n in range(25):
        BlockFactory(blocker=alice, blocked=UserFactory(username=f"troll{n:02d}"))
    first = BeautifulSoup(alice_client.get("/u/alice/community/").content, "html.parser")
    assert len(first.select("table tbody tr")) == 20
    assert first.select_one(".pagination a[rel=next]")["href"] == "?page=2"
    second = BeautifulSoup(alice_client.get("/u/alice/community/?page=2").content, "html.parser")
    assert len(second.select("table tbody tr")) == 6
    filtered = BeautifulSoup(alice_client.get("/u/alice/community/?q=CAR").content, "html.parser")
    assert [
        r.select_one(".table-user").get_text(strip=True) for r in filtered.select("tbody tr")
    ] == ["CAcarol"]


def test_the_community_page_says_when_nobody_is_blocked(client_for):
    dave = UserFactory(username="dave")
    content = client_for(dave).get("/u/dave/community/").content.decode()
    assert "You have not blocked anyone." in content


def test_the_keys_page_explains_the_obs_setup(alice_client):
    content = alice_client.get("/u/alice/keys/").content.decode()
    assert "Settings → Stream" in content
    assert "Custom" in content


def stored_image(field) -> Image.Image:
    with field.storage.open(field.name) as file:
        image = Image.open(file)
        image.load()
    return image


def test_a_thumbnail_is_stored_at_most_1280x720_and_re_encoded(alice_client, alice):
    upload = SimpleUploadedFile("t.png", image_bytes("PNG", (3000, 2000)), "image/png")
    assert upload_thumbnail(alice_client, upload).status_code == 302
    thumbnail = Stream.objects.get(user=alice).thumbnail
    image = stored_image(thumbnail)
    assert (image.format, image.size) == ("WEBP", (1080, 720))  # aspect ratio kept
    assert thumbnail.name.endswith(".webp")


def test_a_small_thumbnail_is_not_enlarged(alice_client, alice):
    upload = SimpleUploadedFile("t.jpg", image_bytes("JPEG", (320, 180)), "image/jpeg")
    upload_thumbnail(alice_client, upload)
    assert stored_image(Stream.objects.get(user=alice).thumbnail).size == (320, 180)


def test_an_avatar_is_stored_as_a_256_square(alice_client, alice):
    upload = SimpleUploadedFile("a.png", image_bytes("PNG", (900, 600)), "image/png")
    response = alice_client.post(
        "/u/alice/profile/", {"action": "profile", "profile-avatar": upload}
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    image = stored_image(alice.avatar)
    assert (image.format, image.size) == ("WEBP", (256, 256))


def test_uploads_lose_their_camera_metadata_and_are_turned_upright(alice_client, alice):
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the camera was turned, show it rotated 90°
    exif[0x010F] = "SecretCam"  # make
    buffer = io.BytesIO()
    Image.new("RGB", (400, 200), (10, 200, 10)).save(buffer, "JPEG", exif=exif)
    upload = SimpleUploadedFile("t.jpg", buffer.getvalue(), "image/jpeg")
    upload_thumbnail(alice_client, upload)
    image = stored_image(Stream.objects.get(user=alice).thumbnail)
    assert image.size == (200, 400)
    assert not image.getexif()


@pytest.mark.parametrize("field", ["thumbnail", "avatar"])
def test_an_image_of_too_many_pixels_is_refused_with_nothing_saved(
    alice_client, alice, settings, field
):
    # 144 megapixels of one colour compress to a few hundred kB: under the byte limits.
    big = image_bytes("PNG", (12000, 12000))
    assert len(big) < 2 * 1024 * 1024
    upload = SimpleUploadedFile("big.png", big, "image/png")
    if field == "thumbnail":
        response = upload_thumbnail(alice_client, upload)
        errors = response.context["thumbnail_form"].errors
    else:
        data = {"action": "profile", "profile-avatar": upload}
        response = alice_client.post("/u/alice/profile/", data)
        errors = response.context["profile_form"].errors
    assert response.status_code == 400
    assert "12000 x 12000 pixels; the limit is 40 megapixels" in str(errors)
    alice.refresh_from_db()
    assert not alice.avatar and not alice.stream.thumbnail
    assert not settings.MEDIA_ROOT.exists() or not any(settings.MEDIA_ROOT.rglob("*.*"))


def test_images_stored_before_shrinking_are_re_encoded(alice, settings):
    raw = f"thumbnails/{alice.pk}/raw.png"
    (settings.MEDIA_ROOT / raw).parent.mkdir(parents=True)
    (settings.MEDIA_ROOT / raw).write_bytes(image_bytes("PNG", (2560, 1440)))
    Stream.objects.filter(user=alice).update(thumbnail=raw)
    reencode_stored_images(Stream, "thumbnail")
    thumbnail = Stream.objects.get(user=alice).thumbnail
    assert thumbnail.name != raw
    assert stored_image(thumbnail).size == (1280, 720)
    assert not (settings.MEDIA_ROOT / raw).exists()


def test_replacing_and_removing_the_avatar_deletes_the_old_files(
    alice_client, alice, django_capture_on_commit_callbacks
):
    for _ in range(2):
        upload = SimpleUploadedFile("a.png", image_bytes(), "image/png")
        with django_capture_on_commit_callbacks(execute=True):
            alice_client.post("/u/alice/profile/", {"action": "profile", "profile-avatar": upload})
    alice.refresh_from_db()
    storage, name = alice.avatar.storage, alice.avatar.name
    assert storage.listdir(f"avatars/{alice.pk}")[1] == [name.rsplit("/", 1)[1]]
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post("/u/alice/profile/", {"action": "profile", "profile-remove_avatar": "on"})
    alice.refresh_from_db()
    assert not alice.avatar
    assert not storage.exists(name)


# ---------------------------------------------------------------- moderation page


@pytest.mark.parametrize("url", DASHBOARD_PAGES[:-1])
def test_a_moderator_cannot_reach_the_hosts_dashboard(client_for, alice, url):
    mod = ModeratorFactory(host=alice, user=UserFactory(username="mod")).user
    client = client_for(mod)
    assert client.get(url).status_code == 404
    data = {"slow_mode_seconds": "120", "action": "add", "username": "mod"}
    assert client.post(url, data).status_code in {404, 405}  # the community page is GET only
    assert Stream.objects.get(user=alice).slow_mode_seconds == 0
    assert list(alice.moderators.values_list("user__username", flat=True)) == ["mod"]


def test_the_host_appoints_a_moderator_by_username(alice_client, alice, bob):
    response = alice_client.post("/u/alice/moderation/add/", {"action": "add", "username": "BOB"})
    assert response.status_code == 302
    assert list(alice.moderators.values_list("user__username", flat=True)) == ["bob"]
    page = alice_client.get(response.url).content.decode()
    assert "bob is now a moderator." in page
    assert 'aria-label="Remove bob as moderator"' in page


@pytest.mark.parametrize(
    ("username", "error"),
    [
        ("nobody", "No user is called “nobody”."),
        ("alice", "You moderate your own chat already."),
        ("carol", "You blocked carol: unblock them first."),
        ("bob", "bob is a moderator already."),
        ("", "This field is required."),
    ],
)
def test_appointing_a_moderator_shows_why_not_next_to_the_field(
    alice_client, alice, bob, carol, username, error
):
    ModeratorFactory(host=alice, user=bob)
    response = alice_client.post(
        "/u/alice/moderation/add/", {"action": "add", "username": username}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["username"] == [error]
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.select_one(".field-error .error").get_text() == error
    assert list(alice.moderators.values_list("user__username", flat=True)) == ["bob"]


def test_the_host_removes_a_moderator_and_it_is_logged(alice_client, alice, bob):
    moderator = ModeratorFactory(host=alice, user=bob)
    response = alice_client.post(
        "/u/alice/moderation/remove/", {"action": "remove", "id": moderator.pk}
    )
    assert response.status_code == 302
    assert not alice.moderators.exists()
    assert list(ModerationAction.objects.values_list("action", "target_name")) == [
        ("mod_remove", "bob")
    ]


def test_the_host_lifts_a_timeout_early(alice_client, alice, bob):
    Stream.objects.filter(user=alice).update(is_live=True)
    alice_client.post(
        f"/api/stream/{alice.pk}/timeout",
        {"person": str(bob.pk), "seconds": "3600"},
    )
    page = BeautifulSoup(alice_client.get("/u/alice/moderation/").content, "html.parser")
    [lift] = page.select("form:has(input[value=lift])")
    ban_id = lift.select_one("input[name=id]")["value"]
    response = alice_client.post("/u/alice/moderation/lift/", {"action": "lift", "id": ban_id})
    assert response.status_code == 302
    assert not ChatBan.objects.exists()
    assert Client().get("/alice/").status_code == 200


def test_one_host_cannot_remove_or_lift_anothers(alice_client, client_for, alice, bob):
    dave = UserFactory(username="dave")
    moderator = ModeratorFactory(host=dave, user=bob)
    ban = ChatBan.objects.create(host=dave, kind="ban", guest_identity="guest-" + "a" * 32)
    alice_client.post("/u/alice/moderation/remove/", {"action": "remove", "id": moderator.pk})
    alice_client.post("/u/alice/moderation/lift/", {"action": "lift", "id": ban.pk})
    assert dave.moderators.exists() and ChatBan.objects.filter(pk=ban.pk).exists()


@pytest.mark.parametrize("row_id", ["", "abc", "-1", "9" * 30, "1\x00"])
@pytest.mark.parametrize("action", ["remove", "lift"])
def test_removing_or_lifting_an_unknown_row_changes_nothing(alice_client, alice, action, row_id):
    response = alice_client.post(f"/u/alice/moderation/{action}/", {"action": action, "id": row_id})
    assert response.status_code == 302
    assert not ModerationAction.objects.exists()


def test_the_moderation_page_escapes_names_and_messages(alice_client, alice):
    ModerationAction.objects.create(
        host=alice,
        actor_name="mod",
        action="delete",
        target_name="<b>x</b>",
        detail="<script>alert(1)</script>",
    )
    content = alice_client.get("/u/alice/moderation/").content.decode()
    assert "<script>alert(1)" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


def ban_rows(client) -> dict:
    page = BeautifulSoup(client.get("/u/alice/moderation/").content, "html.parser")
    rows = page.select("section[aria-labelledby=bans-heading] tbody tr")
    return {
        row.td.get_text(" ", strip=True): row.select_one("input[name=id]")["value"] for row in rows
    }


def test_a_moderator_sees_the_channels_timeouts_and_bans_and_lifts_them(
    alice_client, mod_client, alice, bob, carol
):
    Stream.objects.filter(user=alice).update(is_live=True)
    guest = "guest-" + "a" * 32
    ChatBan.objects.create(host=alice, kind="ban", guest_identity=guest, name="guest-12345")
    api = f"/api/stream/{alice.pk}"
    mod_client.post(f"{api}/timeout", {"person": str(bob.pk), "seconds": "3600"})
    alice_client.post(f"{api}/ban", {"person": str(UserFactory(username="dave").pk)})
    rows = ban_rows(mod_client)
    assert set(rows) == {"bob", "dave", "guest-12345 (guest)"}  # not carol, blocked by alice
    for row_id in rows.values():
        response = mod_client.post("/u/alice/moderation/lift/", {"action": "lift", "id": row_id})
        assert response.status_code == 302
    assert not ChatBan.objects.exists()
    assert not alice.blocking_set.filter(blocked__username="dave").exists()  # the ban was a block
    assert alice.blocking_set.filter(blocked=carol).exists()
    lifts = ModerationAction.objects.filter(action="lift").values_list("actor_name", "target_name")
    assert sorted(lifts) == [("mod", "bob"), ("mod", "dave"), ("mod", "guest-12345")]


def test_a_moderator_sees_neither_the_moderators_nor_the_log_and_cannot_change_them(
    mod_client, alice, bob
):
    ModerationAction.objects.create(
        host=alice, actor_name="alice", action="delete", target_name="x"
    )
    page = mod_client.get("/u/alice/moderation/")
    assert page.status_code == 200
    soup = BeautifulSoup(page.content, "html.parser")
    assert soup.select("#bans-heading") and not soup.select("#moderators-heading, #log-heading")
    assert [a.get_text() for a in soup.select(".dashboard-nav a")] == ["Moderation", "View channel"]
    moderator = alice.moderators.get()
    for data in [{"action": "add", "username": "bob"}, {"action": "remove", "id": moderator.pk}]:
        assert mod_client.post(f"/u/alice/moderation/{data['action']}/", data).status_code == 404
    assert list(alice.moderators.values_list("user__username", flat=True)) == ["mod"]


def test_a_moderator_cannot_lift_a_timeout_the_host_gave_another_moderator(
    alice_client, mod_client, alice
):
    Stream.objects.filter(user=alice).update(is_live=True)
    other = ModeratorFactory(host=alice, user=UserFactory(username="othermod")).user
    alice_client.post(f"/api/stream/{alice.pk}/timeout", {"person": str(other.pk), "seconds": 60})
    [row_id] = ban_rows(mod_client).values()
    response = mod_client.post(
        "/u/alice/moderation/lift/", {"action": "lift", "id": row_id}, follow=True
    )
    assert "Moderators cannot act on another moderator." in response.content.decode()
    assert ChatBan.objects.exists()


def test_a_moderator_of_another_channel_and_a_guest_get_nothing(client_for, alice, bob):
    dave = UserFactory(username="dave")
    ModeratorFactory(host=dave, user=bob)
    ban = ChatBan.objects.create(host=alice, kind="ban", guest_identity="guest-" + "b" * 32)
    bob_client = client_for(bob)
    assert bob_client.get("/u/alice/moderation/").status_code == 404
    assert (
        bob_client.post("/u/alice/moderation/lift/", {"action": "lift", "id": ban.pk}).status_code
        == 404
    )
    assert (
        Client().post("/u/alice/moderation/lift/", {"action": "lift", "id": ban.pk}).status_code
        == 302
    )
    assert ChatBan.objects.filter(pk=ban.pk).exists()


# Each form on the dashboard posts to its own URL (the Moderation page's Lift is the one a
# channel's moderators may use too).
HOST_ONLY_FORMS = [
    "/u/alice/title/",
    "/u/alice/thumbnail/",
    "/u/alice/thumbnail/remove/",
    "/u/alice/profile/",
    "/u/alice/keys/generate/",
    "/u/alice/keys/reset/",
    "/u/alice/moderation/add/",
    "/u/alice/moderation/remove/",
]


def _post_forms(response) -> list[tuple[str, dict]]:
    """Each dashboard form of a page (not the header's): where it posts and the values it
    would send as shown."""
    soup = BeautifulSoup(response.content, "html.parser")
    forms = []
    for form in soup.select("form[method=post]"):
        fields = {
            field["name"]: field.get("value", "")
            for field in form.select("input[name]")
            if field.get("type") not in {"file", "checkbox", "radio"} or field.has_attr("checked")
        }
        action = form.get("action") or response.request["PATH_INFO"]
        if action.startswith("/u/"):
            forms.append((action, fields))
    return forms


def test_every_form_on_the_dashboard_posts_where_it_is_handled(alice_client, alice, bob):
    ModeratorFactory(host=alice, user=bob)
    ChatBan.objects.create(host=alice, kind="ban", guest_identity="guest-" + "c" * 32)
    upload_thumbnail(alice_client, SimpleUploadedFile("t.png", image_bytes(), "image/png"))
    Stream.objects.filter(user=alice).update(ingress_id="IN_1", stream_key="sk_1")  # Reset
    posted = set()
    for url in DASHBOARD_PAGES:
        for action, fields in _post_forms(alice_client.get(url)):
            response = alice_client.post(action, fields)
            # 400: a form sent empty; 503: the Keys page with LiveKit stopped.
            assert response.status_code in {200, 302, 400, 503}, (action, response.status_code)
            posted.add(action)
    assert set(HOST_ONLY_FORMS) | {"/u/alice/moderation/lift/", "/u/alice/chat/"} <= posted


@pytest.mark.parametrize("url", HOST_ONLY_FORMS)
def test_only_the_host_posts_the_dashboards_forms(client_for, guest_client, alice, bob, url):
    mod = ModeratorFactory(host=alice, user=UserFactory(username="mod")).user
    data = {"title-title": "pwned", "kind": "rtmp", "username": "bob", "id": "1"}
    for client in [client_for(mod), client_for(bob)]:
        assert client.post(url, data).status_code == 404
    assert guest_client.post(url, data).url.startswith("/accounts/login/?next=")
    assert alice.moderators.count() == 1
    assert Stream.objects.get(user=alice).title == "alice's stream"


def test_after_a_refused_moderator_the_logs_pages_are_still_the_moderation_pages(
    alice_client, alice
):
    for _ in range(31):
        ModerationAction.objects.create(host=alice, actor_name="alice", action="delete")
    response = alice_client.post("/u/alice/moderation/add/", {"username": "nobody"})
    assert response.status_code == 400
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.select_one(".pagination a[rel=next]")["href"] == "/u/alice/moderation/?page=2"


@pytest.mark.parametrize("url", [*HOST_ONLY_FORMS, "/u/alice/moderation/lift/"])
def test_a_forms_url_opened_without_posting_leads_to_its_page(alice_client, url):
    """A refused form is shown at its own URL: a reload or a way back there must not fail."""
    response = alice_client.get(url)
    assert response.status_code == 302
    page = url.split("/")[3]  # /u/alice/<page>/...
    expected = {"title": "", "thumbnail": "", "profile": ""}.get(page, f"{page}/")
    assert response["Location"] == f"/u/alice/{expected}"
