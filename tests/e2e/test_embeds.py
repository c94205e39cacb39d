"""The embeds in a page of another site: a page served from another origin on loopback
frames the player, the chat and (refused) the channel page."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from streams.models import Stream

pytestmark = pytest.mark.django_db(transaction=True)


def _other_host(site_url: str) -> str:
    """A loopback name that is another site than the live server's (localhost and 127.0.0.1
    are different sites to a browser)."""
    return "127.0.0.1" if urlsplit(site_url).hostname == "localhost" else "localhost"


@pytest.fixture
def other_site(live_server):
    """A tiny web server on another loopback origin serving one page that frames the
    embeds of a channel and the channel page itself."""
    pages: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    servers = []

    def framing(username: str, *, same_site: bool = False, frames: str = "") -> str:
        """The page's URL: on another site, or on another port of the site's own host.
        `frames` replaces the page's three frames."""
        site_host = urlsplit(live_server.url).hostname
        host = site_host if same_site else _other_host(live_server.url)
        server = ThreadingHTTPServer((host, 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        site = live_server.url
        frames = (
            frames
            or f"""
<iframe name="player" title="player" src="{site}/embed/{username}/" width="640" height="400"
 allow="autoplay; fullscreen"></iframe>
<iframe name="chat" title="chat" src="{site}/embed/{username}/chat/" width="350"
 height="500"></iframe>
<iframe name="channel" title="channel" src="{site}/{username}/" width="640"
 height="400"></iframe>"""
        )
        pages["/"] = f"""<!DOCTYPE html><html lang="en"><head><title>A fan site</title></head>
<body><h1>Watch {username} here</h1>{frames}</body></html>""".encode()
        return f"http://{host}:{server.server_address[1]}/"

    yield framing
    for server in servers:
        server.shutdown()
        server.server_close()


def test_another_site_frames_the_live_player_and_chat_but_not_the_channel_page(
    open_page, publisher, other_site, alice, bob
):
    publisher(alice)
    Stream.objects.filter(user=alice).update(is_live=True)  # as the ingress_started webhook
    page = open_page(other_site("alice"))
    player = page.frame(name="player")
    chat = page.frame(name="chat")

    # The player plays the stream, muted, as a guest (the frame gets none of the site's
    # cookies), and links to the channel in a new tab.
    expect(player.locator("[data-player-video]")).to_be_visible(timeout=30_000)
    player.wait_for_function(
        "() => document.querySelector('[data-player-video]').videoWidth > 0", timeout=20_000
    )
    start = player.locator("[data-player-video]").evaluate("v => v.currentTime")
    player.wait_for_function(
        f"() => document.querySelector('[data-player-video]').currentTime > {start} + 0.5"
    )
    assert player.locator("[data-player-video]").evaluate("v => v.muted") is True
    expect(player.locator("[data-live-badge]")).to_be_visible()
    expect(player.locator("a.embed-channel")).to_have_attribute("target", "_blank")

    # The chat shows what is said on the channel while the frame is open; the guest there
    # is offered to sign in on the site, in a new tab.
    sign_in = chat.get_by_role("link", name="Sign in to chat")
    expect(sign_in).to_have_attribute("target", "_blank")
    expect(chat.locator("form")).to_have_count(0)
    expect(chat.locator("[data-chat-empty]")).to_be_visible()
    # In the room (its hidden player, which takes no video, waits for it)...
    expect(chat.locator("[data-player-status]")).to_have_text("Waiting for video…")
    bob_page = open_page("/alice/", bob)
    expect(bob_page.locator("#chat-input")).to_be_enabled(timeout=20_000)
    # ... as nobody's viewer: bob sees himself and the player's guest.
    expect(bob_page.locator("[data-viewer-count]")).to_have_text("2 viewers", timeout=20_000)
    bob_page.fill("#chat-input", "hello embed readers")
    bob_page.press("#chat-input", "Enter")
    expect(chat.locator("[data-chat-messages] .chat-text")).to_have_text(
        ["hello embed readers"], timeout=20_000
    )
    expect(player.locator("[data-viewer-count]")).to_have_text("2 viewers")

    # Any other page of the site refuses to be framed: the browser shows none of it.
    channel = page.frame(name="channel")
    expect(channel.locator("[data-player]")).to_have_count(0)
    assert channel.url.startswith("chrome-error://")  # Chromium's page for a refused frame


def test_a_signed_in_viewer_chats_in_the_embed_on_a_page_of_the_same_site(
    open_page, publisher, other_site, alice, bob
):
    """Another origin of the same site (same host, another port): the browser sends the
    frame bob's session (SameSite=Lax), and he chats there under the channel's rules."""
    publisher(alice)
    Stream.objects.filter(user=alice).update(is_live=True)
    page = open_page(other_site("alice", same_site=True), bob)
    chat = page.frame(name="chat")
    expect(chat.locator("#chat-input")).to_be_enabled(timeout=20_000)
    chat.fill("#chat-input", "hi from the embed")
    chat.press("#chat-input", "Enter")
    expect(chat.locator("[data-chat-messages] .chat-text")).to_have_text(["hi from the embed"])
    expect(chat.locator(".chat-message .chat-name")).to_have_text(["bob"])


def test_the_player_code_copied_from_the_dashboard_plays_on_another_site(
    open_page, publisher, other_site, alice
):
    publisher(alice)
    Stream.objects.filter(user=alice).update(is_live=True)
    dashboard = open_page(
        "/u/alice/",
        alice,
        before_load=lambda context: context.grant_permissions(
            ["clipboard-read", "clipboard-write"]
        ),
    )
    dashboard.locator("[data-copy=embed-player]").click()
    expect(dashboard.locator("[data-copy=embed-player]")).to_have_text("Copied")
    code = dashboard.evaluate("navigator.clipboard.readText()")
    assert code == dashboard.locator("#embed-player").input_value()
    page = open_page(other_site("alice", frames=code))
    player = page.frame_locator("iframe").first
    expect(player.locator("[data-player-video]")).to_be_visible(timeout=30_000)
    expect(player.locator("[data-live-badge]")).to_be_visible()
