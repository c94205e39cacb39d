"""The moderation API (delete, timeout, ban) for the host and their moderators, and the
moderation log."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from social.models import Block
from streams.models import ChatBan, ChatMessage, ModerationAction, Stream
from tests.conftest import guest_of
from tests.factories import ChatMessageFactory, ModeratorFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(alice) -> Stream:
    Stream.objects.filter(user=alice).update(is_live=True)
    return Stream.objects.get(user=alice)


@pytest.fixture
def mod(alice):
    return ModeratorFactory(host=alice, user=UserFactory(username="mod")).user


@pytest.fixture
def mod_client(mod, client_for) -> Client:
    return client_for(mod)


def act(client, host, action: str, **body):
    return client.post(f"/api/stream/{host.pk}/{action}", json.dumps(body), "application/json")


def delete(client, message):
    return client.post(f"/api/stream/{message.stream.user_id}/chat/{message.pk}/delete")


def test_a_moderator_deletes_times_out_and_bans_in_their_channel(live, mod_client, alice, bob):
    message = ChatMessageFactory(stream=live, user=bob)
    assert delete(mod_client, message).status_code == 200
    assert ChatMessage.objects.get(pk=message.pk).is_deleted
    assert act(mod_client, alice, "timeout", person=str(bob.pk), seconds=60).status_code == 200
    assert ChatBan.objects.get(user=bob).kind == "timeout"
    assert act(mod_client, alice, "ban", person=str(bob.pk)).status_code == 200
    assert Block.objects.filter(blocker=alice, blocked=bob).exists()


def test_a_moderator_has_no_power_in_another_channel(live, mod_client, bob):
    dave = UserFactory(username="dave")
    message = ChatMessageFactory(stream=dave.stream, user=bob)
    for response in [
        delete(mod_client, message),
        act(mod_client, dave, "timeout", person=str(bob.pk), seconds=60),
        act(mod_client, dave, "ban", person=str(bob.pk)),
    ]:
        assert (response.status_code, response.json()["code"]) == (403, "not_moderator")
    assert not ChatMessage.objects.get(pk=message.pk).is_deleted
    assert not ChatBan.objects.exists() and not Block.objects.filter(blocked=bob).exists()


def test_a_moderator_cannot_act_on_the_host_or_another_moderator(live, mod_client, alice):
    other = ModeratorFactory(host=alice, user=UserFactory(username="othermod")).user
    for target in [alice, other]:
        message = ChatMessageFactory(stream=live, user=target)
        for response in [
            delete(mod_client, message),
            act(mod_client, alice, "timeout", person=str(target.pk), seconds=60),
            act(mod_client, alice, "ban", person=str(target.pk)),
        ]:
            assert (response.status_code, response.json()["code"]) == (403, "protected")
    assert not ChatMessage.objects.filter(is_deleted=True).exists()
    assert not ChatBan.objects.exists() and not Block.objects.exists()


def test_the_host_acts_on_moderators_and_banning_one_ends_their_role(
    live, alice_client, alice, mod
):
    message = ChatMessageFactory(stream=live, user=mod)
    assert delete(alice_client, message).status_code == 200
    assert act(alice_client, alice, "timeout", person=str(mod.pk), seconds=60).status_code == 200
    assert act(alice_client, alice, "ban", person=str(mod.pk)).status_code == 200
    assert not alice.moderators.exists()


def test_nobody_times_out_or_bans_themselves(live, alice_client, mod_client, alice, mod):
    for client, me in [(alice_client, alice), (mod_client, mod)]:
        for action, extra in [("timeout", {"seconds": 60}), ("ban", {})]:
            response = act(client, alice, action, person=str(me.pk), **extra)
            assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert not ChatBan.objects.exists() and not Block.objects.exists()


def test_guests_and_viewers_cannot_moderate(live, bob_client, guest_client, alice, bob):
    message = ChatMessageFactory(stream=live, user=bob)
    for client in [bob_client, guest_client]:
        assert delete(client, message).json()["code"] == "not_moderator"
        response = act(client, alice, "timeout", person=str(bob.pk), seconds=60)
        assert (response.status_code, response.json()["code"]) == (403, "not_moderator")


def test_moderation_needs_a_csrf_token(live, alice, bob, mod):
    client = Client(enforce_csrf_checks=True)
    client.force_login(mod)
    message = ChatMessageFactory(stream=live, user=bob)
    assert delete(client, message).status_code == 403
    assert act(client, alice, "timeout", person=str(bob.pk), seconds=60).status_code == 403
    assert act(client, alice, "ban", person=str(bob.pk)).status_code == 403
    assert not ModerationAction.objects.exists()


def test_every_action_is_recorded_with_who_what_whom_and_when(
    live, alice_client, mod_client, alice, bob, mod
):
    guest = Client()
    guest.get(f"/api/stream/token/{alice.pk}")
    guest.post(f"/api/stream/{alice.pk}/chat", {"message": "spam"})
    person = guest_of(guest).person
    delete(mod_client, ChatMessageFactory(stream=live, user=bob, text="rude words"))
    act(mod_client, alice, "timeout", person=str(bob.pk), seconds=600)
    act(mod_client, alice, "ban", person=person)
    log = list(
        ModerationAction.objects.order_by("pk").values_list(
            "actor_name", "action", "target_name", "target_person", "detail"
        )
    )
    guest_name = guest_of(guest).name
    assert log == [
        ("mod", "delete", "bob", str(bob.pk), "rude words"),
        ("mod", "timeout", "bob", str(bob.pk), "10 minutes"),
        ("mod", "ban", guest_name, person, "guest, and their network for 24 hours"),
    ]
    assert all(entry.created_at for entry in ModerationAction.objects.all())
    page = alice_client.get("/u/alice/moderation/").content.decode()
    for text in ["Deleted a message", "Timed out", "Banned", "rude words", guest_name]:
        assert text in page


def test_the_channel_page_offers_moderation_only_where_one_moderates(mod_client, alice, mod):
    dave = UserFactory(username="dave")

    def page_data(path: str) -> dict:
        response = mod_client.get(path)
        return response.context["page_data"]

    on_alice, on_dave = page_data("/alice/"), page_data(f"/{dave.username}/")
    assert on_alice["viewer"]["role"] == "moderator"
    assert on_alice["moderators"] == [str(mod.pk)]
    assert on_dave["viewer"]["role"] == "viewer"
    assert on_dave["moderators"] == []
