"""Demo data for `make run`: a few creators with bios, past streams, follows and a block, so
a newcomer sees a populated site, and an operator account for the Django admin. Safe to run
again: existing demo users are left as they are (but for a past stream they lack, which the
home page needs to show them)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone

from social import services as social
from social.models import Block

DEMO_PASSWORD = "demo-password-123"

DEMO_USERS = [
    ("alice", "Speedruns, retro games and the occasional cooking stream.", "Any% practice"),
    ("bob", "Lo-fi beats to code to. Requests welcome.", "Beats and code"),
    ("carol", "Painting landscapes live, one layer at a time.", "Oil painting: alpine lake"),
    ("dave", "", "Just chatting"),
]
DEMO_FOLLOWS = [("bob", "alice"), ("carol", "alice"), ("alice", "bob"), ("dave", "bob")]
DEMO_BLOCKS = [("alice", "dave")]
# A superuser, for the Django admin at /admin/ (not "admin": that name is the admin's route).
DEMO_ADMIN = "operator"
# Hours since each creator last streamed: only channels that have streamed are recommended
# (dave only watches).
DEMO_LAST_LIVE_HOURS_AGO = {"alice": 2, "bob": 5, "carol": 26}


class Command(BaseCommand):
    help = (
        "Create demo creators, follows, a block and an admin account (idempotent) and print "
        "their log-ins."
    )

    def handle(self, *args, **options) -> None:
        self.verbosity = options["verbosity"]
        users = {name: self.ensure_user(name, bio, title) for name, bio, title in DEMO_USERS}
        for follower, following in DEMO_FOLLOWS:
            if not self.blocked_either_way(users[follower], users[following]):
                social.follow_create(follower=users[follower], following=users[following])
        for blocker, blocked in DEMO_BLOCKS:
            social.block_create(blocker=users[blocker], blocked=users[blocked])
        admin = self.ensure_admin()
        if self.verbosity:
            self.stdout.write("Demo log-ins (username / password):")
            for name, _, _ in DEMO_USERS:
                self.stdout.write(f"  {name} / {DEMO_PASSWORD}")
            if admin.is_superuser:
                self.stdout.write(f"  {DEMO_ADMIN} / {DEMO_PASSWORD}  (superuser: /admin/)")
            self.stdout.write("alice has blocked dave, so dave cannot open alice's channel.")

    def ensure_admin(self):
        """The operator's account; one that exists already is left as it is (never promoted)."""
        admin, created = get_user_model().objects.get_or_create(
            username=DEMO_ADMIN,
            defaults={"email": f"{DEMO_ADMIN}@example.com", "is_staff": True, "is_superuser": True},
        )
        if created:
            admin.set_password(DEMO_PASSWORD)
            admin.save(update_fields=["password"])
        return admin

    def ensure_user(self, username: str, bio: str, title: str):
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.com", "bio": bio}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            user.stream.title = title
            user.stream.save(update_fields=["title", "updated_at"])
            if self.verbosity > 1:
                self.stdout.write(f"Created {username}")
        hours_ago = DEMO_LAST_LIVE_HOURS_AGO.get(username)
        if hours_ago is not None and user.stream.last_live_at is None:
            user.stream.last_live_at = timezone.now() - timedelta(hours=hours_ago)
            user.stream.save(update_fields=["last_live_at"])
        return user

    def blocked_either_way(self, a, b) -> bool:
        return Block.objects.between(a, b).exists()
