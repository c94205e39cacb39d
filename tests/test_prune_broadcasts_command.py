"""manage.py prune_broadcasts: a past broadcast older than its channel's retention goes, with
every file of its recording; recent ones, and open ones, stay."""

from __future__ import annotations

import logging
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.factories import UserFactory
from tests.recordings import STORED_FILES, BroadcastFactory, stored_files
from videos.management.commands.prune_broadcasts import Command
from videos.models import Broadcast, RecordingSettings

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("prune_broadcasts", *args, stdout=out)
    return out.getvalue()


def days_ago(days: float):
    return timezone.now() - timedelta(days=days)


@pytest.fixture
def old_and_recent(alice):
    """alice keeps broadcasts 14 days (the default): one of 15 days ago, one of 13."""
    old = BroadcastFactory(stream=alice.stream, title="Old run", ended_at=days_ago(15))
    recent = BroadcastFactory(stream=alice.stream, title="Recent run", ended_at=days_ago(13))
    return old, recent


def test_a_broadcast_older_than_the_retention_goes_with_its_files(old_and_recent):
    old, recent = old_and_recent
    output = run()
    assert f"Deleted broadcast {old.pk} of alice ('Old run', ended " in output
    assert output.endswith("1 expired broadcast(s) deleted, 3.9 KB of recordings.\n")
    assert list(Broadcast.objects.all()) == [recent]
    assert stored_files(old) == []
    assert stored_files(recent) == sorted(STORED_FILES)


def test_each_channel_keeps_its_broadcasts_as_long_as_it_chose(alice, bob):
    RecordingSettings.objects.create(stream=alice.stream, retention_days=30)
    RecordingSettings.objects.create(stream=bob.stream, retention_days=2)
    dave = UserFactory(username="dave")
    RecordingSettings.objects.create(stream=dave.stream, retention_days=30)
    kept = [
        BroadcastFactory(stream=alice.stream, ended_at=days_ago(29)),
        BroadcastFactory(stream=bob.stream, ended_at=days_ago(1)),
        BroadcastFactory(stream=dave.stream, ended_at=days_ago(20)),
    ]
    gone = [
        BroadcastFactory(stream=alice.stream, ended_at=days_ago(31)),
        BroadcastFactory(stream=bob.stream, ended_at=days_ago(3)),
    ]
    run()
    assert set(Broadcast.objects.all()) == set(kept)
    assert all(stored_files(broadcast) == [] for broadcast in gone)


def test_broadcasts_without_a_recording_and_open_ones_are_handled_too(alice, bob):
    unrecorded = BroadcastFactory(
        stream=alice.stream, ended_at=days_ago(20), state=Broadcast.State.NOT_RECORDED
    )
    live = BroadcastFactory(
        stream=bob.stream, started_at=days_ago(20), ended_at=None, state="recording"
    )
    run()
    assert not Broadcast.objects.filter(pk=unrecorded.pk).exists()
    assert Broadcast.objects.filter(pk=live.pk).exists()


def test_dry_run_deletes_nothing(old_and_recent):
    old, recent = old_and_recent
    output = run("--dry-run")
    assert f"Would delete broadcast {old.pk} of alice ('Old run'" in output
    assert output.endswith("1 expired broadcast(s) would be deleted, 3.9 KB of recordings.\n")
    assert set(Broadcast.objects.all()) == {old, recent}
    assert stored_files(old) == sorted(STORED_FILES)


def test_it_says_when_there_is_nothing_to_delete_and_is_quiet_at_verbosity_0(alice):
    assert run() == "0 expired broadcast(s) deleted, 0 bytes of recordings.\n"
    assert run("--verbosity", "0") == ""


def test_loop_needs_a_positive_interval(db):
    with pytest.raises(CommandError, match="positive"):
        run("--loop", "0")


class Stopped(Exception):
    pass


def test_each_pass_of_the_loop_logs_what_it_deleted_at_info(old_and_recent, monkeypatch, caplog):
    old, _ = old_and_recent
    passes = []

    def pause(self, seconds: float) -> None:
        passes.append(seconds)
        if len(passes) == 2:
            raise Stopped

    monkeypatch.setattr(Command, "pause", pause)
    caplog.set_level(logging.INFO, logger="videos")
    with pytest.raises(Stopped):
        run("--loop", "3600")
    said = [r.getMessage() for r in caplog.records if r.name == Command.__module__]
    assert len(said) == 3
    assert said[0].startswith(f"Deleted broadcast {old.pk} of alice")
    assert said[1:] == [
        "1 expired broadcast(s) deleted, 3.9 KB of recordings.",
        "0 expired broadcast(s) deleted, 0 bytes of recordings.",
    ]
    assert passes == [3600, 3600]


def test_a_broadcast_whose_files_cannot_be_deleted_stays_for_the_next_pass(
    old_and_recent, monkeypatch
):
    old, _ = old_and_recent
    other = BroadcastFactory(stream=old.stream, title="Older", ended_at=days_ago(16))

    def refuse(folder: str) -> int:
        if folder == old.storage_folder:
            raise PermissionError(13, "Permission denied", folder)
        return real(folder)

    from videos import services

    real = services.storage_delete_folder
    monkeypatch.setattr(services, "storage_delete_folder", refuse)
    output = run()
    assert output.endswith(
        "1 expired broadcast(s) deleted, 3.9 KB of recordings; 1 could not be deleted.\n"
    )
    assert Broadcast.objects.filter(pk=old.pk).exists()
    assert not Broadcast.objects.filter(pk=other.pk).exists()
