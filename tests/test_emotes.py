"""Emotes as a channel keeps them: codes of 3 to 25 letters and digits, unique in the channel
(case counts, as on Twitch), at most 50, images stored re-encoded at 28, 56 and 112 pixels,
and only still PNG, WebP or GIF images accepted."""

from __future__ import annotations

import io
import os

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import IntegrityError
from PIL import Image

from emotes import selectors, services
from emotes.drawing import GLOBAL_EMOTES
from emotes.forms import EmoteForm
from emotes.models import MAX_PER_CHANNEL, Emote
from tests.conftest import image_bytes
from tests.factories import EmoteFactory, UserFactory

pytestmark = pytest.mark.django_db


def upload(data: bytes | None = None, name: str = "emote.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes("PNG", (200, 200)) if data is None else data)


def form_for(channel, code: str, data: bytes | None = None, name: str = "emote.png"):
    return EmoteForm({"code": code}, {"image": upload(data, name)}, channel=channel)


def added(channel, code: str):
    """The emote the dashboard's form adds, or None (the form then says why)."""
    form = form_for(channel, code)
    assert form.is_valid(), form.errors
    return form.save()


def noise_png() -> bytes:
    """A real PNG of more than 1 MB (random pixels do not compress)."""
    out = io.BytesIO()
    Image.frombytes("RGB", (700, 700), os.urandom(700 * 700 * 3)).save(out, "PNG")
    return out.getvalue()


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (40, 40), colour) for colour in ("red", "blue")]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


def test_an_uploaded_emote_is_stored_at_28_56_and_112_pixels_as_webp(alice):
    emote = services.emote_create(channel=alice, code="aliceHype", image=upload())
    for field, size in [("image_28", 28), ("image_56", 56), ("image", 112)]:
        with getattr(emote, field).open("rb") as stored, Image.open(stored) as image:
            assert (image.format, image.size) == ("WEBP", (size, size)), field


@pytest.mark.parametrize("image_format", ["PNG", "WEBP", "GIF"])
def test_png_webp_and_still_gif_are_accepted(alice, image_format):
    form = form_for(alice, "Good1", image_bytes(image_format, (64, 64)), f"e.{image_format}")
    assert form.is_valid(), form.errors
    assert form.save() is not None


def test_an_animated_gif_is_refused_with_a_clear_error(alice):
    form = form_for(alice, "Spin", animated_gif(), "spin.gif")
    assert not form.is_valid()
    assert "Animated images are not supported" in form.errors["image"][0]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not an image at all", "Upload a valid image"),
        (image_bytes("JPEG", (40, 40)), "Upload a PNG, WebP or GIF image (this one is JPEG)"),
        (noise_png(), "the limit is 1024 KB"),
    ],
)
def test_a_bad_file_is_refused_with_a_message_saying_why(alice, data, message):
    form = form_for(alice, "Bad1", data)
    assert not form.is_valid()
    assert message in " ".join(form.errors["image"])
    assert not Emote.objects.exists()


@pytest.mark.parametrize("code", ["ab", "a" * 26, "has space", "semi;colon", "<b>", "émote"])
def test_a_code_must_be_3_to_25_letters_and_digits(alice, code):
    form = form_for(alice, code)
    assert not form.is_valid()
    assert "3 to 25 letters and digits" in form.errors["code"][0]


def test_a_code_is_unique_in_its_channel_but_case_counts(alice):
    assert added(alice, "Hype") is not None
    again = form_for(alice, "Hype")
    assert again.is_valid() and again.save() is None
    assert "already have an emote with the code Hype" in again.errors["code"][0]
    assert added(alice, "hype") is not None  # another code, as on Twitch


def test_two_channels_may_use_the_same_code(alice):
    bob = UserFactory(username="bob")
    assert added(alice, "Hype") is not None
    assert added(bob, "Hype") is not None


def test_the_database_refuses_a_duplicate_code_too(alice):
    EmoteFactory(channel=alice, code="Hype")
    with pytest.raises(IntegrityError):
        EmoteFactory(channel=alice, code="Hype")


def test_a_channel_has_at_most_50_emotes_and_the_form_says_so(alice):
    for n in range(MAX_PER_CHANNEL):
        EmoteFactory(channel=alice, code=f"Emote{n}")
    form = form_for(alice, "OneMore")
    assert form.is_valid() and form.save() is None
    assert form.non_field_errors() == [
        "A channel has at most 50 emotes: remove one to add another."
    ]
    with pytest.raises(ValidationError):
        services.emote_create(channel=alice, code="OneMore", image=upload())


def test_a_removed_emotes_images_are_deleted_from_storage(
    alice, django_capture_on_commit_callbacks
):
    emote = services.emote_create(channel=alice, code="Gone1", image=upload())
    storage, names = (
        emote.image.storage,
        [emote.image.name, emote.image_56.name, emote.image_28.name],
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.emote_delete(emote=emote)
    assert not any(storage.exists(name) for name in names)


def test_a_channel_chat_has_its_own_and_the_global_emotes_not_another_channels(alice):
    bob = UserFactory(username="bob")
    EmoteFactory(channel=alice, code="aliceHi")
    EmoteFactory(channel=bob, code="bobHi")
    EmoteFactory(channel=None, code="SiteWave")
    assert set(selectors.emotes_for(alice.pk)) == {"aliceHi", "SiteWave"}
    assert set(selectors.emotes_for(bob.pk)) == {"bobHi", "SiteWave"}


def test_seed_emotes_draws_the_global_emotes_once(db):
    call_command("seed_emotes", verbosity=0)
    call_command("seed_emotes", verbosity=0)
    globals_ = Emote.objects.filter(channel__isnull=True)
    assert sorted(globals_.values_list("code", flat=True)) == sorted(GLOBAL_EMOTES)
    with globals_.first().image_28.open("rb") as stored, Image.open(stored) as image:
        assert image.size == (28, 28)


def test_seed_emotes_dry_run_makes_nothing(db):
    call_command("seed_emotes", "--dry-run", verbosity=0)
    assert not Emote.objects.exists()


def test_an_admin_removes_a_global_emote_and_its_images(
    admin_client, django_capture_on_commit_callbacks
):
    emote = EmoteFactory(channel=None, code="SiteOld")
    storage, name = emote.image.storage, emote.image.name
    assert "SiteOld" in admin_client.get("/admin/emotes/emote/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/emotes/emote/{emote.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Emote.objects.exists() and not storage.exists(name)
