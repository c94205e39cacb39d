from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from social import services
from social.models import Block, Follow
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_following_creates_one_follow(alice):
    dave = UserFactory(username="dave")
    follow, created = services.follow_create(follower=dave, following=alice)
    assert created
    assert Follow.objects.filter(follower=dave, following=alice).count() == 1
    assert follow.following == alice


def test_following_twice_leaves_one_row(alice, bob):
    _, created = services.follow_create(follower=bob, following=alice)
    assert not created
    assert Follow.objects.filter(follower=bob, following=alice).count() == 1


def test_you_cannot_follow_yourself(alice):
    with pytest.raises(services.SocialError, match="cannot follow yourself"):
        services.follow_create(follower=alice, following=alice)
    assert not Follow.objects.exists()


def test_you_cannot_follow_someone_who_blocked_you(alice, carol):
    with pytest.raises(services.SocialError):
        services.follow_create(follower=carol, following=alice)
    assert not Follow.objects.filter(follower=carol).exists()


def test_the_database_refuses_self_follows_and_self_blocks(alice):
    with pytest.raises(IntegrityError), transaction.atomic():
        Follow.objects.create(follower=alice, following=alice)
    with pytest.raises(IntegrityError), transaction.atomic():
        Block.objects.create(blocker=alice, blocked=alice)


def test_unfollowing_someone_you_do_not_follow_is_a_no_op(alice):
    dave = UserFactory(username="dave")
    assert services.follow_delete(follower=dave, following=alice) is False


def test_unfollowing_removes_the_follow(alice, bob):
    assert services.follow_delete(follower=bob, following=alice) is True
    assert not Follow.objects.filter(follower=bob).exists()


def test_blocking_removes_follows_in_both_directions(alice, bob):
    services.follow_create(follower=alice, following=bob)
    _, created = services.block_create(blocker=alice, blocked=bob)
    assert created
    assert not Follow.objects.filter(follower=bob, following=alice).exists()
    assert not Follow.objects.filter(follower=alice, following=bob).exists()


def test_unblocking_does_not_restore_follows(alice, bob):
    services.block_create(blocker=alice, blocked=bob)
    assert services.block_delete(blocker=alice, blocked=bob) is True
    assert not Block.objects.exists()
    assert not Follow.objects.exists()


def test_blocking_twice_leaves_one_row_and_unblocking_twice_is_a_no_op(alice, carol):
    _, created = services.block_create(blocker=alice, blocked=carol)
    assert not created
    assert Block.objects.filter(blocker=alice, blocked=carol).count() == 1
    assert services.block_delete(blocker=alice, blocked=carol) is True
    assert services.block_delete(blocker=alice, blocked=carol) is False


def test_you_cannot_block_yourself(alice):
    with pytest.raises(services.SocialError, match="cannot block yourself"):
        services.block_create(blocker=alice, blocked=alice)


def test_deleting_a_user_removes_their_follows_and_blocks(alice, bob, carol):
    alice.delete()
    assert not Follow.objects.exists()
    assert not Block.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_follow_requests_leave_one_row_and_raise_nothing():
    alice = UserFactory(username="alice")
    bob = UserFactory(username="bob")
    barrier = threading.Barrier(4)
    results, errors = [], []

    def follow() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(services.follow_create(follower=bob, following=alice)[1])
        except Exception as error:  # collected and asserted on below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=follow) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert results.count(True) == 1
    assert Follow.objects.filter(follower=bob, following=alice).count() == 1
