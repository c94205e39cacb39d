"""Categories and tags: one per name whatever the case, box art at the size shown."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from PIL import Image

from directory.box_art import generated_box_art
from directory.models import BOX_ART_SIZE, Category, Tag
from directory.services import tag_get_or_create
from tests.conftest import image_bytes

pytestmark = pytest.mark.django_db


def test_a_category_name_is_unique_whatever_the_case():
    Category.objects.create(name="Music", slug="music")
    with pytest.raises(IntegrityError), transaction.atomic():
        Category.objects.create(name="MUSIC", slug="music-2")


def test_a_category_named_as_another_in_other_case_is_a_clear_validation_error():
    Category.objects.create(name="Music", slug="music")
    with pytest.raises(ValidationError) as refused:
        Category(name="mUsIc", slug="music-2").full_clean()
    assert "A category with this name already exists." in str(refused.value)


def test_the_admin_refuses_a_category_named_as_another_with_a_form_error(admin_client):
    Category.objects.create(name="Music", slug="music")
    response = admin_client.post(
        "/admin/directory/category/add/", {"name": "music", "slug": "music-again"}
    )
    assert response.status_code == 200
    assert "A category with this name already exists." in response.content.decode()
    assert Category.objects.count() == 1


def test_a_tag_name_is_unique_whatever_the_case_and_keeps_its_first_spelling():
    first = tag_get_or_create("SpeedRun")
    assert tag_get_or_create("speedrun") == first
    assert Tag.objects.get().name == "SpeedRun"
    with pytest.raises(IntegrityError), transaction.atomic():
        Tag.objects.create(name="SPEEDRUN")


@pytest.mark.parametrize("name", ["a", "x" * 26, "no spaces", "bad!"])
def test_a_tag_name_outside_the_rules_is_invalid(name):
    with pytest.raises(ValidationError):
        Tag(name=name).full_clean()


def test_uploaded_box_art_is_stored_portrait_at_the_size_shown():
    upload = SimpleUploadedFile("art.png", image_bytes(size=(800, 600)), "image/png")
    category = Category.objects.create(name="Art", slug="art", box_art=upload)
    with category.box_art.open("rb") as stored, Image.open(stored) as image:
        assert image.format == "WEBP"
        assert image.size == BOX_ART_SIZE


def test_generated_box_art_is_the_same_for_the_same_name_and_differs_by_name():
    music = generated_box_art("Music")
    assert music == generated_box_art("Music")
    assert music != generated_box_art("Art")
    with Image.open(io.BytesIO(music)) as image:
        assert image.size == BOX_ART_SIZE
