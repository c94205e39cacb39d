from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError

from accounts.avatars import avatar_color, initials
from accounts.validators import RESERVED_USERNAMES
from tests.factories import UserFactory

User = get_user_model()

pytestmark = pytest.mark.django_db


def _validate(username: str) -> None:
    User(username=username, email="x@example.com").full_clean(exclude=["password"])


@pytest.mark.parametrize("username", ["abc", "a_b-c", "X" * 30, "Alice_99"])
def test_it_accepts_valid_usernames(username):
    _validate(username)


@pytest.mark.parametrize("username", ["ab", "x" * 31, "has space", "dot.name", "émile", "a/b"])
def test_it_refuses_malformed_usernames(username):
    with pytest.raises(ValidationError) as error:
        _validate(username)
    assert "username" in error.value.message_dict


@pytest.mark.parametrize(
    "username", ["u", "api", "admin", "accounts", "search", "static", "media", "healthz"]
)
def test_it_refuses_usernames_that_collide_with_site_routes(username):
    assert username in RESERVED_USERNAMES
    with pytest.raises(ValidationError):
        _validate(username)
    with pytest.raises(ValidationError) as error:
        _validate(username.upper() if len(username) >= 3 else username)
    assert "username" in error.value.message_dict


def test_usernames_are_unique_ignoring_case():
    UserFactory(username="alice")
    with pytest.raises(ValidationError):
        _validate("ALICE")
    with pytest.raises(IntegrityError):
        User.objects.create_user(username="Alice", email="other@example.com")


def test_the_primary_key_is_a_uuid():
    user = UserFactory()
    assert len(str(user.pk)) == 36


def test_a_bio_longer_than_300_characters_is_refused():
    user = UserFactory()
    user.bio = "x" * 301
    with pytest.raises(ValidationError) as error:
        user.full_clean()
    assert "bio" in error.value.message_dict


def test_every_new_user_gets_a_stream_named_after_them_from_a_factory():
    user = UserFactory(username="dave")
    assert user.stream.title == "dave's stream"
    assert not user.stream.is_live


def test_every_new_user_gets_a_stream_from_create_user_and_create_superuser():
    user = User.objects.create_user("erin", "erin@example.com", "pw-1234567")
    admin = User.objects.create_superuser("frank", "frank@example.com", "pw-1234567")
    assert user.stream.title == "erin's stream"
    assert admin.stream.title == "frank's stream"


def test_every_new_user_gets_a_stream_from_the_createsuperuser_command(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-admin-password-1")
    call_command(
        "createsuperuser",
        interactive=False,
        username="grace",
        email="grace@example.com",
        verbosity=0,
    )
    assert User.objects.get(username="grace").stream.title == "grace's stream"


def test_saving_an_existing_user_does_not_create_a_second_stream():
    user = UserFactory()
    user.bio = "updated"
    user.save()
    assert type(user.stream).objects.filter(user=user).count() == 1


def test_the_initials_avatar_colour_is_stable_and_depends_on_the_username():
    assert avatar_color("alice") == avatar_color("alice") == avatar_color("ALICE")
    colours = {avatar_color(name) for name in ["alice", "bob", "carol", "dave", "erin"]}
    assert len(colours) > 1
    assert initials("alice") == "AL"
    assert initials("_x") == "X"
