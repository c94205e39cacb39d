from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from social.models import Block, Follow
from streams.management.commands.seed_demo import DEMO_ADMIN, DEMO_PASSWORD
from tests.factories import UserFactory

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


def test_it_creates_an_admin_account_and_prints_its_log_in(client):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert f"{DEMO_ADMIN} / {DEMO_PASSWORD}" in out.getvalue()
    assert client.login(username=DEMO_ADMIN, password=DEMO_PASSWORD)
    assert client.get("/admin/").status_code == 200  # the Django admin, not its log-in page


def test_it_never_makes_an_existing_account_of_that_name_an_admin():
    UserFactory(username=DEMO_ADMIN)
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert not User.objects.get(username=DEMO_ADMIN).is_superuser
    assert DEMO_ADMIN not in out.getvalue()
