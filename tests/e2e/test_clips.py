"""A clip's page in Chromium: its MP4 (H.264 and Opus, cut without re-encoding) plays, and the
share link's Copy button puts the clip's address on the clipboard."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from django.conf import settings
from django.utils import timezone

from tests.recordings import record_part
from videos import finalise
from videos.clips import services
from videos.models import Broadcast
from videos.tasks import finalise_broadcast

pytestmark = pytest.mark.django_db(transaction=True)

VIDEO = "document.querySelector('[data-clip-video]')"


def serve_media(context) -> None:
    """The browser gets media files from MEDIA_ROOT, as the web server in front of the site
    would serve them (the test settings have Django serve none)."""
    root = Path(settings.MEDIA_ROOT)

    def fulfil(route) -> None:
        name = unquote(urlsplit(route.request.url).path).removeprefix(settings.MEDIA_URL)
        path = root / name
        if path.is_file() and root in path.resolve().parents:
            route.fulfill(path=str(path))
        else:
            route.fulfill(status=404)

    context.route("**/media/**", fulfil)


def with_media_and_clipboard(context) -> None:
    serve_media(context)
    context.grant_permissions(["clipboard-read", "clipboard-write"])


@pytest.fixture
def clip(alice, bob, settings, tmp_path):
    settings.RECORDINGS_SPOOL_DIR = tmp_path / "spool"
    now = timezone.now()
    broadcast = Broadcast.objects.create(
        stream=alice.stream,
        title="Any% practice",
        started_at=now - timedelta(minutes=1),
        ended_at=now,
        state="recording",
    )
    record_part(finalise.spool_folder(broadcast) / "part-001", 12)
    finalise_broadcast.call(broadcast.pk)
    broadcast.refresh_from_db()
    return services.clip_from_broadcast(
        broadcast=broadcast, clipper=bob, title="The skip", start=2, end=9
    )


def test_the_clip_plays_and_its_link_copies(open_page, clip):
    page = open_page(clip.get_absolute_url(), before_load=with_media_and_clipboard)

    page.evaluate(f"() => {{ {VIDEO}.muted = true; return {VIDEO}.play(); }}")
    page.wait_for_function(f"{VIDEO}.currentTime > 2")
    assert page.evaluate(f"[{VIDEO}.videoWidth, {VIDEO}.videoHeight]") == [320, 180]
    assert page.evaluate(f"{VIDEO}.duration") == pytest.approx(clip.duration, abs=0.2)

    page.get_by_role("button", name="Copy").click()
    page.get_by_role("button", name="Copied").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == f"https://stream.example.com/clips/{clip.slug}/"
