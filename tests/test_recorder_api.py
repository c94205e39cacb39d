"""The site's side of recording (docs/recording.md): a stream going live is a broadcast to
record, the recorder asks with its service token and gets a hidden subscribe-only token, and
its reports move the recording along."""

from __future__ import annotations

import time
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from livekit import api

from streams.models import Stream
from tests.test_go_live_notifications import run_worker
from videos.models import Broadcast, RecordingSettings

JOBS = "/api/recorder/jobs"


def service_token(*, subject: str = "recorder", lifetime: int = 60, secret: str = "") -> str:
    now = int(time.time())
    claims = {"iss": settings.LIVEKIT_API_KEY, "sub": subject, "nbf": now, "exp": now + lifetime}
    return jwt.encode(claims, secret or settings.LIVEKIT_API_SECRET, algorithm="HS256")


def as_recorder(client, path: str, body: dict | None = None, **token):
    headers = {"Authorization": f"Bearer {service_token(**token)}"}
    if body is None:
        return client.get(path, headers=headers)
    return client.post(path, body, content_type="application/json", headers=headers)


def go_live(stream: Stream, live: bool = True, *, on_commit, cause: str = "") -> None:
    """Live or offline, as a webhook would: offline is the encoder stopping unless `cause`
    says otherwise."""
    cause = cause or ("ingress_started" if live else "ingress_ended")
    with on_commit(execute=True):
        Stream.objects.filter(pk=stream.pk).set_live(live=live, at=timezone.now(), cause=cause)


@pytest.fixture
def alice_stream(alice) -> Stream:
    return alice.stream


@pytest.mark.parametrize(
    "token",
    [
        None,
        {"secret": "another-secret-of-at-least-thirty-two-chars"},
        {"subject": "someone-else"},
        {"lifetime": 6 * 3600},  # a viewer's token lives this long
    ],
    ids=["no token", "wrong secret", "not the recorder", "long-lived"],
)
def test_only_the_recorder_may_ask_what_to_record(client, alice_stream, token):
    response = client.get(JOBS) if token is None else as_recorder(client, JOBS, **token)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


def test_a_stream_that_goes_live_is_a_broadcast_the_recorder_joins_hidden(
    client, alice_stream, django_capture_on_commit_callbacks
):
    alice_stream.title = "Any% practice"
    alice_stream.save()
    go_live(alice_stream, on_commit=django_capture_on_commit_callbacks)

    broadcast = Broadcast.objects.get(stream=alice_stream)
    assert (broadcast.title, broadcast.state) == ("Any% practice", "waiting")
    [job] = as_recorder(client, JOBS).json()["jobs"]
    assert job["broadcast"] == str(broadcast.pk)
    assert job["room"] == str(alice_stream.user_id)
    claims = api.TokenVerifier(settings.LIVEKIT_API_KEY, settings.LIVEKIT_API_SECRET).verify(
        job["token"]
    )
    assert claims.identity == f"recorder-{broadcast.pk}"
    assert claims.video.hidden and claims.video.can_subscribe and claims.video.room_join
    assert claims.video.recorder  # so that it does not keep the room open by itself
    assert not claims.video.can_publish and not claims.video.can_publish_data


def test_a_stream_that_ends_is_no_longer_recorded_and_is_finalised_if_the_recorder_is_gone(
    client, alice_stream, django_capture_on_commit_callbacks
):
    go_live(alice_stream, on_commit=django_capture_on_commit_callbacks)
    go_live(alice_stream, False, on_commit=django_capture_on_commit_callbacks)

    assert as_recorder(client, JOBS).json()["jobs"] == []
    broadcast = Broadcast.objects.get(stream=alice_stream)
    assert broadcast.ended_at is not None
    # Queued for later: if the recorder never says it closed the recording, the worker
    # keeps what is on disk (here nothing: the broadcast says why).
    [queued] = DBTaskResult.objects.all()
    assert queued.run_after > timezone.now()
    DBTaskResult.objects.update(run_after=timezone.now())
    assert run_worker() == 1
    broadcast.refresh_from_db()
    assert broadcast.state == "failed"
    assert "Nothing was recorded" in broadcast.failure


def test_a_stream_that_stops_and_restarts_is_two_broadcasts(
    alice_stream, django_capture_on_commit_callbacks
):
    for live in [True, False, True]:
        go_live(alice_stream, live, on_commit=django_capture_on_commit_callbacks)
    assert Broadcast.objects.filter(stream=alice_stream).count() == 2
    assert Broadcast.objects.open().filter(stream=alice_stream).count() == 1


def test_a_live_stream_without_a_broadcast_is_found_by_the_recorder(client, live):
    """Marked live some other way (the admin), it is still recorded."""
    [job] = as_recorder(client, JOBS).json()["jobs"]
    assert job["broadcast"] == str(Broadcast.objects.get(stream=live).pk)


def test_a_channel_that_saves_no_broadcasts_is_not_recorded(
    client, alice_stream, django_capture_on_commit_callbacks
):
    RecordingSettings.objects.create(stream=alice_stream, save_past_broadcasts=False)
    go_live(alice_stream, on_commit=django_capture_on_commit_callbacks)
    assert as_recorder(client, JOBS).json()["jobs"] == []
    assert Broadcast.objects.get(stream=alice_stream).state == "not_recorded"


def test_the_recorders_reports_move_the_recording_along(
    client, alice_stream, django_capture_on_commit_callbacks
):
    go_live(alice_stream, on_commit=django_capture_on_commit_callbacks)
    [job] = as_recorder(client, JOBS).json()["jobs"]
    report = f"/api/recorder/broadcasts/{job['broadcast']}/state"
    assert as_recorder(client, report, {"state": "recording", "part": 1}).json() == {
        "state": "recording"
    }
    go_live(alice_stream, False, on_commit=django_capture_on_commit_callbacks)
    DBTaskResult.objects.all().delete()  # the check for a recorder that never reports
    with django_capture_on_commit_callbacks(execute=True):
        assert as_recorder(client, report, {"state": "processing"}).status_code == 200
    [queued] = DBTaskResult.objects.all()  # the worker finalises it now
    assert queued.task.name == "finalise_broadcast"
    assert DBTaskResult.objects.ready().count() == 1


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/api/recorder/broadcasts/{pk}/state", {"state": "ready"}, 400, "bad_state"),
        (
            "/api/recorder/broadcasts/{pk}/state",
            {"state": "failed", "reason": 3},
            400,
            "bad_reason",
        ),
        ("/api/recorder/broadcasts/999999/state", {"state": "failed"}, 404, "not_found"),
    ],
)
def test_a_bad_report_is_refused_and_changes_nothing(client, live, path, body, status, code):
    [job] = as_recorder(client, JOBS).json()["jobs"]
    response = as_recorder(client, path.format(pk=job["broadcast"]), body)
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert Broadcast.objects.get().state == "waiting"


def test_a_stream_whose_room_closed_and_came_back_goes_on_in_the_same_broadcast(
    client, alice_stream, django_capture_on_commit_callbacks
):
    """A LiveKit restart closes the room without the encoder stopping: the recorder closes
    its part, and the stream back within BROADCAST_RECONNECT_SECONDS is a new part of the
    same broadcast, not a new one."""
    go_live(alice_stream, on_commit=django_capture_on_commit_callbacks)
    [job] = as_recorder(client, JOBS).json()["jobs"]
    report = f"/api/recorder/broadcasts/{job['broadcast']}/state"
    go_live(
        alice_stream, False, cause="room_finished", on_commit=django_capture_on_commit_callbacks
    )
    assert as_recorder(client, JOBS).json()["jobs"] == []
    with django_capture_on_commit_callbacks(execute=True):
        as_recorder(client, report, {"state": "processing"})
    broadcast = Broadcast.objects.get(stream=alice_stream)
    assert broadcast.ended_at is None  # not over yet, and not finalised
    assert [t.task.name for t in DBTaskResult.objects.all()] == ["end_broadcast_if_offline"]

    go_live(alice_stream, on_commit=django_capture_on_commit_callbacks)
    [again] = as_recorder(client, JOBS).json()["jobs"]
    assert again["broadcast"] == job["broadcast"]
    DBTaskResult.objects.update(run_after=timezone.now())
    run_worker()  # the stream is back: the broadcast is not ended
    assert Broadcast.objects.get().ended_at is None


def test_a_stream_whose_room_closed_for_good_is_ended_after_the_grace(
    client, alice_stream, django_capture_on_commit_callbacks
):
    go_live(alice_stream, on_commit=django_capture_on_commit_callbacks)
    go_live(
        alice_stream, False, cause="room_finished", on_commit=django_capture_on_commit_callbacks
    )
    [queued] = DBTaskResult.objects.all()
    assert queued.run_after >= timezone.now() + timedelta(seconds=25)
    DBTaskResult.objects.update(run_after=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        run_worker()
    assert Broadcast.objects.get().ended_at is not None
