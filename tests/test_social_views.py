"""The follow, unfollow, block and unblock endpoints on channel pages."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from social.models import Block, Follow
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_following_redirects_back_with_a_message(alice):
    dave = UserFactory(username="dave")
    client = Client()
    client.force_login(dave)
    response = client.post("/alice/follow/")
    assert response.status_code == 302
    assert response.url == "/alice/"
    assert "You are now following alice." in _messages(response)
    assert Follow.objects.filter(follower=dave, following=alice).exists()


def test_following_twice_says_so_and_keeps_one_row(bob_client, alice, bob):
    response = bob_client.post("/alice/follow/")
    assert "You already follow alice." in _messages(response)
    assert Follow.objects.filter(follower=bob, following=alice).count() == 1


def test_following_yourself_is_refused_with_a_message(alice_client, alice):
    response = alice_client.post("/alice/follow/")
    assert response.status_code == 302
    assert "You cannot follow yourself." in _messages(response)
    assert not Follow.objects.filter(follower=alice).exists()


def test_unfollowing_removes_the_follow(bob_client, bob):
    response = bob_client.post("/alice/unfollow/")
    assert "You unfollowed alice." in _messages(response)
    assert not Follow.objects.filter(follower=bob).exists()


def test_unfollowing_someone_you_do_not_follow_says_so(alice, client_for):
    response = client_for(UserFactory(username="dave")).post("/alice/unfollow/")
    assert response.status_code == 302
    assert "You were not following alice." in _messages(response)


def test_a_blocked_viewer_cannot_follow_and_gets_the_unknown_user_404(carol_client, carol):
    assert carol_client.post("/alice/follow/").status_code == 404
    assert not Follow.objects.filter(follower=carol).exists()


def test_a_guest_who_follows_is_sent_to_log_in_and_back_to_the_channel(guest_client, alice):
    response = guest_client.post("/alice/follow/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=/alice/")
    assert not Follow.objects.exists()


def test_follow_endpoints_only_accept_post(bob_client):
    assert bob_client.get("/alice/follow/").status_code == 405
    assert bob_client.get("/alice/block/").status_code == 405


@pytest.mark.parametrize("action", ["follow", "unfollow", "block", "unblock"])
def test_every_social_endpoint_enforces_csrf(alice, bob, action):
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)
    before = (Follow.objects.count(), Block.objects.count())
    assert client.post(f"/alice/{action}/").status_code == 403
    assert (Follow.objects.count(), Block.objects.count()) == before


def test_blocking_redirects_back_with_a_message_and_removes_follows(alice_client, alice, bob):
    response = alice_client.post("/bob/block/", {"next": "/bob/"})
    assert response.url == "/bob/"
    assert "Blocked bob." in _messages(response)
    assert Block.objects.filter(blocker=alice, blocked=bob).exists()
    assert not Follow.objects.exists()


def test_blocking_yourself_is_refused_with_a_message(alice_client, alice):
    response = alice_client.post("/alice/block/")
    assert "You cannot block yourself." in _messages(response)
    assert not Block.objects.exists()


def test_unblocking_goes_back_to_the_community_page(alice_client, alice, carol):
    response = alice_client.post("/carol/unblock/")
    assert response.url == "/u/alice/community/"
    assert "Unblocked carol." in _messages(response)
    assert not Block.objects.exists()


def test_redirects_never_leave_the_site(alice_client, bob):
    response = alice_client.post("/bob/block/", {"next": "https://evil.example.com/"})
    assert response.url == "/u/alice/community/"


def test_blocking_an_unknown_user_is_a_404(alice_client):
    assert alice_client.post("/nobody/block/").status_code == 404
