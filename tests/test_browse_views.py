"""The home feed, search, and the sidebar they share."""

from __future__ import annotations

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.utils import timezone

from streams.models import Stream
from tests.factories import BlockFactory, FollowFactory, UserFactory

pytestmark = pytest.mark.django_db


def _card_users(response) -> list[str]:
    soup = BeautifulSoup(response.content, "html.parser")
    return [p.get_text(strip=True) for p in soup.select(".card-grid .card-user")]


def _shown(marker) -> bool:
    """A LIVE marker is always in the page (static/js/live.js toggles it): shown or hidden."""
    return marker is not None and not marker.has_attr("hidden")


def _sidebar(response, heading: str) -> list[str]:
    soup = BeautifulSoup(response.content, "html.parser")
    for section in soup.select(".sidebar-section"):
        if section.h2.get_text(strip=True) == heading:
            return [
                n.get_text(strip=True)
                + (" LIVE" if _shown(n.find_next_sibling(class_="live-dot")) else "")
                for n in section.select(".sidebar-name")
            ]
    return []


def test_home_shows_an_empty_state_without_streams(guest_client):
    response = guest_client.get("/")
    assert response.status_code == 200
    assert "No streams yet." in response.content.decode()


def test_home_shows_cards_live_first_with_a_live_badge(guest_client, alice, bob):
    Stream.objects.filter(user=bob).update(is_live=True, title="Beats")
    response = guest_client.get("/")
    assert _card_users(response) == ["bob", "alice"]
    soup = BeautifulSoup(response.content, "html.parser")
    first_card, second_card = soup.select(".card-grid .card")
    assert _shown(first_card.select_one(".badge-live"))
    assert first_card.select_one(".badge-live").get_text() == "LIVE"
    assert not _shown(second_card.select_one(".badge-live"))
    assert "Beats" in first_card.get_text()


def test_home_hides_streams_of_hosts_who_blocked_the_viewer(carol_client, alice):
    assert "alice" not in _card_users(carol_client.get("/"))


def test_the_viewers_own_channel_is_never_recommended(alice_client, alice):
    UserFactory(username="erin", streamed=True)
    response = alice_client.get("/")
    assert _card_users(response) == ["erin"]
    assert _sidebar(response, "Recommended") == ["erin"]


def test_accounts_that_never_streamed_are_not_recommended(client_for, guest_client, alice):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    viewer = client_for(UserFactory(username="viewer"))
    for response in [guest_client.get("/"), viewer.get("/")]:
        assert _card_users(response) == ["alice"]
        assert _sidebar(response, "Recommended") == ["alice"]
    assert _card_users(guest_client.get("/search/?term=root")) == ["root"]  # still findable


def test_recommendations_are_live_first_then_the_most_recently_live(guest_client, alice):
    erin, fay = UserFactory(username="erin"), UserFactory(username="fay")
    now = timezone.now()
    Stream.objects.filter(user=erin).update(last_live_at=now - timedelta(days=1))
    Stream.objects.filter(user=fay).update(is_live=True, last_live_at=now - timedelta(hours=2))
    response = guest_client.get("/")
    assert _card_users(response) == ["fay", "alice", "erin"]
    assert _sidebar(response, "Recommended") == ["fay LIVE", "alice", "erin"]


def test_home_leaves_out_blocks_either_way(client_for, alice, carol):
    dave = UserFactory(username="dave", streamed=True)
    Stream.objects.filter(user=carol).update(last_live_at=timezone.now())
    BlockFactory(blocker=carol, blocked=dave)
    assert _card_users(client_for(carol).get("/")) == []  # alice blocked her, she blocked dave
    assert _card_users(client_for(alice).get("/")) == ["dave"]  # not carol, whom she blocked
    assert _card_users(client_for(dave).get("/")) == ["alice"]  # not carol, who blocked him


def test_home_paginates_24_streams_per_page(guest_client, db):
    for n in range(30):
        UserFactory(username=f"streamer{n}", streamed=True)
    first = guest_client.get("/")
    second = guest_client.get("/?page=2")
    assert len(_card_users(first)) == 24
    assert len(_card_users(second)) == 6
    assert set(_card_users(first)).isdisjoint(_card_users(second))
    assert guest_client.get("/?page=abc").status_code == 200


def test_home_escapes_html_in_titles(guest_client, alice):
    Stream.objects.filter(user=alice).update(title="<script>alert(1)</script>")
    content = guest_client.get("/").content.decode()
    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


def test_search_with_an_empty_term_redirects_home(guest_client):
    response = guest_client.get("/search/?term=+")
    assert response.status_code == 302
    assert response.url == "/"


def test_search_finds_by_title_and_username(guest_client, alice, bob):
    Stream.objects.filter(user=bob).update(title="Retro games night")
    assert _card_users(guest_client.get("/search/?term=RETRO")) == ["bob"]
    assert _card_users(guest_client.get("/search/?term=alic")) == ["alice"]


def test_search_without_results_says_so(guest_client, alice):
    content = guest_client.get("/search/?term=zzz").content.decode()
    assert "No results found for “zzz”" in content


def test_search_hides_hosts_who_blocked_the_viewer(carol_client):
    assert _card_users(carol_client.get("/search/?term=alice")) == []


def test_sidebar_shows_following_with_live_markers_and_recommended(bob_client, alice, bob):
    UserFactory(username="dave", streamed=True)
    Stream.objects.filter(user=alice).update(is_live=True)
    response = bob_client.get("/")
    assert _sidebar(response, "Following") == ["alice LIVE"]
    assert _sidebar(response, "Recommended") == ["dave"]


def test_sidebar_hides_empty_sections(guest_client, db):
    content = guest_client.get("/").content.decode()
    assert "Following" not in content
    assert "Recommended" not in content


def test_sidebar_recommended_leaves_out_blocks_either_way(client_for, alice, carol):
    dave = UserFactory(username="dave")
    BlockFactory(blocker=dave, blocked=carol)
    FollowFactory(follower=carol, following=UserFactory(username="erin"))
    response = client_for(carol).get("/")
    assert _sidebar(response, "Recommended") == []
    assert _sidebar(response, "Following") == ["erin"]


@pytest.mark.parametrize("url", ["/", "/search/?term=stream"])
def test_browse_pages_run_a_constant_number_of_queries(
    url, client_for, django_assert_max_num_queries
):
    viewer = UserFactory(username="viewer")
    client = client_for(viewer)

    def grow(count: int) -> None:
        start = UserFactory._meta.model.objects.count()
        for n in range(start, start + count):
            host = UserFactory(username=f"host{n}", streamed=True)
            FollowFactory(follower=viewer, following=host)
            UserFactory(username=f"other{n}", streamed=True)  # recommended
            if n % 3 == 0:
                BlockFactory(blocker=host, blocked=UserFactory(username=f"troll{n}"))

    grow(3)
    # Session, user, the viewer's follows and blocks, the feed (count and page), the cards'
    # categories and tags (streams.selectors.CARD_PREFETCHES: two), the sidebar (following
    # and recommended), the bell's unread count: with nothing cached yet.
    with django_assert_max_num_queries(10) as small:
        assert client.get(url).status_code == 200
    grow(30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


def test_a_warm_home_page_runs_no_query_for_a_guest_and_four_for_a_user(
    guest_client, bob_client, alice, django_assert_num_queries
):
    guest_client.get("/")
    bob_client.get("/")
    with django_assert_num_queries(0):
        assert guest_client.get("/").status_code == 200
    # Session, user, bob's follows and blocks, the bell's unread count.
    with django_assert_num_queries(4):
        assert bob_client.get("/").status_code == 200


def test_deactivated_users_disappear_from_the_feed(guest_client, alice, bob):
    bob.is_active = False
    bob.save()
    assert _card_users(guest_client.get("/")) == ["alice"]
    assert guest_client.get("/bob/").status_code == 404


def test_search_with_a_nul_character_says_what_is_wrong(guest_client, alice):
    response = guest_client.get("/search/?term=al%00ice")
    assert response.status_code == 400
    assert "Null characters are not allowed." in response.content.decode()


def test_a_username_no_account_can_have_is_a_404(bob_client, alice):
    for url in ["/al%00ice/", "/u/al%00ice/", "/%ED%A0%80/", "/alice%20/"]:
        assert bob_client.get(url).status_code == 404
    assert bob_client.post("/al%00ice/follow/").status_code == 404


def _card_of(response, username: str):
    soup = BeautifulSoup(response.content, "html.parser")
    for card in soup.select(".card-grid .card"):
        if card.select_one(".card-user").get_text(strip=True) == username:
            return card
    raise AssertionError(f"no card for {username}")


def test_live_cards_come_most_watched_first_and_say_how_many_watch(guest_client, alice, bob):
    Stream.objects.filter(user=alice).update(is_live=True, viewer_count=3)
    Stream.objects.filter(user=bob).update(is_live=True, viewer_count=1204)
    response = guest_client.get("/")
    assert _card_users(response) == ["bob", "alice"]
    assert _card_of(response, "bob").select_one(".card-viewers").get_text() == "1,204 viewers"
    assert _card_of(response, "alice").select_one(".card-viewers").get_text() == "3 viewers"


def test_a_live_card_says_how_long_it_has_been_live(guest_client, alice):
    went_live = timezone.now() - timedelta(hours=1, minutes=23, seconds=45)
    Stream.objects.filter(user=alice).update(
        is_live=True, live_changed_at=went_live, last_live_at=went_live, viewer_count=1
    )
    card = _card_of(guest_client.get("/"), "alice")
    clock = card.select_one(".card-when [data-uptime-since]")
    assert _shown(clock.parent)
    # Rendered at the time of the request; static/js/live.js keeps it ticking from datetime.
    assert clock.get_text() in {"1:23:45", "1:23:46"}
    assert clock["datetime"] == went_live.isoformat()
    assert card.select_one(".card-viewers").get_text() == "1 viewer"


def test_an_offline_card_says_when_it_was_last_live(guest_client, alice):
    ended = timezone.now() - timedelta(days=3, minutes=5)
    Stream.objects.filter(user=alice).update(
        is_live=False, live_changed_at=ended, last_live_at=ended - timedelta(hours=2)
    )
    card = _card_of(guest_client.get("/"), "alice")
    assert card.select_one(".card-viewers") is None
    assert not _shown(card.select_one(".card-when [data-live-marker]"))
    offline = card.select_one(".card-when [data-offline-marker]")
    assert _shown(offline)
    assert offline.get_text(" ", strip=True) == "Last live 3\xa0days ago"
