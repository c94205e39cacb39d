"""The directory pages: categories by viewers, a category's and a tag's channels, search by
tag and category, and the category and tags on cards and the channel page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.utils import timezone

from streams.models import Stream
from tests.factories import BlockFactory, CategoryFactory, UserFactory, list_stream

pytestmark = pytest.mark.django_db


def _soup(response) -> BeautifulSoup:
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def _card_users(response) -> list[str]:
    return [p.get_text(strip=True) for p in _soup(response).select(".card-grid .card-user")]


def _categories(response) -> list[tuple[str, str]]:
    return [
        (
            card.select_one(".category-name").get_text(strip=True),
            card.select_one("[data-category-stats]").get_text(strip=True),
        )
        for card in _soup(response).select(".category-card")
    ]


def test_the_directory_lists_categories_most_watched_first_with_channels_and_viewers(
    guest_client,
):
    music, art, games = (CategoryFactory(name=n) for n in ["Music", "Art", "Retro Games"])
    CategoryFactory(name="Just Chatting")
    list_stream(UserFactory(username="m1"), music, live=True, viewers=5)
    list_stream(UserFactory(username="m2"), music, live=True, viewers=1200)
    list_stream(UserFactory(username="a1"), art, live=True, viewers=2000)
    list_stream(UserFactory(username="g1", streamed=True), games)  # offline: not counted
    assert _categories(guest_client.get("/directory/")) == [
        ("Art", "2,000 viewers · 1 live channel"),
        ("Music", "1,205 viewers · 2 live channels"),
        ("Just Chatting", "0 viewers · 0 live channels"),
        ("Retro Games", "0 viewers · 0 live channels"),
    ]


def test_a_category_lists_live_channels_by_viewers_then_the_recently_live(guest_client):
    music = CategoryFactory(name="Music")
    list_stream(UserFactory(username="few"), music, live=True, viewers=2)
    list_stream(UserFactory(username="many"), music, live=True, viewers=40)
    for name, hours in [("yesterday", 24), ("lasthour", 1)]:
        stream = list_stream(UserFactory(username=name), music)
        Stream.objects.filter(pk=stream.pk).update(
            last_live_at=timezone.now() - timedelta(hours=hours)
        )
    list_stream(UserFactory(username="never"), music)  # never live: not listed
    list_stream(UserFactory(username="elsewhere"), CategoryFactory(name="Art"), live=True)
    response = guest_client.get("/directory/music/")
    assert _card_users(response) == ["many", "few", "lasthour", "yesterday"]
    cards = _soup(response).select(".card-viewers")
    assert [c.get_text(strip=True) for c in cards] == ["40 viewers", "2 viewers"]


def test_a_category_shows_24_channels_a_page(guest_client):
    music = CategoryFactory(name="Music")
    for n in range(25):
        list_stream(UserFactory(username=f"host{n:02d}"), music, live=True, viewers=100 - n)
    first = guest_client.get("/directory/music/")
    assert len(_card_users(first)) == 24
    assert _soup(first).select_one("a[rel=next]")["href"] == "?page=2"
    assert _card_users(guest_client.get("/directory/music/?page=2")) == ["host24"]


def test_an_unknown_category_or_tag_is_not_found(guest_client):
    assert guest_client.get("/directory/nothing/").status_code == 404
    assert guest_client.get("/tags/nothing/").status_code == 404


def test_a_tag_lists_its_channels_whatever_the_case_it_is_typed_in(guest_client):
    list_stream(UserFactory(username="quiet"), None, ["SpeedRun"], live=True, viewers=1)
    list_stream(UserFactory(username="loud"), None, ["speedrun"], live=True, viewers=9)
    list_stream(UserFactory(username="other"), None, ["cooking"], live=True)
    response = guest_client.get("/tags/SPEEDRUN/")
    assert _card_users(response) == ["loud", "quiet"]
    assert "SpeedRun" in _soup(response).select_one("h1").get_text()


@pytest.mark.parametrize("blocker", ["host", "viewer"])
def test_a_block_either_way_hides_the_channel_from_the_directory_and_tag_pages(blocker, client_for):
    music = CategoryFactory(name="Music")
    host, viewer = UserFactory(username="host"), UserFactory(username="viewer")
    list_stream(host, music, ["lofi"], live=True, viewers=7)
    list_stream(UserFactory(username="shown"), music, ["lofi"], live=True, viewers=1)
    if blocker == "host":
        BlockFactory(blocker=host, blocked=viewer)
    else:
        BlockFactory(blocker=viewer, blocked=host)
    client = client_for(viewer)
    assert _card_users(client.get("/directory/music/")) == ["shown"]
    assert _card_users(client.get("/tags/lofi/")) == ["shown"]
    assert _categories(client.get("/directory/")) == [("Music", "1 viewer · 1 live channel")]


def test_an_inactive_account_is_not_listed(guest_client):
    music = CategoryFactory(name="Music")
    gone = UserFactory(username="gone")
    list_stream(gone, music, ["lofi"], live=True, viewers=7)
    gone.is_active = False
    gone.save()
    assert _card_users(guest_client.get("/directory/music/")) == []
    assert _card_users(guest_client.get("/tags/lofi/")) == []
    assert _categories(guest_client.get("/directory/")) == [
        ("Music", "0 viewers · 0 live channels")
    ]


def test_search_matches_a_whole_tag_and_part_of_a_category_name_once_per_channel(
    guest_client,
):
    games = CategoryFactory(name="Retro Games")
    list_stream(UserFactory(username="tagged", streamed=True), None, ["Speedrun", "speedrun-any"])
    list_stream(UserFactory(username="filed", streamed=True), games, ["speedrun-glitchless"])
    list_stream(UserFactory(username="both", streamed=True), games, ["retro", "speedrun"])
    assert sorted(_card_users(guest_client.get("/search/?term=SPEEDRUN"))) == ["both", "tagged"]
    assert sorted(_card_users(guest_client.get("/search/?term=retro"))) == ["both", "filed"]
    assert _card_users(guest_client.get("/search/?term=speed")) == []


def test_cards_and_the_channel_page_link_the_category_and_tags_escaped(alice, guest_client):
    rock = CategoryFactory(name="Rock & <b>Roll</b>", slug="rock-and-roll")
    list_stream(alice, rock, ["guitar", "Live-Music"], live=True, viewers=1)
    for url in ["/", "/directory/rock-and-roll/", "/tags/guitar/", "/search/?term=guitar"]:
        listing = _soup(guest_client.get(url)).select_one(".card .card-listing")
        assert listing is not None, url
        assert listing.find_parent("a") is None  # outside the card's own link
        links = [(a.get_text(), a["href"]) for a in listing.select("a")]
        assert links == [
            ("Rock & <b>Roll</b>", "/directory/rock-and-roll/"),
            ("guitar", "/tags/guitar/"),
            ("Live-Music", "/tags/Live-Music/"),
        ]
    channel = guest_client.get("/alice/")
    assert "<b>Roll</b>" not in channel.content.decode()
    links = [(a.get_text(), a["href"]) for a in _soup(channel).select(".channel-listing a")]
    assert links[0] == ("Rock & <b>Roll</b>", "/directory/rock-and-roll/")
    assert links[1:] == [("guitar", "/tags/guitar/"), ("Live-Music", "/tags/Live-Music/")]


def test_the_header_links_to_the_directory(guest_client):
    assert _soup(guest_client.get("/")).select_one("header a[href='/directory/']")


@pytest.mark.parametrize(
    "url", ["/", "/search/?term=host", "/directory/", "/directory/music/", "/tags/lofi/"]
)
def test_pages_with_cards_run_a_constant_number_of_queries(
    url, client_for, django_assert_max_num_queries
):
    client = client_for(UserFactory(username="viewer"))
    music = CategoryFactory(name="Music")

    def grow(count: int) -> None:
        start = Stream.objects.count()
        for n in range(start, start + count):
            host = UserFactory(username=f"host{n}", streamed=True)
            category = music if n % 2 else CategoryFactory(name=f"Category {n}")
            list_stream(host, category, ["lofi", f"tag{n}"], live=n % 3 == 0, viewers=n)

    grow(3)
    with django_assert_max_num_queries(12) as small:
        client.get(url)
    grow(30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200
