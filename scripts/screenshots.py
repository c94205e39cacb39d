"""README pictures: the home page, a live channel page with chat, and the keys page, rendered
by headless Chromium into docs/*.png (`make screenshots`).

Runs a throwaway site (SQLite in a temporary folder, demo data) next to a real livekit-server
on free loopback ports, with a synthetic publisher standing in for OBS.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devservers.servers import (  # noqa: E402
    LiveKitConfig,
    LiveKitStack,
    free_port,
    free_udp_port,
    wait_until,
)

API_KEY = "screenshots"
API_SECRET = "screenshots-secret-of-at-least-32-characters"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="streamsite-screenshots-"))
    web_port = free_port()
    site = f"http://127.0.0.1:{web_port}"
    config = LiveKitConfig(
        api_key=API_KEY,
        api_secret=API_SECRET,
        webhook_url=f"{site}/api/webhook/livekit",
        port=free_port(),
        rtc_tcp_port=free_port(),
        rtc_udp_port=free_udp_port(),
        redis_port=free_port(),
    )
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "streamsite.settings",
            "DJANGO_DEBUG": "true",
            # The ORM is called between Playwright steps, on the thread its loop runs on.
            "DJANGO_ALLOW_ASYNC_UNSAFE": "true",
            "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",
            "DJANGO_MEDIA_ROOT": str(work / "media"),
            "LIVEKIT_URL": config.url,
            "LIVEKIT_WS_URL": config.ws_url,
            "LIVEKIT_API_KEY": API_KEY,
            "LIVEKIT_API_SECRET": API_SECRET,
        }
    )
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], check=True)
    subprocess.run([*manage, "seed_demo", "-v0"], check=True)
    with LiveKitStack(config, work / "livekit"):
        server = subprocess.Popen(
            [*manage, "runserver", "--noreload", f"127.0.0.1:{web_port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until(lambda: _answers(site), 30, "the Django server", server)
            _shoot(site, config)
        finally:
            server.terminate()
            server.wait(timeout=10)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/robots.txt", timeout=1):
            return True
    except OSError:
        return False


def _shoot(site: str, config: LiveKitConfig) -> None:
    import django

    django.setup()
    from playwright.sync_api import sync_playwright

    from accounts.models import User
    from streams import services
    from streams.models import Stream
    from tests.rtc_client import RtcClient, publisher_token

    alice, bob = User.objects.get(username="alice"), User.objects.get(username="bob")
    services.connection_generate(stream=alice.stream, kind="rtmp")
    Stream.objects.filter(user=alice).update(is_live=True)
    Stream.objects.filter(user__username="carol").update(is_live=True)
    token = publisher_token(
        api_key=API_KEY,
        api_secret=API_SECRET,
        room=str(alice.pk),
        identity=str(alice.pk),
        name="alice",
    )
    publisher = RtcClient(config.ws_url, token).connect()
    publisher.publish_video(640, 360)
    docs = ROOT / "docs"
    docs.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=CHROMIUM_ARGS
        )
        bob_page = _signed_in(browser, site, bob)
        bob_page.goto("/alice/")
        bob_page.locator("[data-player-video]").wait_for(state="visible", timeout=20_000)
        for text in ["That boss fight was clean!", "GG", "What's the route for the next level?"]:
            bob_page.fill("#chat-input", text)
            bob_page.press("#chat-input", "Enter")
            time.sleep(0.3)
        bob_page.goto("/")
        bob_page.screenshot(path=str(docs / "home.png"))
        bob_page.goto("/alice/")
        bob_page.locator("[data-player-video]").wait_for(state="visible", timeout=20_000)
        bob_page.wait_for_function(
            "() => document.querySelector('[data-player-video]').videoWidth > 0"
        )
        time.sleep(1)
        bob_page.screenshot(path=str(docs / "channel.png"))
        alice_page = _signed_in(browser, site, alice)
        alice_page.goto("/u/alice/keys/")
        alice_page.screenshot(path=str(docs / "keys.png"), full_page=True)
        browser.close()
    publisher.close()
    print("Wrote docs/home.png, docs/channel.png and docs/keys.png")


def _signed_in(browser, site: str, user):
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context = browser.new_context(base_url=site, viewport={"width": 1280, "height": 760})
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": site}])
    return context.new_page()


if __name__ == "__main__":
    main()
