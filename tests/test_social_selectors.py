"""Reads of follows and blocks, and the QuerySet rules every other query builds on."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from social import selectors
from social.models import Block, Follow
from tests.factories import BlockFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_blocked_users_filter_by_username(alice, carol):
    BlockFactory(blocker=alice, blocked=UserFactory(username="dave"))
    assert [b.blocked.username for b in selectors.blocked_users_of(alice, "CAR")] == ["carol"]
    assert len(selectors.blocked_users_of(alice)) == 2


def test_hiding_is_one_way_and_never_applies_to_guests(alice, carol):
    assert Block.objects.hiding(alice, carol).exists()  # alice blocked carol
    assert not Block.objects.hiding(carol, alice).exists()
    assert not Block.objects.hiding(alice, AnonymousUser()).exists()


def test_blocks_between_two_people_count_either_way(alice, carol, bob):
    assert Block.objects.between(alice, carol).count() == 1
    assert Block.objects.between(carol, alice).count() == 1
    assert not Block.objects.between(alice, bob).exists()


def test_following_and_follower_counts(alice, bob):
    assert selectors.is_following(bob, alice)
    assert not selectors.is_following(alice, bob)
    assert not selectors.is_following(AnonymousUser(), alice)
    assert selectors.follower_count(alice) == 1
    assert Follow.objects.between(alice, bob).count() == 1
