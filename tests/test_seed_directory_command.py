"""seed_directory: the demo categories with generated box art, and the demo streams in them."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from PIL import Image

from directory.models import BOX_ART_SIZE, Category, Listing, Tag
from directory.services import listing_update

pytestmark = pytest.mark.django_db


def _seed(**options) -> None:
    call_command("seed_demo", verbosity=0)
    call_command("seed_directory", verbosity=0, **options)


def test_it_makes_the_demo_categories_with_box_art_and_lists_the_demo_streams():
    _seed()
    assert Category.objects.count() == 5
    games = Category.objects.get(name="Retro Games")
    with games.box_art.open("rb") as stored, Image.open(stored) as image:
        assert (image.format, image.size) == ("WEBP", BOX_ART_SIZE)
    alice = Listing.objects.get(stream__user__username="alice")
    assert alice.category == games
    assert {tag.name for tag in alice.tags.all()} == {"speedrun", "SNES", "English"}


def test_running_it_again_changes_nothing_a_creator_set():
    _seed()
    alice = Listing.objects.get(stream__user__username="alice")
    listing_update(stream=alice.stream, category=None, tag_names=["mine"])
    box_art = Category.objects.get(name="Music").box_art.name
    _seed()
    assert Category.objects.count() == 5
    assert Category.objects.get(name="Music").box_art.name == box_art
    alice.refresh_from_db()
    assert alice.category is None
    assert [tag.name for tag in alice.tags.all()] == ["mine"]


def test_a_dry_run_makes_nothing():
    call_command("seed_demo", verbosity=0)
    call_command("seed_directory", verbosity=0, dry_run=True)
    assert not Category.objects.exists() and not Listing.objects.exists()
    assert not Tag.objects.exists()
