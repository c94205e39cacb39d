from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from streams import livekit, services
from streams.models import Stream
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("reset_ingresses", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def with_connection(user) -> Stream:
    return services.connection_generate(stream=Stream.objects.get(user=user), kind="rtmp")


def test_it_resets_one_user(livekit_server, alice, bob):
    with_connection(alice)
    bob_stream = with_connection(bob)
    out, _ = run("--user", "ALICE")
    assert "Reset alice" in out
    assert livekit.list_ingresses(str(alice.pk)) == []
    alice_stream = Stream.objects.get(user=alice)
    assert (alice_stream.ingress_id, alice_stream.stream_key, alice_stream.is_live) == (
        None,
        "",
        False,
    )
    assert [i.ingress_id for i in livekit.list_ingresses(str(bob.pk))] == [bob_stream.ingress_id]


def test_it_resets_everyone_with_a_connection_or_marked_live(livekit_server, alice, bob):
    with_connection(alice)
    Stream.objects.filter(user=bob).update(is_live=True)
    UserFactory(username="dave")
    out, _ = run("--all")
    assert out.splitlines() == ["Reset alice", "Reset bob"]
    assert not Stream.objects.filter(is_live=True).exists()
    assert not Stream.objects.exclude(ingress_id=None).exists()


def test_dry_run_changes_nothing(livekit_server, alice):
    stream = with_connection(alice)
    out, _ = run("--all", "--dry-run")
    assert f"Would reset alice (ingress {stream.ingress_id})" in out
    assert Stream.objects.get(user=alice).ingress_id == stream.ingress_id


def test_an_unknown_user_is_a_clear_error(livekit_server, db):
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        run("--user", "nobody")


def test_user_or_all_is_required(db):
    with pytest.raises(CommandError):
        run()


def test_with_a_stubbed_facade_one_failure_is_reported_and_the_rest_continue(
    monkeypatch, alice, bob
):
    """Unit test of the error path: the LiveKit facade is stubbed to fail for alice only."""
    Stream.objects.filter(user__in=[alice, bob]).update(is_live=True)

    def fake_reset(*, stream):
        if stream.user.username == "alice":
            raise livekit.LiveKitError("LiveKit is not reachable at http://127.0.0.1:1.")
        Stream.objects.filter(pk=stream.pk).update(is_live=False)

    monkeypatch.setattr(services, "connection_reset", fake_reset)
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 of 2 user"):
        call_command("reset_ingresses", "--all", stdout=out, stderr=err)
    assert "FAILED alice: LiveKit is not reachable" in err.getvalue()
    assert "Reset bob" in out.getvalue()
    assert not Stream.objects.get(user=bob).is_live
