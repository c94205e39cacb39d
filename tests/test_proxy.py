"""The real nginx with deploy/nginx.conf (devservers/proxy.py) in front of the live server:
what every guest gets alike comes from its cache, a signed-in viewer never does, files come
from disk, and a wrong address still gets the site's 404 page. What the site marks public:
tests/test_public_cache.py."""

from __future__ import annotations

import json
import time

import pytest
import requests
from bs4 import BeautifulSoup
from django.test import Client

from devservers import proxy as proxy_module
from devservers.proxy import answered_by, nginx
from devservers.servers import SetupError
from streams.models import ChatMessage, Stream
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

SECONDS = 2  # PUBLIC_CACHE_SECONDS by default; nginx counts whole seconds, so up to 1 more


def _browser(proxy, user=None) -> requests.Session:
    """A browser of the proxy's address: a guest's, or signed in as `user`."""
    browser = requests.Session()
    if user is not None:
        client = Client()
        client.force_login(user)
        browser.cookies.set("sessionid", client.cookies["sessionid"].value)
    browser.base = proxy.url
    return browser


class _FromAddress(requests.adapters.HTTPAdapter):
    """Connects from another loopback address."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, source_address=(self.address, 0), **kwargs)


def get(browser: requests.Session, path: str) -> requests.Response:
    return browser.get(browser.base + path, allow_redirects=False, timeout=10)


def post_form(browser: requests.Session, path: str, page: str) -> requests.Response:
    """POSTs the form of `page` whose action is `path`, with its CSRF token."""
    soup = BeautifulSoup(get(browser, page).text, "html.parser")
    token = soup.select_one("[name=csrfmiddlewaretoken]")["value"]
    data = {"csrfmiddlewaretoken": token, "next": page}
    return browser.post(browser.base + path, data=data, allow_redirects=False, timeout=10)


def _viewer(response: requests.Response) -> tuple[str | None, bool]:
    """Whom the channel page is for, and whether it shows them following the host."""
    soup = BeautifulSoup(response.text, "html.parser")
    viewer = json.loads(soup.select_one("#channel-data").string)["viewer"]
    return viewer["username"], viewer["is_following"]


def _title(response: requests.Response) -> str:
    return BeautifulSoup(response.text, "html.parser").select_one(".channel-title").get_text()


def test_a_guest_page_comes_from_the_proxy_the_second_time_and_changes_within_seconds(proxy, alice):
    guest = _browser(proxy)
    first, second = get(guest, "/alice/"), get(guest, "/alice/")
    assert (first.status_code, second.status_code) == (200, 200)
    assert (first.headers["X-Cache-Status"], second.headers["X-Cache-Status"]) == ("MISS", "HIT")
    assert _title(second) == "alice's stream"
    stream = Stream.objects.get(user=alice)
    stream.title = "Retro night"
    stream.save()
    changed = time.monotonic()
    assert _title(get(_browser(proxy), "/alice/")) == "alice's stream"  # still the kept one
    while _title(page := get(_browser(proxy), "/alice/")) != "Retro night":
        assert time.monotonic() - changed < SECONDS + 1.5, "the guest page stayed stale"
        time.sleep(0.1)
    assert page.headers["X-Cache-Status"] in {"EXPIRED", "MISS"}
    assert answered_by(proxy.access_log)["cache"] >= 2


def test_a_raid_of_new_guests_is_answered_from_the_cache(proxy, alice, bob):
    addresses = ["/", "/alice/", f"/api/stream/{alice.pk}", f"/api/stream/{alice.pk}/chat"]
    addresses.append(f"/api/live?ids={alice.pk},{bob.pk}")
    for address in addresses:
        statuses = [get(_browser(proxy), address).headers["X-Cache-Status"] for _ in range(5)]
        assert statuses == ["MISS", "HIT", "HIT", "HIT", "HIT"], address
    assert answered_by(proxy.access_log) == {"site": 5, "cache": 20}


def test_a_signed_in_viewers_chat_history_and_every_chat_post_skip_the_cache(proxy, alice, bob):
    Stream.objects.filter(user=alice).update(is_live=True)
    chat = f"/api/stream/{alice.pk}/chat"
    assert get(_browser(proxy), chat).headers["X-Cache-Status"] == "MISS"  # a guest's, kept
    bob_browser = _browser(proxy, bob)
    history = get(bob_browser, chat)
    assert history.headers["X-Cache-Status"] == "BYPASS"
    assert "private" in history.headers["Cache-Control"]
    csrf = get(bob_browser, f"/api/stream/token/{alice.pk}").cookies["csrftoken"]
    for text in ("first", "second"):
        sent = bob_browser.post(
            proxy.url + chat, json={"message": text}, headers={"X-CSRFToken": csrf}, timeout=10
        )
        assert (sent.status_code, sent.headers.get("X-Cache-Status")) == (201, None), sent.text
    assert [m["text"] for m in get(bob_browser, chat).json()["messages"]] == ["first", "second"]


def test_a_signed_in_viewer_is_never_answered_from_the_cache(proxy, alice, bob):
    assert get(_browser(proxy), "/alice/").headers["X-Cache-Status"] == "MISS"
    bob_browser = _browser(proxy, bob)
    for _ in range(2):
        page = get(bob_browser, "/alice/")
        assert page.headers["X-Cache-Status"] == "BYPASS"
        assert "private" in page.headers["Cache-Control"]
        assert _viewer(page) == ("bob", True)  # bob's own page: he follows alice
    guest_page = get(_browser(proxy), "/alice/")
    assert guest_page.headers["X-Cache-Status"] == "HIT"
    assert _viewer(guest_page) == (None, False)


def test_after_a_follow_and_a_block_the_viewers_next_page_shows_it(proxy, alice):
    dave = UserFactory(username="dave")
    get(_browser(proxy), "/alice/")  # the guest page is in the cache
    browser = _browser(proxy, dave)
    followed = post_form(browser, "/alice/follow/", "/alice/")
    assert followed.status_code == 302
    page = get(browser, "/alice/")
    assert page.headers["X-Cache-Status"] == "BYPASS"
    assert "You are now following alice." in page.text and "Unfollow" in page.text
    blocked = post_form(_browser(proxy, alice), "/dave/block/", "/alice/")
    assert blocked.status_code == 302
    assert get(browser, "/alice/").status_code == 404  # alice blocked dave: her channel is gone
    assert get(_browser(proxy), "/alice/").headers["X-Cache-Status"] == "HIT"


def test_what_the_site_never_marks_public_does_not_go_through_the_proxys_cache(proxy, alice):
    """Skipping the cache, a raid's identical token or chat requests are never held by its
    lock, waiting for each other's answer that the cache could not keep anyway."""
    Stream.objects.filter(user=alice).update(is_live=True)
    guest = _browser(proxy)
    for path in (f"/api/stream/token/{alice.pk}", "/robots.txt"):
        assert get(guest, path).headers["X-Cache-Status"] == "BYPASS", path
    assert get(guest, f"/api/stream/{alice.pk}").headers["X-Cache-Status"] == "MISS"


def test_a_guest_chats_through_the_proxy_with_the_csrf_cookie_of_their_viewer_token(
    proxy, alice, settings
):
    settings.TRUSTED_PROXY_COUNT = 1  # nginx appends the address it got the request from
    Stream.objects.filter(user=alice).update(is_live=True)
    guest = _browser(proxy)
    guest.mount("http://", _FromAddress("127.0.0.2"))  # nginx itself is 127.0.0.1 to the site
    page = get(guest, "/alice/")
    assert "csrftoken" not in page.cookies and "csrfmiddlewaretoken" not in page.text
    token = get(guest, f"/api/stream/token/{alice.pk}")
    assert token.headers["X-Cache-Status"] == "BYPASS"  # never kept: one identity per tab
    sent = guest.post(
        f"{guest.base}/api/stream/{alice.pk}/chat",
        json={"message": "hello through the proxy"},
        headers={"X-CSRFToken": guest.cookies["csrftoken"], "X-Forwarded-For": "203.0.113.9"},
        timeout=10,
    )
    assert sent.status_code == 201, sent.text
    # What a ban of this guest would hold on: the address nginx saw, not the one they wrote.
    assert ChatMessage.objects.get().guest_network == "127.0.0.2"


def test_static_files_come_from_nginx_with_far_future_caching_for_hashed_names(proxy, static_root):
    hashed = next(static_root.glob("css/site.*.css"))
    guest = _browser(proxy)
    answer = get(guest, f"/static/css/{hashed.name}")
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert answer.headers["Content-Encoding"] == "gzip"  # whitenoise's .gz, sent as it is
    assert answer.content == hashed.read_bytes()
    assert "X-Cache-Status" not in answer.headers
    plain = get(guest, "/static/css/site.css")
    assert plain.headers["Cache-Control"] == "public, max-age=60"
    assert answered_by(proxy.access_log) == {"disk": 2}


def test_recordings_come_from_disk_with_the_types_the_player_needs(proxy, settings):
    playlist = settings.MEDIA_ROOT / "broadcasts" / "7" / "index.m3u8"
    playlist.parent.mkdir(parents=True)
    playlist.write_text("#EXTM3U\n")
    answer = get(_browser(proxy), "/media/broadcasts/7/index.m3u8")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/vnd.apple.mpegurl"
    assert answer.text == "#EXTM3U\n"


@pytest.mark.parametrize("address", ["/nobody-here/", "/media/broadcasts/9/none.m4s"])
def test_an_unknown_address_gets_the_sites_404_page(proxy, address):
    answer = get(_browser(proxy), address)
    assert answer.status_code == 404
    assert "Page not found" in answer.text


def test_a_static_file_that_is_not_on_disk_is_left_to_the_site(proxy):
    # In production the site's whitenoise finds nothing either and its 404 page answers; the
    # live server answers /static/ with a static handler of its own, without that page.
    get(_browser(proxy), "/static/css/nothing.css")
    assert answered_by(proxy.access_log) == {"site": 1}


@pytest.mark.django_db(transaction=False)
def test_without_nginx_the_proxy_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setattr(proxy_module, "nginx_binary", lambda: None)
    with (
        pytest.raises(SetupError, match=r"run scripts/system-deps\.sh"),
        nginx(1, static_root=tmp_path, media_root=tmp_path, out_dir=tmp_path),
    ):
        pass


@pytest.mark.django_db(transaction=False)
def test_the_template_names_each_value_it_lacks():
    names = set(proxy_module.PLACEHOLDER.findall(proxy_module.TEMPLATE.read_text()))
    values = {name: "x" for name in names - {"NGINX_LISTEN", "NGINX_LOG_DIR"}}
    with pytest.raises(SetupError, match="needs a value for NGINX_LISTEN, NGINX_LOG_DIR"):
        proxy_module.render(values)
