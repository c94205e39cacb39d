"""Go-live notifications from LiveKit's signed webhooks to followers: queued by the webhook,
delivered by the worker (run here in-process; tests/test_notification_worker.py runs the real
`db_worker`), once per broadcast whatever LiveKit repeats or reorders."""

from __future__ import annotations

import time

import pytest
from django.core import mail
from django_tasks_db.models import DBTaskResult

from social import emails, services
from social.models import Notification
from streams import live_status, livekit, rooms
from streams.models import Stream
from tests.factories import BlockFactory, FollowFactory, UserFactory
from tests.test_webhook_view import event, post, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_stream(alice) -> Stream:
    Stream.objects.filter(user=alice).update(ingress_id="IN_alice", title="Any% speedrun")
    return Stream.objects.get(user=alice)


def started(event_id: str, session: str = "IR_one", *, created_at: int | None = None) -> str:
    """ingress_started as livekit-server sends it: the ingress with its state, whose
    resourceId names the session (one per stream from the encoder)."""
    state = {"status": "ENDPOINT_PUBLISHING", "resourceId": session, "startedAt": "1"}
    info = {"ingressId": "IN_alice", "state": state}
    return event("ingress_started", event_id, created_at=created_at, ingressInfo=info)


def ended(event_id: str, session: str = "IR_one", *, created_at: int | None = None) -> str:
    state = {"status": "ENDPOINT_INACTIVE", "resourceId": session}
    info = {"ingressId": "IN_alice", "state": state}
    return event("ingress_ended", event_id, created_at=created_at, ingressInfo=info)


@pytest.fixture
def webhook(django_capture_on_commit_callbacks):
    """POST signed webhooks, running what they leave for after the commit (the enqueue)."""

    def send(*bodies: str) -> list[str]:
        outcomes = []
        for body in bodies:
            with django_capture_on_commit_callbacks(execute=True):
                outcomes.append(post(body, sign(body)).json()["outcome"])
        return outcomes

    return send


def run_worker() -> int:
    """What `manage.py db_worker` does with each queued task, in this process; returns how
    many ran."""
    queued = list(DBTaskResult.objects.ready())
    for result in queued:
        result.task.call(*result.task_result.args, **result.task_result.kwargs)
        result.delete()
    return len(queued)


def notified(channel=None) -> list[str]:
    notifications = Notification.objects.all()
    if channel is not None:
        notifications = notifications.filter(channel=channel)
    return sorted(notifications.values_list("recipient__username", flat=True))


def test_followers_are_notified_by_the_worker_not_by_the_webhook(alice_stream, alice, bob, webhook):
    FollowFactory(follower=UserFactory(username="dave"), following=alice)
    UserFactory(username="erin")  # follows nobody
    assert webhook(started("EV_1")) == ["live"]
    assert notified() == []  # the webhook only queued the delivery
    assert DBTaskResult.objects.ready().count() == 1
    assert run_worker() == 1
    assert notified(alice) == ["bob", "dave"]
    notification = Notification.objects.get(recipient=bob)
    assert (notification.kind, notification.title) == ("live", "Any% speedrun")
    assert notification.read_at is None


def test_a_redelivered_webhook_notifies_once(alice_stream, bob, webhook):
    body = started("EV_1")
    assert webhook(body, body) == ["live", "duplicate"]
    run_worker()
    assert notified() == ["bob"]


def test_ingress_started_again_in_the_same_session_notifies_once(alice_stream, bob, webhook):
    # LiveKit sends ingress_started whenever a session goes from buffering back to
    # publishing: a new event id, a later time, the same broadcast.
    now = int(time.time())
    first, again = started("EV_1", created_at=now), started("EV_2", created_at=now + 5)
    assert webhook(first, again) == ["live", "live"]
    run_worker()
    assert notified() == ["bob"]


def test_the_delivery_running_twice_notifies_and_emails_once(alice_stream, alice, bob, webhook):
    User = type(bob)
    User.objects.filter(pk=bob.pk).update(go_live_emails=True)
    webhook(started("EV_1"))
    (result,) = DBTaskResult.objects.ready()
    for _ in range(2):  # a retried task, or two workers: the rows and their flags decide
        result.task.call(*result.task_result.args, **result.task_result.kwargs)
    assert notified() == ["bob"]
    assert len(mail.outbox) == 1


def test_a_start_arriving_after_the_end_of_its_stream_notifies_nobody(alice_stream, bob, webhook):
    now = int(time.time())
    late_start = started("EV_start", created_at=now - 30)
    assert webhook(ended("EV_end", created_at=now), late_start) == ["offline", "stale"]
    assert run_worker() == 0
    assert notified() == []


def test_a_new_broadcast_notifies_again(alice_stream, bob, webhook):
    now = int(time.time())
    first = [started("EV_1", "IR_one", created_at=now), ended("EV_2", "IR_one", created_at=now)]
    second = [started("EV_3", "IR_two", created_at=now + 60)]
    assert webhook(*first, *second) == ["live", "offline", "live"]
    run_worker()
    assert notified() == ["bob", "bob"]
    assert set(Notification.objects.values_list("broadcast", flat=True)) == {
        "session:IR_one",
        "session:IR_two",
    }


def test_nobody_with_a_block_either_way_is_notified(alice_stream, alice, bob, carol, webhook):
    # Blocking removes follows, but a follow made around it (or in the admin) may remain.
    FollowFactory(follower=carol, following=alice)  # alice blocked carol
    dave = UserFactory(username="dave")
    FollowFactory(follower=dave, following=alice)
    BlockFactory(blocker=dave, blocked=alice)
    webhook(started("EV_1"))
    run_worker()
    assert notified() == ["bob"]


def test_deactivated_followers_are_not_notified(alice_stream, alice, bob, webhook):
    dave = UserFactory(username="dave", is_active=False)
    FollowFactory(follower=dave, following=alice)
    webhook(started("EV_1"))
    run_worker()
    assert notified() == ["bob"]


def test_only_followers_who_turned_emails_on_get_one(alice_stream, alice, bob, webhook):
    dave = UserFactory(username="dave")
    FollowFactory(follower=dave, following=alice)
    type(bob).objects.filter(pk=bob.pk).update(go_live_emails=True)
    webhook(started("EV_1"))
    assert mail.outbox == []  # nothing is sent from the webhook
    run_worker()
    assert notified() == ["bob", "dave"]
    (message,) = mail.outbox
    assert message.to == ["bob@example.com"]
    assert message.subject == "alice is live: Any% speedrun"
    assert "https://stream.example.com/alice/" in message.body
    unsubscribe = message.extra_headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<https://stream.example.com/notifications/unsubscribe/")
    assert unsubscribe.strip("<>") in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html, _ = message.alternatives[0]
    assert 'href="https://stream.example.com/alice/"' in html


def test_emails_turned_off_before_the_worker_ran_are_not_sent(alice_stream, bob, webhook):
    type(bob).objects.filter(pk=bob.pk).update(go_live_emails=True)
    webhook(started("EV_1"))
    type(bob).objects.filter(pk=bob.pk).update(go_live_emails=False)
    run_worker()
    assert notified() == ["bob"]
    assert mail.outbox == []


def test_without_a_site_url_no_email_is_sent_but_the_notification_is(
    alice_stream, bob, webhook, settings, caplog
):
    settings.SITE_URL = ""
    type(bob).objects.filter(pk=bob.pk).update(go_live_emails=True)
    webhook(started("EV_1"))
    run_worker()
    assert notified() == ["bob"]
    assert mail.outbox == []
    assert "DJANGO_SITE_URL is not set" in caplog.text


def test_a_lost_webhook_found_by_reconciling_notifies_once(
    alice_stream, alice, bob, webhook, monkeypatch, django_capture_on_commit_callbacks
):
    ingress = livekit.Ingress(
        "IN_alice", str(alice.pk), "rtmp://x/live", "sk", "rtmp", True, "IR_one"
    )
    publisher = livekit.Participant(rooms.publisher_identity(alice.pk), "alice", "")
    monkeypatch.setattr(livekit, "list_ingresses", lambda room=None: [ingress])
    monkeypatch.setattr(livekit, "list_participants", lambda room: [publisher])
    monkeypatch.setattr(livekit, "send_data", lambda *args, **kwargs: None)
    with django_capture_on_commit_callbacks(execute=True):
        assert [change.now_live for change in live_status.reconcile().changes] == [True]
    run_worker()
    assert notified() == ["bob"]
    # The webhook of that start arrives after all (LiveKit retried it) and is applied (it
    # would be stale if stamped in an earlier second than the reconciliation): same session.
    Stream.objects.filter(pk=alice_stream.pk).update(live_changed_at=None)
    assert webhook(started("EV_late")) == ["live"]
    run_worker()
    assert notified() == ["bob"]


def test_an_email_is_owed_only_to_followers_who_want_one_and_have_an_address(alice, bob):
    User = type(bob)
    dave = UserFactory(username="dave")  # emails off
    erin = UserFactory(username="erin", email="")  # no address to send to
    for follower in (dave, erin):
        FollowFactory(follower=follower, following=alice)
    User.objects.filter(username__in=["bob", "erin"]).update(go_live_emails=True)
    assert services.notify_followers_live(channel=alice, broadcast="b1", title="t") == 3
    owed = Notification.objects.filter(email_pending=True)
    assert list(owed.values_list("recipient__username", flat=True)) == ["bob"]


def test_an_email_owed_to_someone_who_turned_emails_off_since_is_not_sent(alice, bob):
    # Turned off where the settings page's service does not see it (the admin, a shell).
    Notification.objects.create(recipient=bob, channel=alice, broadcast="b1", email_pending=True)
    assert emails.send_live_emails(channel=alice, broadcast="b1") == 0
    assert mail.outbox == []
    assert not Notification.objects.filter(email_pending=True).exists()
