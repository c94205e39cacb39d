"""README pictures: the home page, a live channel page with chat (on a desktop and on a phone),
an offline channel and the keys page, rendered by headless Chromium into docs/*.png
(`make screenshots`).

Runs a throwaway site (demo data) next to a real livekit-server, with a synthetic camera
standing in for OBS.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devservers.media import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from devservers.site import ThrowawaySite  # noqa: E402


def main() -> None:
    with ThrowawaySite() as site:
        shoot(site)


def playing(page) -> None:
    """Wait until the player shows the host's video, and a second more for it to settle."""
    page.wait_for_function(
        "() => document.querySelector('[data-player-video]').videoWidth > 0", timeout=20_000
    )
    time.sleep(1)


def shoot(site: ThrowawaySite) -> None:
    from playwright.sync_api import sync_playwright

    from accounts.models import User
    from streams import services
    from streams.models import Stream

    alice, bob = User.objects.get(username="alice"), User.objects.get(username="bob")
    services.connection_generate(stream=alice.stream, kind="rtmp")
    Stream.objects.filter(user__username__in=["alice", "carol"]).update(is_live=True)
    camera = site.host_camera(alice)
    docs = ROOT / "docs"
    docs.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        def page_for(user, width=1280, height=760):
            context = browser.new_context(
                base_url=site.url, viewport={"width": width, "height": height}
            )
            context.add_cookies([site.session_cookie(user)])
            return context.new_page()

        bob_page = page_for(bob)
        bob_page.goto("/alice/")
        bob_page.locator("[data-player-video]").wait_for(state="visible", timeout=20_000)
        for text in ["That boss fight was clean!", "GG", "What's the route for the next level?"]:
            bob_page.fill("#chat-input", text)
            bob_page.press("#chat-input", "Enter")
            time.sleep(0.3)
        bob_page.goto("/")
        bob_page.screenshot(path=str(docs / "home.png"))
        bob_page.goto("/alice/")
        playing(bob_page)
        bob_page.screenshot(path=str(docs / "channel.png"))
        bob_page.goto("/dave/")
        bob_page.locator("[data-player-offline]").wait_for(state="visible", timeout=20_000)
        bob_page.screenshot(path=str(docs / "offline.png"))
        phone = page_for(bob, 390, 844)
        phone.goto("/alice/")
        playing(phone)
        phone.screenshot(path=str(docs / "channel-phone.png"))
        alice_page = page_for(alice)
        alice_page.goto("/u/alice/keys/")
        alice_page.screenshot(path=str(docs / "keys.png"), full_page=True)
        browser.close()
    camera.close()
    names = "home, channel, channel-phone, offline and keys"
    print(f"Wrote docs/*.png: {names}")


if __name__ == "__main__":
    main()
