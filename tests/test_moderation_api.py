"""The moderation API (delete, timeout, ban) for the host and their moderators, and the
moderation log."""

from __future__ import annotations

import json
from datetime import UTC

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from social.models import Block
from streams.models import ChatBan, ChatMessage, ModerationAction
from tests.conftest import guest_of
from tests.factories import ChatMessageFactory, ModeratorFactory, UserFactory

pytestmark = pytest.mark.django_db


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


# ---------------------------------------------------------------- one timeout, one ban


def say(client, host, text="hello"):
    return client.post(f"/api/stream/{host.pk}/chat", {"message": text})


def chatting_guest(host) -> Client:
    guest = Client()
    guest.get(f"/api/stream/token/{host.pk}")
    assert say(guest, host, "spam").status_code == 201
    return guest


def test_a_second_timeout_replaces_the_first_in_the_answer_and_in_the_refusal(
    live, alice_client, bob_client, alice, bob
):
    act(alice_client, alice, "timeout", person=str(bob.pk), seconds=86400)
    answer = act(alice_client, alice, "timeout", person=str(bob.pk), seconds=60).json()
    until = timezone.datetime.fromisoformat(answer["until"])
    assert 50 < (until - timezone.now()).total_seconds() <= 60
    refused = say(bob_client, alice)
    assert refused.json()["code"] == "timed_out"
    assert int(refused["Retry-After"]) <= 60
    assert refused.json()["until"] == answer["until"]
    assert ChatBan.objects.count() == 1


def test_a_shorter_timeout_replaces_a_longer_one_for_a_guest_and_their_network_too(
    live, alice_client, alice
):
    guest = chatting_guest(alice)
    person = guest_of(guest).person
    act(alice_client, alice, "timeout", person=person, seconds=86400)
    act(alice_client, alice, "timeout", person=person, seconds=60)
    assert int(say(guest, alice)["Retry-After"]) <= 60
    new_session = Client()
    new_session.get(f"/api/stream/token/{alice.pk}")  # same address
    assert int(say(new_session, alice)["Retry-After"]) <= 60


def test_banning_a_guest_twice_keeps_one_ban_and_one_lift_lets_them_back(live, alice_client, alice):
    guest = chatting_guest(alice)
    person = guest_of(guest).person
    assert act(alice_client, alice, "ban", person=person).status_code == 200
    assert act(alice_client, alice, "ban", person=person).status_code == 200
    assert ChatBan.objects.filter(kind="ban").count() == 1
    page = alice_client.get("/u/alice/moderation/").context
    [ban] = page["bans"]
    alice_client.post("/u/alice/moderation/lift/", {"action": "lift", "id": ban.pk})
    assert guest.get(f"/api/stream/token/{alice.pk}").status_code == 200
    assert say(guest, alice).status_code == 201


def test_the_database_keeps_one_ban_and_one_timeout_per_person_and_channel(alice, bob):
    guest = "guest-" + "a" * 32
    rows = [
        {"kind": "ban", "guest_identity": guest},
        {"kind": "timeout", "guest_identity": guest},
        {"kind": "timeout", "user": bob},
        {"kind": "ban", "user": bob},
    ]
    for row in rows:
        ChatBan.objects.create(host=alice, **row)
        with pytest.raises(IntegrityError), transaction.atomic():
            ChatBan.objects.create(host=alice, **row)
    ChatBan.objects.create(host=UserFactory(), kind="ban", guest_identity=guest)  # elsewhere


def test_timing_out_someone_banned_is_refused_and_changes_nothing(live, alice_client, alice):
    guest = chatting_guest(alice)
    person = guest_of(guest).person
    act(alice_client, alice, "ban", person=person)
    response = act(alice_client, alice, "timeout", person=person, seconds=60)
    assert (response.status_code, response.json()["code"]) == (400, "banned")
    assert list(ChatBan.objects.values_list("kind", flat=True)) == ["ban"]
    assert say(guest, alice).json()["code"] == "banned"


# ---------------------------------------------------------------- lifts and role changes logged


def test_unblocking_a_banned_user_lifts_the_ban_and_is_recorded(
    live, alice_client, bob_client, alice, bob
):
    act(alice_client, alice, "ban", person=str(bob.pk))
    alice_client.post("/bob/unblock/")
    assert say(bob_client, alice).status_code == 201
    assert not ChatBan.objects.exists()
    log = list(ModerationAction.objects.order_by("pk").values_list("actor_name", "action"))
    assert log == [("alice", "ban"), ("alice", "unblock")]
    assert "Unblocked" in alice_client.get("/u/alice/moderation/").content.decode()


def test_blocking_from_the_community_page_is_recorded_once(alice_client, alice, bob):
    alice_client.post("/bob/block/")
    alice_client.post("/bob/block/")
    assert list(ModerationAction.objects.values_list("action", "target_name")) == [("block", "bob")]


@pytest.mark.parametrize("how", ["ban", "block"])
def test_a_ban_or_block_that_ends_a_moderators_role_is_recorded_and_told_to_open_pages(
    livekit_server, host_publisher, live, alice_client, alice, mod, how
):
    room = host_publisher(alice)  # anyone in alice's room
    if how == "ban":
        act(alice_client, alice, "ban", person=str(mod.pk))
    else:
        alice_client.post("/mod/block/")
    ended = ModerationAction.objects.get(action="mod_remove")
    assert (ended.actor_name, ended.target_name, ended.detail) == (
        "alice",
        "mod",
        "ended by the block",
    )
    event = {"type": "moderator", "person": str(mod.pk), "is_moderator": False}
    assert room.wait_for(lambda: event in [json.loads(p.payload) for p in room.received])


def test_a_timeout_ending_another_day_says_the_date_and_gives_the_end_for_local_time(
    live, alice_client, bob_client, alice, bob
):
    act(alice_client, alice, "timeout", person=str(bob.pk), seconds=86400)
    refused = say(bob_client, alice).json()
    until = timezone.datetime.fromisoformat(refused["until"])
    assert 86300 < (until - timezone.now()).total_seconds() <= 86400
    end = until.astimezone(UTC)
    assert f"You are timed out until {end:%Y-%m-%d %H:%M:%S} UTC (" in refused["detail"]


def test_a_second_ban_answers_that_nothing_changed_and_logs_nothing(live, alice_client, alice, bob):
    first = act(alice_client, alice, "ban", person=str(bob.pk)).json()
    second = act(alice_client, alice, "ban", person=str(bob.pk)).json()
    assert (first["already"], second["already"]) == (False, True)
    assert ModerationAction.objects.filter(action="ban").count() == 1
    assert ChatBan.objects.filter(user=bob, kind="ban").count() == 1
