"""Named people used across the suite: alice the creator, bob who follows her, carol whom
she blocked, and a guest (anonymous client)."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from PIL import Image

from tests.factories import BlockFactory, FollowFactory, UserFactory


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", bio="Speedruns and retro games.")


@pytest.fixture
def bob(alice):
    bob = UserFactory(username="bob")
    FollowFactory(follower=bob, following=alice)
    return bob


@pytest.fixture
def carol(alice):
    carol = UserFactory(username="carol")
    BlockFactory(blocker=alice, blocked=carol)
    return carol


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def client_for():
    return _client_for


@pytest.fixture
def alice_client(alice) -> Client:
    return _client_for(alice)


@pytest.fixture
def bob_client(bob) -> Client:
    return _client_for(bob)


@pytest.fixture
def carol_client(carol) -> Client:
    return _client_for(carol)


@pytest.fixture
def guest_client(db) -> Client:
    return Client()


def image_bytes(image_format: str = "PNG", size: tuple[int, int] = (32, 18)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (145, 71, 255)).save(buffer, format=image_format)
    return buffer.getvalue()
