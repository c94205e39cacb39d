"""Categories and tags in the Django admin."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from directory.models import Category
from tests.conftest import image_bytes
from tests.factories import CategoryFactory, list_stream

pytestmark = pytest.mark.django_db


def test_an_operator_adds_a_category_with_box_art(admin_client):
    page = admin_client.get("/admin/directory/category/add/").content.decode()
    assert "prepopulated" in page  # the slug follows the name as it is typed
    upload = SimpleUploadedFile("art.png", image_bytes(size=(600, 800)), "image/png")
    response = admin_client.post(
        "/admin/directory/category/add/", {"name": "Art", "slug": "art", "box_art": upload}
    )
    assert response.status_code == 302
    assert Category.objects.get(slug="art").box_art.name.endswith(".webp")


def test_the_category_list_searches_and_counts_channels(admin_client, alice):
    list_stream(alice, CategoryFactory(name="Retro Games"))
    CategoryFactory(name="Music")
    page = admin_client.get("/admin/directory/category/?q=retro").content.decode()
    assert "Retro Games" in page and "Music" not in page


def test_the_tag_list_searches(admin_client, alice):
    list_stream(alice, None, ["speedrun", "lofi"])
    page = admin_client.get("/admin/directory/tag/?q=speed").content.decode()
    assert "speedrun" in page and "lofi" not in page


def test_renaming_a_category_in_the_admin_shows_on_cached_pages_at_once(
    admin_client, alice, guest_client
):
    games = CategoryFactory(name="Retro Games")
    list_stream(alice, games)
    assert "Retro Games" in guest_client.get("/alice/").content.decode()
    response = admin_client.post(
        f"/admin/directory/category/{games.pk}/change/", {"name": "Old Games", "slug": games.slug}
    )
    assert response.status_code == 302
    page = guest_client.get("/alice/").content.decode()
    assert "Old Games" in page and "Retro Games" not in page
