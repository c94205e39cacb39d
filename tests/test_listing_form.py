"""The dashboard's "Category and tags" form (directory.views.dashboard_listing)."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.test import Client

from directory.models import Listing, Tag
from streams.models import Stream
from tests.factories import CategoryFactory, list_stream

pytestmark = pytest.mark.django_db

URL = "/u/alice/listing/"


def _post(client, category: str = "", tags: str = ""):
    return client.post(URL, {"listing-category": category, "listing-tags": tags})


def _field_errors(response, name: str) -> list[str]:
    soup = BeautifulSoup(response.content, "html.parser")
    box = soup.find(id=f"id_listing-{name}_error")
    return [p.get_text(strip=True) for p in box.select(".error")] if box else []


def _listing(user):
    listing = Listing.objects.filter(stream__user=user).first()
    if listing is None:
        return None, []
    return listing.category, sorted(tag.name for tag in listing.tags.all())


def test_the_stream_page_shows_the_form_with_the_categories_to_pick_from(alice_client):
    CategoryFactory(name="Retro Games")
    page = BeautifulSoup(alice_client.get("/u/alice/").content, "html.parser")
    form = page.find("form", action=URL)
    assert form.find("input", {"name": "listing-category", "list": "category-choices"})
    assert [o["value"] for o in page.select("datalist#category-choices option")] == ["Retro Games"]


def test_it_saves_the_category_any_case_and_the_tags(alice, alice_client):
    games = CategoryFactory(name="Retro Games")
    response = _post(alice_client, "retro games", "speedrun, SNES  English")
    assert response.status_code == 302 and response.url == "/u/alice/"
    assert _listing(alice) == (games, ["English", "SNES", "speedrun"])
    page = alice_client.get("/u/alice/").content.decode()
    assert "Category and tags saved." in page
    assert 'value="Retro Games"' in page


def test_an_empty_category_is_none_and_duplicate_tags_are_dropped_keeping_the_first(
    alice, alice_client
):
    Tag.objects.create(name="Speedrun")
    _post(alice_client, "", "speedrun SPEEDRUN retro Retro")
    assert _listing(alice) == (None, ["Speedrun", "retro"])  # an existing tag keeps its name


@pytest.mark.parametrize(
    "tags, error",
    [
        (" ".join(f"tag{n}" for n in range(11)), "At most 10 tags (11 given)."),
        ("fine x", "“x” is not a tag"),
        ("fine c++", "“c++” is not a tag"),
        ("a" * 26, f"“{'a' * 26}” is not a tag"),
    ],
)
def test_tags_outside_the_limits_are_refused_with_a_field_error_and_nothing_saved(
    alice, alice_client, tags, error
):
    list_stream(alice, CategoryFactory(name="Music"), ["kept"])
    response = _post(alice_client, "Art", tags)
    assert response.status_code == 400
    assert any(e.startswith(error) for e in _field_errors(response, "tags"))
    assert _listing(alice)[1] == ["kept"]
    assert _listing(alice)[0].name == "Music"
    assert not Tag.objects.exclude(name="kept").exists()


def test_an_unknown_category_is_a_field_error_and_nothing_is_saved(alice, alice_client):
    response = _post(alice_client, "Knitting <live>", "yarn")
    assert response.status_code == 400
    assert _field_errors(response, "category") == [
        "There is no category named “Knitting <live>”: pick one from the list."
    ]
    assert "Knitting <live>" not in response.content.decode()  # escaped
    assert _listing(alice) == (None, [])


def test_changing_it_while_live_shows_on_the_cached_pages_at_once(
    alice, alice_client, guest_client
):
    music, art = CategoryFactory(name="Music"), CategoryFactory(name="Art")
    list_stream(alice, music, ["before"], live=True, viewers=3)
    assert "before" in guest_client.get("/").content.decode()
    assert "before" in guest_client.get("/alice/").content.decode()
    _post(alice_client, "Art", "after")
    for url in ["/", "/alice/"]:
        page = guest_client.get(url).content.decode()
        assert "after" in page and "before" not in page
    assert _listing(alice)[0] == art
    assert Stream.objects.get(user=alice).is_live


def test_another_user_cannot_change_it(alice, bob_client):
    response = _post(bob_client, "", "hijack")
    assert response.status_code == 404
    assert _listing(alice) == (None, [])


def test_a_guest_is_sent_to_log_in(alice, guest_client):
    response = _post(guest_client, "", "hijack")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    assert _listing(alice) == (None, [])


def test_a_post_without_the_csrf_token_is_refused(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = _post(client, "", "forged")
    assert response.status_code == 403
    assert _listing(alice) == (None, [])


def test_a_get_goes_back_to_the_stream_page(alice_client):
    response = alice_client.get(URL)
    assert response.status_code == 302 and response.url == "/u/alice/"
