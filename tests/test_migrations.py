"""Data migrations: what existing streams become."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# Users as they were then too: a column added later (go_live_emails) has no database default.
BEFORE = [("streams", "0004_alter_stream_thumbnail"), ("accounts", "0002_alter_user_avatar")]
AFTER = [("streams", "0007_remove_chat_switches")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_slow_mode_on_becomes_3_seconds_and_followers_only_any_follower():
    try:
        apps = migrate(BEFORE)
        User, Stream = apps.get_model("accounts", "User"), apps.get_model("streams", "Stream")
        switches = {
            "plain": (False, False),
            "slow": (True, False),
            "followers": (False, True),
            "both": (True, True),
        }
        for name, (delayed, followers_only) in switches.items():
            Stream.objects.create(
                user=User.objects.create(username=name),
                title=name,
                is_chat_delayed=delayed,
                is_chat_followers_only=followers_only,
            )
        Stream = migrate(AFTER).get_model("streams", "Stream")
        settings = {
            s.user.username: (
                s.slow_mode_seconds,
                s.followers_only_minutes,
                s.is_chat_signed_in_only,
            )
            for s in Stream.objects.select_related("user")
        }
        assert settings == {
            "plain": (0, None, False),
            "slow": (3, None, False),
            "followers": (0, 0, False),
            "both": (3, 0, False),
        }
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_duplicate_timeouts_and_bans_keep_the_latest_and_chat_bans_of_users_get_their_row():
    try:
        apps = migrate(
            [
                ("streams", "0008_stream_last_live_at"),
                ("social", "0002_notification"),
                ("accounts", "0003_user_go_live_emails"),
            ]
        )
        User, ChatBan = apps.get_model("accounts", "User"), apps.get_model("streams", "ChatBan")
        Block = apps.get_model("social", "Block")
        ModerationAction = apps.get_model("streams", "ModerationAction")
        host, bob, carol = (User.objects.create(username=n) for n in ["host", "bob", "carol"])
        guest = "guest-" + "a" * 32
        for name in ["first", "second"]:
            ChatBan.objects.create(host=host, kind="timeout", user=bob, name=name)
            ChatBan.objects.create(host=host, kind="ban", guest_identity=guest, name=name)
        Block.objects.create(blocker=host, blocked=carol)
        ModerationAction.objects.create(
            host=host, actor=host, actor_name="host", action="ban", target_name="carol",
            target_person=str(carol.pk), detail="blocked by the host",
        )  # fmt: skip
        ChatBan = migrate([("streams", "0009_one_ban_and_one_timeout_per_person")]).get_model(
            "streams", "ChatBan"
        )
        rows = ChatBan.objects.order_by("kind", "name")
        assert [(r.kind, r.name) for r in rows] == [
            ("ban", "carol"),
            ("ban", "second"),
            ("timeout", "second"),
        ]
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_a_person_signed_in_before_the_cached_user_backends_stays_signed_in():
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import Client

    from accounts.models import User

    try:
        apps = migrate([("accounts", "0003_user_go_live_emails")])
        early = apps.get_model("accounts", "User").objects.create(username="early", password="x")
        auth_hash = User(pk=early.pk, password=early.password).get_session_auth_hash()
        keys = []
        for backend in (
            "django.contrib.auth.backends.ModelBackend",
            "allauth.account.auth_backends.AuthenticationBackend",
        ):
            session = SessionStore()
            session[SESSION_KEY], session[BACKEND_SESSION_KEY] = str(early.pk), backend
            session[HASH_SESSION_KEY] = auth_hash
            session.create()
            keys.append(session.session_key)
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
        for key in keys:
            client = Client()
            client.cookies[settings.SESSION_COOKIE_NAME] = key
            assert client.get("/notifications/").status_code == 200, "signed out by the upgrade"
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
