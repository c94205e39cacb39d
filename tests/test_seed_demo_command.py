from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from social.models import Block, Follow
from streams.management.commands.seed_demo import DEMO_PASSWORD

User = get_user_model()

pytestmark = pytest.mark.django_db


def test_it_creates_creators_follows_and_a_block_and_prints_the_log_ins(client):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert User.objects.filter(username__in=["alice", "bob", "carol", "dave"]).count() == 4
    assert Follow.objects.filter(follower__username="bob", following__username="alice").exists()
    assert Block.objects.filter(blocker__username="alice", blocked__username="dave").exists()
    assert f"alice / {DEMO_PASSWORD}" in out.getvalue()
    response = client.post("/accounts/login/", {"login": "bob", "password": DEMO_PASSWORD})
    assert response.status_code == 302


def test_running_it_twice_changes_nothing():
    call_command("seed_demo", stdout=StringIO())
    counts = (User.objects.count(), Follow.objects.count(), Block.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (User.objects.count(), Follow.objects.count(), Block.objects.count()) == counts


def test_the_demo_creators_have_streamed_so_the_home_page_shows_them(client):
    call_command("seed_demo", stdout=StringIO())
    content = client.get("/").content.decode()
    assert all(name in content for name in ["alice", "bob", "carol"])
