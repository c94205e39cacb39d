from __future__ import annotations

import json
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.utils import timezone

from streams import livekit, services
from streams.models import ChatBan, ChatMessage, ModerationAction, Stream
from tests.factories import ModeratorFactory, UserFactory

User = get_user_model()

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return BeautifulSoup(response.content, "html.parser").get_text()


def run_action(admin_client, action: str, stream: Stream):
    """Run an admin action on one stream from the change list; returns the page after it."""
    return admin_client.post(
        "/admin/streams/stream/",
        {"action": action, "_selected_action": [stream.pk]},
        follow=True,
    )


@pytest.fixture
def admin_client(client_for):
    return client_for(UserFactory(username="root", is_staff=True, is_superuser=True))


def test_a_user_added_in_the_admin_gets_a_stream(admin_client):
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "username": "newcreator",
            "password1": "a-long-password-42",
            "password2": "a-long-password-42",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(username="newcreator").stream.title == "newcreator's stream"


def test_the_admin_refuses_reserved_usernames(admin_client):
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {"username": "api", "password1": "a-long-password-42", "password2": "a-long-password-42"},
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="api").exists()


def test_the_user_admin_searches_by_username_and_email(admin_client, alice, bob):
    content = admin_client.get("/admin/accounts/user/?q=alice@example").content.decode()
    assert "alice" in content
    assert ">bob<" not in content


def test_the_stream_key_never_shows_in_the_stream_admin(admin_client, alice):
    Stream.objects.filter(user=alice).update(
        stream_key="sk_very_secret", ingress_id="IN_abc", server_url="rtmp://127.0.0.1/x"
    )
    stream = Stream.objects.get(user=alice)
    listing = admin_client.get("/admin/streams/stream/")
    change = admin_client.get(f"/admin/streams/stream/{stream.pk}/change/")
    assert listing.status_code == change.status_code == 200
    assert "alice's stream" in _text(listing)
    assert "sk_very_secret" not in listing.content.decode()
    assert "sk_very_secret" not in change.content.decode()
    assert "IN_abc" in change.content.decode()


def test_the_stream_admin_filters_live_streams(admin_client, alice, bob):
    Stream.objects.filter(user=bob).update(is_live=True)
    content = _text(admin_client.get("/admin/streams/stream/?is_live__exact=1"))
    assert "bob's stream" in content
    assert "alice's stream" not in content


def test_ingress_fields_are_read_only_in_the_admin(admin_client, alice):
    stream = Stream.objects.get(user=alice)
    admin_client.post(
        f"/admin/streams/stream/{stream.pk}/change/",
        {
            "title": "Edited",
            "ingress_id": "IN_forged",
            "is_chat_enabled": "on",
            "slow_mode_seconds": "0",
        },
    )
    stream.refresh_from_db()
    assert stream.title == "Edited"
    assert stream.ingress_id is None


@pytest.mark.parametrize("path", ["social/follow", "social/block"])
def test_follow_and_block_admins_list_their_rows(admin_client, bob, carol, path):
    content = admin_client.get(f"/admin/{path}/").content.decode()
    assert "alice" in content


def test_non_staff_users_cannot_open_the_admin(alice_client):
    assert alice_client.get("/admin/streams/stream/").status_code == 302


def test_the_admin_reset_ingress_action_deletes_the_connection(livekit_server, admin_client, alice):
    stream = services.connection_generate(stream=Stream.objects.get(user=alice), kind="rtmp")
    response = run_action(admin_client, "reset_ingress", stream)
    assert "Reset the connection of alice." in _text(response)
    assert livekit.list_ingresses(str(alice.pk)) == []
    assert Stream.objects.get(user=alice).ingress_id is None


def test_the_admin_end_stream_action_reports_livekit_errors(livekit_down, admin_client, alice):
    Stream.objects.filter(user=alice).update(is_live=True)
    stream = Stream.objects.get(user=alice)
    response = run_action(admin_client, "end_stream", stream)
    assert "LiveKit is not reachable" in _text(response)
    assert Stream.objects.get(user=alice).is_live


def test_the_admin_end_stream_action_sets_the_stream_offline(livekit_server, admin_client, alice):
    Stream.objects.filter(user=alice).update(is_live=True)
    stream = Stream.objects.get(user=alice)
    response = run_action(admin_client, "end_stream", stream)
    assert "Ended the stream of alice." in _text(response)
    assert not Stream.objects.get(user=alice).is_live


def test_the_moderation_log_is_shown_in_the_admin_read_only(admin_client, alice):
    entry = ModerationAction.objects.create(
        host=alice, actor=alice, actor_name="alice", action="ban", target_name="guest-01234"
    )
    assert "guest-01234" in _text(admin_client.get("/admin/streams/moderationaction/"))
    assert admin_client.get("/admin/streams/moderationaction/add/").status_code == 403
    change = admin_client.post(
        f"/admin/streams/moderationaction/{entry.pk}/change/", {"target_name": "edited"}
    )
    assert change.status_code == 403
    delete = admin_client.post(
        f"/admin/streams/moderationaction/{entry.pk}/delete/", {"post": "yes"}
    )
    assert delete.status_code == 403
    assert ModerationAction.objects.get().target_name == "guest-01234"


@pytest.mark.parametrize("model", ["moderator", "chatban"])
def test_moderators_and_bans_are_listed_in_the_admin(admin_client, alice, bob, model):
    ModeratorFactory(host=alice, user=bob)
    ChatBan.objects.create(host=alice, kind="timeout", user=bob, name="bob")
    assert "bob" in _text(admin_client.get(f"/admin/streams/{model}/"))


def test_live_status_is_read_only_in_the_stream_admin(admin_client, alice):
    stream = Stream.objects.get(user=alice)
    change = admin_client.get(f"/admin/streams/stream/{stream.pk}/change/").content.decode()
    assert 'name="is_live"' not in change
    admin_client.post(
        f"/admin/streams/stream/{stream.pk}/change/",
        {"title": "Edited", "is_live": "on", "is_chat_enabled": "on", "slow_mode_seconds": "0"},
    )
    stream.refresh_from_db()
    assert stream.title == "Edited"
    assert not stream.is_live


def _message(stream, author, text: str, **fields) -> ChatMessage:
    message = ChatMessage.objects.create(
        stream=stream, user=author, author_name=author.username, text=text
    )
    if fields:
        ChatMessage.objects.filter(pk=message.pk).update(**fields)
    return message


def _listed(response) -> list[str]:
    soup = BeautifulSoup(response.content, "html.parser")
    return [cell.get_text() for cell in soup.select("#result_list td.field-text")]


def test_the_chat_admin_searches_messages_by_text_and_author(admin_client, alice, bob, carol):
    _message(alice.stream, bob, "what a speedrun")
    _message(alice.stream, carol, "hello everyone")
    assert _listed(admin_client.get("/admin/streams/chatmessage/?q=SPEEDRUN")) == [
        "what a speedrun"
    ]
    assert _listed(admin_client.get("/admin/streams/chatmessage/?q=carol")) == ["hello everyone"]


def test_the_chat_admin_filters_messages_by_channel_and_date(admin_client, alice, bob):
    _message(alice.stream, bob, "in alice's chat")
    _message(bob.stream, alice, "in bob's chat")
    _message(bob.stream, alice, "long ago", created_at=timezone.now() - timedelta(days=30))
    by_channel = admin_client.get(f"/admin/streams/chatmessage/?stream__user__id__exact={bob.pk}")
    assert sorted(_listed(by_channel)) == ["in bob's chat", "long ago"]
    week = {  # the filter's "Past 7 days"
        "created_at__gte": (timezone.now() - timedelta(days=7)).isoformat(),
        "created_at__lt": (timezone.now() + timedelta(days=1)).isoformat(),
    }
    recent = admin_client.get("/admin/streams/chatmessage/", week)
    assert sorted(_listed(recent)) == ["in alice's chat", "in bob's chat"]
    listing = admin_client.get("/admin/streams/chatmessage/").content.decode()
    assert "Delete selected messages (hidden for everyone, live)" in listing


def test_deleting_a_message_in_the_admin_hides_it_for_everyone_live(
    livekit_server, host_publisher, admin_client, guest_client, alice, bob
):
    viewer = host_publisher(alice)  # anyone in alice's room
    message = _message(alice.stream, bob, "spam")
    response = admin_client.post(
        f"/admin/streams/chatmessage/{message.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.is_deleted  # kept, hidden: as when the host deletes it
    assert viewer.wait_for(lambda: viewer.received)
    assert json.loads(viewer.received[0].payload) == {"type": "delete", "id": message.pk}
    history = guest_client.get(f"/api/stream/{alice.pk}/chat").json()["messages"]
    assert history == []


def test_deleting_messages_in_bulk_hides_each_live(
    livekit_server, host_publisher, admin_client, alice, bob, carol
):
    viewer = host_publisher(alice)
    spam = [_message(alice.stream, bob, "spam"), _message(alice.stream, carol, "more spam")]
    kept = _message(alice.stream, bob, "a fair question")
    response = admin_client.post(
        "/admin/streams/chatmessage/",
        {"action": "delete_selected", "_selected_action": [m.pk for m in spam], "post": "yes"},
    )
    assert response.status_code == 302
    assert set(ChatMessage.objects.filter(is_deleted=True).values_list("pk", flat=True)) == {
        m.pk for m in spam
    }
    assert not ChatMessage.objects.get(pk=kept.pk).is_deleted
    assert viewer.wait_for(lambda: len(viewer.received) == 2)
    assert {json.loads(p.payload)["id"] for p in viewer.received} == {m.pk for m in spam}
