"""The channel page in a real Chromium, with a real LiveKit room: what a person sees."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import requests
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from social.models import Block, Follow
from social.services import block_create
from streams.models import ChatBan, ChatMessage, ModerationAction, Stream
from tests.e2e.flaky_link import FlakyLink
from tests.factories import ModeratorFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def go_live(host) -> None:
    """What the ingress_started webhook does."""
    Stream.objects.filter(user=host).update(is_live=True)


def send(page, text: str) -> None:
    page.fill("#chat-input", text)
    page.press("#chat-input", "Enter")


def messages(page):
    return page.locator("[data-chat-messages] .chat-message .chat-text")


def test_a_guest_sees_an_offline_channel_as_it_is(open_page, alice, bob):
    ChatMessage.objects.create(stream=alice.stream, user=bob, author_name="bob", text="gg")
    page = open_page("/alice/")
    expect(page.locator("[data-player-offline]")).to_be_visible()
    expect(page.locator("[data-player-offline]")).to_contain_text("alice is offline")
    expect(page.locator("[data-live-badge]")).to_be_hidden()
    expect(page.locator("[data-offline-badge]")).to_be_visible()
    # Chat is on; the host is not live: that is the reason given, and the last messages stay.
    expect(page.locator("[data-chat-banner]")).to_have_text(
        "alice is offline. Chat opens when the stream starts."
    )
    expect(page.locator("#chat-input")).to_be_disabled()
    expect(page.locator("[data-chat-send]")).to_be_disabled()
    expect(messages(page)).to_have_text(["gg"])
    # The person looking is not an audience: no viewer count while offline.
    expect(page.locator("[data-player-offline]")).to_be_visible()
    page.wait_for_timeout(1000)  # the room is joined by now (it shows offline from inside)
    expect(page.locator("[data-viewer-count]")).to_be_hidden()


@pytest.mark.parametrize(
    ("rules", "viewer", "line"),
    [
        ({"is_chat_enabled": False}, None, "The host turned chat off."),
        (
            {"is_chat_signed_in_only": True},
            None,
            "Only signed-in viewers can chat here. Log in to chat.",
        ),
        (
            {"followers_only_minutes": 60},
            "carol_follows_no_one",
            "Only followers of alice for at least 1 hour can chat. Follow to chat.",
        ),
        ({"slow_mode_seconds": 30}, "bob", "Slow mode (30s)"),
    ],
    ids=["chat-off", "signed-in-only", "followers-only", "slow-mode"],
)
def test_the_chat_box_says_in_one_line_why_it_cannot_be_used(
    open_page, publisher, alice, bob, rules, viewer, line
):
    publisher(alice)
    Stream.objects.filter(user=alice).update(is_live=True, **rules)
    user = {"bob": bob, "carol_follows_no_one": UserFactory(username="erin")}.get(viewer)
    page = open_page("/alice/", user)
    expect(page.locator("[data-live-badge]")).to_be_visible(timeout=30_000)
    expect(page.locator("[data-chat-banner]")).to_have_text(line)
    chat_input = page.locator("#chat-input")
    if viewer == "bob":  # slow mode only informs; the other rules refuse this viewer
        expect(chat_input).to_be_enabled()
    else:
        expect(chat_input).to_be_disabled()


def test_the_viewer_count_counts_people_not_tabs_nor_the_stream(open_page, publisher, alice):
    publisher(alice)
    go_live(alice)
    page = open_page("/alice/")
    expect(page.locator("[data-viewer-count]")).to_have_text("1 viewer", timeout=30_000)
    second_tab = page.context.new_page()  # the same guest, a second tab
    second_tab.goto("/alice/")
    expect(second_tab.locator("[data-viewer-count]")).to_have_text("1 viewer", timeout=30_000)
    expect(page.locator("[data-viewer-count]")).to_have_text("1 viewer")


def test_a_guest_watching_loads_what_acting_needs_only_when_they_act(
    open_page, publisher, alice, bob
):
    """The chatter card, the emote picker, raids and the like are not in the page's first
    download (frontend/README.md: the JavaScript budget); a guest who acts still gets them."""
    ChatMessage.objects.create(stream=alice.stream, user=bob, author_name="bob", text="gg")
    publisher(alice)
    go_live(alice)
    asked = []
    page = open_page(
        "/alice/",
        before_load=lambda context: context.on(
            "request", lambda request: asked.append(request.url)
        ),
    )
    expect(page.locator("[data-viewer-count]")).to_have_text("1 viewer", timeout=30_000)
    page.wait_for_function("() => document.querySelector('[data-player-video]').videoWidth > 0")
    assert [url for url in asked if "/static/js/channel/" in url] == []

    page.locator(".chat-message .chat-name", has_text="bob").click()
    card = page.locator("[data-chatter-card]")
    expect(card).to_be_visible()
    expect(card.get_by_role("link", name="bob")).to_be_visible()
    assert any("/static/js/channel/card-" in url for url in asked)


def test_the_page_switches_to_live_video_and_back_without_reload(open_page, publisher, alice):
    page = open_page("/alice/")
    expect(page.locator("[data-player-offline]")).to_be_visible()
    stream = publisher(alice)
    go_live(alice)
    video = page.locator("[data-player-video]")
    expect(video).to_be_visible()
    page.wait_for_function(
        "() => document.querySelector('[data-player-video]').videoWidth > 0", timeout=20_000
    )
    start = video.evaluate("v => v.currentTime")
    page.wait_for_function(
        f"() => document.querySelector('[data-player-video]').currentTime > {start} + 0.5"
    )
    expect(page.locator("[data-live-badge]")).to_be_visible()
    expect(page.locator("[data-viewer-count]")).to_have_text("1 viewer")
    expect(page.locator("[data-player-offline]")).to_be_hidden()
    # The publisher stops: back to offline, still without a reload.
    stream.close()
    expect(page.locator("[data-player-offline]")).to_be_visible(timeout=20_000)
    expect(video).to_be_hidden()
    expect(page.locator("[data-live-badge]")).to_be_hidden()


def test_the_player_starts_muted_with_working_controls(open_page, publisher, alice):
    publisher(alice)
    go_live(alice)
    page = open_page("/alice/")
    video = page.locator("[data-player-video]")
    expect(video).to_be_visible()
    assert video.evaluate("v => v.muted") is True
    mute = page.locator("[data-player-mute]")
    mute.focus()
    page.keyboard.press("Enter")
    expect(mute).to_have_text("Mute")
    assert video.evaluate("v => v.muted") is False
    page.locator("[data-player-volume]").fill("40")
    assert abs(video.evaluate("v => v.volume") - 0.4) < 0.01
    expect(page.locator("[data-player-fullscreen]")).to_be_enabled()


@pytest.fixture
def flaky_link(livekit_server, settings):
    """Browsers reach livekit-server's signal port through a link the test can cut."""
    target = urlsplit(livekit_server.config.ws_url)
    link = FlakyLink(target.hostname, target.port).restore()
    settings.LIVEKIT_WS_URL = link.url
    yield link
    link.cut()


def expect_video_advancing(page) -> None:
    video = page.locator("[data-player-video]")
    expect(video).to_be_visible(timeout=30_000)
    start = video.evaluate("v => v.currentTime")
    page.wait_for_function(
        f"() => document.querySelector('[data-player-video]').currentTime > {start} + 0.5"
    )


def test_the_player_says_it_is_reconnecting_during_a_blip_and_recovers(
    open_page, publisher, flaky_link, alice
):
    publisher(alice)
    go_live(alice)
    page = open_page("/alice/")
    expect_video_advancing(page)
    flaky_link.cut()
    status = page.locator("[data-player-status]")
    expect(status).to_be_visible()
    expect(status).to_have_text("Reconnecting…")
    expect(page.locator("[data-live-badge]")).to_be_visible()  # a blip is not "offline"
    page.wait_for_timeout(3_000)  # still cut: every new connection is refused
    expect(status).to_have_text("Reconnecting…")
    flaky_link.restore()
    expect_video_advancing(page)
    expect(page.locator("[data-player-offline]")).to_be_hidden()
    expect(page.locator("[data-player-error]")).to_be_hidden()


def refuse_by_blocking(host, viewer) -> str:
    block_create(blocker=host, blocked=viewer)
    return "You cannot watch this stream."  # 403


def refuse_by_deactivating(host, viewer) -> str:
    type(host).objects.filter(pk=host.pk).update(is_active=False)
    return "No such stream."  # 404


@pytest.mark.parametrize("refuse", [refuse_by_blocking, refuse_by_deactivating])
def test_a_refused_token_shows_why_instead_of_a_spinner(open_page, publisher, alice, bob, refuse):
    publisher(alice)
    go_live(alice)
    held = []  # the player's token request, answered only once the refusal is in place

    def hold_token_request(context):
        context.route("**/api/stream/token/*", lambda route: held.append(route))

    page = open_page("/alice/", bob, before_load=hold_token_request)
    while not held:
        page.wait_for_timeout(50)
    expected = refuse(alice, bob)
    held[0].continue_()
    expect(page.locator("[data-player-error-text]")).to_have_text(expected)
    expect(page.locator("[data-player-loading]")).to_be_hidden()
    expect(page.locator("[data-player-video]")).to_be_hidden()
    page.wait_for_timeout(2_000)  # and it stays so: no retry loop behind a spinner
    expect(page.locator("[data-player-error-text]")).to_have_text(expected)
    expect(page.locator("[data-player-loading]")).to_be_hidden()


TOKEN_ENTRIES = """() => performance.getEntriesByType("resource")
    .filter((entry) => entry.name.includes("/api/stream/token/"))
    .map((entry) => entry.initiatorType)"""


def test_the_player_joins_with_the_token_the_page_preloaded(open_page, publisher, alice):
    publisher(alice)
    go_live(alice)
    asked = []

    def count_token_requests(context):
        def note(request):
            if "/api/stream/token/" in request.url:
                asked.append(request.url)

        context.on("request", note)

    page = open_page("/alice/", before_load=count_token_requests)
    expect_video_advancing(page)
    assert len(asked) == 1
    assert page.evaluate(TOKEN_ENTRIES) == ["link"]  # the preload, whose answer the player took


def test_a_failed_preloaded_token_is_asked_for_again(open_page, publisher, alice):
    publisher(alice)
    go_live(alice)
    routes = []  # the token requests: the first (the preload) fails, the next is held

    def fail_the_preloaded_token(context):
        def answer(route):
            routes.append(route)
            if len(routes) == 1:
                route.fulfill(status=503, json={"code": "unavailable", "detail": "Try again."})

        context.route("**/api/stream/token/*", answer)

    page = open_page("/alice/", before_load=fail_the_preloaded_token)
    error = page.locator("[data-player-error-text]")
    expect(error).to_contain_text("Try again. Retrying in 1 s")  # the player got the 503
    while len(routes) < 2:
        page.wait_for_timeout(50)
    routes[1].continue_()
    expect_video_advancing(page)
    assert len(routes) == 2
    assert page.evaluate(TOKEN_ENTRIES) == ["link", "fetch"]


def test_a_preloaded_token_the_room_refuses_is_replaced(
    open_page, publisher, alice, livekit_server
):
    publisher(alice)
    go_live(alice)
    routes = []

    def refuse_the_preloaded_token(context):
        def answer(route):
            routes.append(route)
            if len(routes) == 1:  # a token LiveKit refuses, as it would an expired one
                grant = {"token": "stale", "identity": "guest-0", "name": "guest-0"}
                route.fulfill(json=grant | {"ws_url": livekit_server.config.ws_url})
            else:
                route.continue_()

        context.route("**/api/stream/token/*", answer)

    page = open_page("/alice/", before_load=refuse_the_preloaded_token)
    expect_video_advancing(page)
    assert len(routes) == 2
    assert page.evaluate(TOKEN_ENTRIES) == ["link", "fetch"]


def test_chat_between_a_follower_and_a_guest_survives_a_reload(open_page, publisher, alice, bob):
    publisher(alice)
    go_live(alice)
    bob_page = open_page("/alice/", bob)
    guest_page = open_page("/alice/")
    expect(bob_page.locator("#chat-input")).to_be_enabled()
    expect(guest_page.locator("#chat-input")).to_be_enabled()
    expect(guest_page.locator("[data-chat-empty]")).to_have_text("Welcome to the chat!")
    send(bob_page, "hello from bob <b>not bold</b>")
    expect(messages(guest_page)).to_have_text(["hello from bob <b>not bold</b>"])
    expect(guest_page.locator(".chat-message .chat-name")).to_have_text(["bob"])
    expect(guest_page.locator("[data-chat-empty]")).to_be_hidden()
    assert guest_page.locator(".chat-text b").count() == 0
    send(guest_page, "hi bob")
    expect(messages(bob_page)).to_have_text(["hello from bob <b>not bold</b>", "hi bob"])
    guest_page.reload()
    expect(messages(guest_page)).to_have_text(["hello from bob <b>not bold</b>", "hi bob"])


def test_a_message_said_as_a_guest_arrives_shows_though_the_proxy_kept_older_copies(
    browser, proxy, publisher, alice, bob, settings
):
    """Through nginx, a guest's channel page and chat history may be copies taken before
    their connection to the room: what was said in between came neither live nor in them,
    until the page catches up once more when the copies have expired."""
    settings.PUBLIC_CACHE_SECONDS = 5  # room to open the page while the copies still hold
    publisher(alice)
    go_live(alice)
    for path in ("/alice/", f"/api/stream/{alice.pk}/chat"):  # a guest before: kept
        assert requests.get(proxy.url + path, timeout=10).headers["X-Cache-Status"] == "MISS"
    # Said just now, and to nobody in the room yet: only a history can bring it.
    ChatMessage.objects.create(stream=alice.stream, user=bob, author_name="bob", text="o/")
    context = browser.new_context(base_url=proxy.url)
    try:
        page = context.new_page()
        histories = []
        page.on(
            "response",
            lambda r: r.url.endswith("/chat") and histories.append(r.headers["x-cache-status"]),
        )
        assert page.goto("/alice/").headers["x-cache-status"] == "HIT"
        expect(page.locator("[data-chat-empty]")).to_have_text("Welcome to the chat!")
        expect(messages(page)).to_have_text(["o/"], timeout=15_000)
        assert histories[0] == "HIT"  # the first catch-up's copy did not have it
        assert len(histories) == 2
    finally:
        context.close()


def test_a_follower_too_new_to_chat_is_told_when_in_their_own_time_zone(open_page, alice, bob):
    go_live(alice)
    Stream.objects.filter(user=alice).update(followers_only_minutes=60)
    followed = timezone.now() - timedelta(minutes=15)
    Follow.objects.filter(follower=bob, following=alice).update(created_at=followed)
    page = open_page("/alice/", bob, timezone_id="Asia/Kolkata")  # UTC+05:30
    send(page, "too soon?")
    local = (followed + timedelta(hours=1)).astimezone(ZoneInfo("Asia/Kolkata"))
    expect(page.locator("[data-chat-error]")).to_have_text(
        re.compile(
            r"Only followers of alice can chat, once they have followed for 1 hour: "
            # "(at 00:32)", or "(at tomorrow 00:32)" when that is tomorrow in Kolkata
            rf"you can chat in 4[45] minutes \(at (tomorrow )?{local:%H:%M}\)\."
        )
    )


def test_followers_only_disables_the_guest_input_and_the_server_refuses(open_page, alice):
    go_live(alice)
    Stream.objects.filter(user=alice).update(followers_only_minutes=0)
    page = open_page("/alice/")
    expect(page.locator("[data-chat-banner]")).to_have_text(
        "Only followers of alice can chat. Follow to chat."
    )
    expect(page.locator("#chat-input")).to_be_disabled()
    status = page.evaluate(
        """async (url) => {
            const token = document.cookie.match(/csrftoken=([^;]+)/);
            const response = await fetch(url, {
                method: "POST",
                headers: {"Content-Type": "application/json",
                          "X-CSRFToken": token ? token[1] : ""},
                body: JSON.stringify({message: "sneaky"}),
            });
            return response.status;
        }""",
        f"/api/stream/{alice.pk}/chat",
    )
    assert status == 403
    assert not ChatMessage.objects.exists()


def test_slow_mode_refuses_a_quick_second_message_and_counts_down(open_page, publisher, alice, bob):
    publisher(alice)
    go_live(alice)
    Stream.objects.filter(user=alice).update(slow_mode_seconds=3)
    page = open_page("/alice/", bob)
    expect(page.locator("[data-chat-banner]")).to_have_text("Slow mode (3s)")
    send(page, "first")
    expect(messages(page)).to_have_text(["first"])
    expect(page.locator("[data-chat-countdown]")).to_contain_text("Slow mode:")
    status = page.evaluate(
        """async (url) => {
            const token = document.cookie.match(/csrftoken=([^;]+)/)[1];
            const response = await fetch(url, {method: "POST",
                headers: {"Content-Type": "application/json", "X-CSRFToken": token},
                body: JSON.stringify({message: "second"})});
            return response.status;
        }""",
        f"/api/stream/{alice.pk}/chat",
    )
    assert status == 429
    assert list(ChatMessage.objects.values_list("text", flat=True)) == ["first"]
    expect(page.locator("[data-chat-countdown]")).to_be_hidden(timeout=6_000)
    expect(page.locator("#chat-input")).to_be_enabled()


def test_the_host_deletes_a_message_and_it_disappears_for_others(open_page, publisher, alice, bob):
    publisher(alice)
    go_live(alice)
    bob_page = open_page("/alice/", bob)
    host_page = open_page("/alice/", alice)
    send(bob_page, "please delete me")
    expect(messages(host_page)).to_have_text(["please delete me"])
    host_page.locator(".chat-message [data-delete-message]").click()
    expect(messages(bob_page)).to_have_count(0)
    expect(messages(host_page)).to_have_count(0)
    assert ChatMessage.objects.get().is_deleted


def test_the_host_bans_a_viewer_from_the_community_tab(open_page, publisher, alice, bob):
    publisher(alice)
    go_live(alice)
    bob_page = open_page("/alice/", bob)
    expect(bob_page.locator("[data-player-video]")).to_be_visible()
    host_page = open_page("/alice/", alice)
    host_page.locator("[data-tab=community]").click()
    bob_row = host_page.locator("[data-community-list] li", has_text="bob")
    expect(bob_row).to_be_visible()
    expect(host_page.locator("[data-community-list] li", has_text="alice")).to_contain_text("Host")
    host_page.locator("[data-community-filter]").fill("bo")
    expect(host_page.locator("[data-community-list] li")).to_have_count(1)
    # A ban asks first, saying what it does; cancelling changes nothing.
    bob_row.locator("[data-ban-person]").click()
    dialog = host_page.get_by_role("dialog", name="Ban bob?")
    expect(dialog).to_contain_text("They can no longer chat or watch here")
    expect(dialog).to_contain_text("follows between bob and alice are removed")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert not Block.objects.exists()
    expect(bob_page.locator("[data-player-video]")).to_be_visible()
    bob_row.locator("[data-ban-person]").click()
    dialog.get_by_role("button", name="Ban bob").click()
    expect(bob_page.locator("[data-player-error]")).to_be_visible()
    expect(bob_page.locator("[data-player-video]")).to_be_hidden()
    response = bob_page.reload()
    assert response.status == 404


def test_a_moderator_deletes_and_times_out_live_and_the_chatter_sees_it(
    open_page, publisher, alice, bob
):
    mod = UserFactory(username="mod")
    ModeratorFactory(host=alice, user=mod)
    publisher(alice)
    go_live(alice)
    bob_page = open_page("/alice/", bob)
    mod_page = open_page("/alice/", mod)
    send(mod_page, "be nice, please")
    expect(bob_page.locator(".chat-message", has_text="be nice")).to_contain_text("Mod")
    # A moderator's own and fellow moderators' messages offer no moderation (only Reply).
    own = mod_page.locator(".chat-message", has_text="be nice").locator("button")
    expect(own).to_have_text(["Reply"])
    send(bob_page, "something rude")
    rude = mod_page.locator(".chat-message", has_text="something rude")
    rude.locator("[data-delete-message]").click()
    expect(bob_page.locator(".chat-text", has_text="something rude")).to_have_count(0)
    send(bob_page, "more rudeness")
    more = mod_page.locator(".chat-message", has_text="more rudeness")
    more.get_by_role("button", name="Time out bob", exact=True).click()
    more.get_by_role("button", name="Time out bob for 10 minutes").click()
    countdown = bob_page.locator("[data-chat-countdown]")
    expect(countdown).to_have_text(re.compile(r"^Timed out: (10:00|9:[0-5]\d)$"))
    expect(bob_page.locator("#chat-input")).to_be_disabled()
    expect(bob_page.locator("[data-chat-error]")).to_contain_text("You were timed out until")
    # What the server answers a chatter who tries anyway is shown too.
    bob_page.reload()
    send(bob_page, "after a reload")
    expect(bob_page.locator("[data-chat-error]")).to_contain_text("You are timed out until")
    expect(countdown).to_contain_text("Timed out:")
    # The community tab offers the moderator a ban for bob, and none for the host.
    open_page("/alice/", alice)
    mod_page.locator("[data-tab=community]").click()
    people = mod_page.locator("[data-community-list] li")
    expect(people.filter(has_text="bob").locator("[data-ban-person]")).to_have_count(1)
    expect(people.filter(has_text="alice")).to_have_count(1)
    expect(people.filter(has_text="alice").locator("button")).to_have_count(0)
    texts = list(ChatMessage.objects.order_by("pk").values_list("text", "is_deleted"))
    assert texts == [("be nice, please", False), ("something rude", True), ("more rudeness", False)]
    assert list(ModerationAction.objects.values_list("actor_name", "action")) == [
        ("mod", "delete"),
        ("mod", "timeout"),
    ]


def test_a_banned_guest_is_still_banned_in_a_new_session_from_the_same_address(
    open_page, publisher, alice
):
    publisher(alice)
    go_live(alice)
    guest_page = open_page("/alice/")
    host_page = open_page("/alice/", alice)
    send(guest_page, "spam spam spam")
    message = host_page.locator(".chat-message", has_text="spam spam spam")
    message.locator("[data-ban-person]").click()
    dialog = host_page.get_by_role("dialog", name=re.compile(r"^Ban guest-\d{5}\?$"))
    expect(dialog).to_contain_text("guests on their network cannot chat here for 24 hours")
    host_page.keyboard.press("Escape")  # not now
    expect(dialog).to_be_hidden()
    assert not ChatBan.objects.exists()
    message.locator("[data-ban-person]").click()
    dialog.get_by_role("button", name=re.compile(r"^Ban guest-")).click()
    expect(guest_page.locator("[data-player-error-text]")).to_have_text(
        "You were removed from this stream."
    )
    expect(guest_page.locator("#chat-input")).to_be_disabled()
    # A fresh browser context is a new session, so a new guest-NNNNN, from the same address.
    new_session = open_page("/alice/")
    expect(new_session.locator("#chat-input")).to_be_enabled()
    send(new_session, "it's me again")
    # Said once, where the chat box says why it cannot be used.
    expect(new_session.locator("[data-chat-banner]")).to_have_text("You are banned from this chat.")
    expect(new_session.get_by_text("banned")).to_have_count(1)
    expect(new_session.locator("#chat-input")).to_be_disabled()
    assert list(ChatMessage.objects.values_list("text", flat=True)) == ["spam spam spam"]


def test_a_viewer_banned_while_watching_is_told_so_and_the_page_still_says_live(
    open_page, publisher, alice, bob
):
    publisher(alice)
    go_live(alice)
    page = open_page("/alice/", bob)
    expect(page.locator("[data-player-video]")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name="Unfollow")).to_be_visible()
    host = Client()
    host.force_login(alice)
    ban = host.post(
        reverse("api_ban", args=[alice.pk]), {"person": str(bob.pk)}, "application/json"
    )
    assert ban.status_code == 200
    expect(page.locator("[data-player-error-text]")).to_have_text(
        "You were removed from this stream."
    )
    expect(page.locator("[data-chat-banner]")).to_have_text("You cannot chat here.")
    expect(page.locator("#chat-input")).to_be_disabled()
    # The stream goes on without bob: LIVE, as the sidebar says, not "Offline".
    expect(page.locator("[data-live-badge]")).to_be_visible()
    expect(page.locator("[data-offline-badge]")).to_be_hidden()
    sidebar_entry = page.locator(f'.sidebar [data-live-host="{alice.pk}"] [data-live-marker]')
    expect(sidebar_entry).to_be_visible()
    # The ban (a block) ended bob's follow, and a follow would be refused.
    expect(page.get_by_role("button", name="Unfollow")).to_have_count(0)
    expect(page.get_by_role("button", name="Follow", exact=True)).to_have_count(0)
    assert not bob.following_set.exists()


def test_a_shorter_second_timeout_replaces_the_first_on_the_chatters_page(
    open_page, publisher, alice, bob
):
    publisher(alice)
    go_live(alice)
    bob_page = open_page("/alice/", bob)
    host_page = open_page("/alice/", alice)
    send(bob_page, "rude")
    message = host_page.locator(".chat-message", has_text="rude")
    countdown = bob_page.locator("[data-chat-countdown]")
    for name, shown in [("24 hours", r"2[34]:\d\d:\d\d"), ("1 minute", r"(1:00|[1-5]?\ds)")]:
        message.get_by_role("button", name="Time out bob", exact=True).click()
        message.get_by_role("button", name=f"Time out bob for {name}").click()
        expect(countdown).to_have_text(re.compile(rf"^Timed out: {shown}$"))
        if name == "24 hours":  # ends tomorrow, which the page says in the reader's time
            expect(bob_page.locator("[data-chat-error]")).to_contain_text("until tomorrow")
    bob_page.reload()
    send(bob_page, "still here?")
    expect(countdown).to_have_text(re.compile(r"^Timed out: (1:00|[1-5]?\ds)$"))
    assert ChatBan.objects.count() == 1


def test_a_moderator_finds_the_bans_in_force_from_the_community_tab(open_page, alice):
    mod = UserFactory(username="mod")
    ModeratorFactory(host=alice, user=mod)
    mod_page = open_page("/alice/", mod)
    mod_page.locator("[data-tab=community]").click()
    mod_page.get_by_role("link", name="Timeouts and bans in force").click()
    expect(mod_page.get_by_role("heading", name="Timeouts and bans")).to_be_visible()
    viewer_page = open_page("/alice/", UserFactory(username="viewer"))
    viewer_page.locator("[data-tab=community]").click()
    expect(viewer_page.get_by_role("link", name="Timeouts and bans in force")).to_be_hidden()
