"""Chat replay's time axis (videos.replay): a message sent during a part of the recording is
shown that far into the part; one sent while nothing was recorded, at the next part's start;
and a window of video holds exactly the messages that map into it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from streams import chat
from streams.models import ChatMessage, ModerationAction
from tests.recordings import BroadcastFactory
from videos.models import Broadcast
from videos.replay import Timeline, replay_messages

T0 = datetime(2026, 5, 1, 20, 0, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def two_parts(**fields) -> Broadcast:
    """Part 1: 10 s of video recorded from T0; a 5 s gap (the recorder restarted); part 2:
    20 s recorded from T0 + 15 s, shown from 10 s into the video."""
    return Broadcast(
        started_at=at(-3),
        ended_at=at(40),
        timeline=[
            {"part": 1, "offset": 0.0, "duration": 10.0, "clock": at(0).isoformat()},
            {"part": 2, "offset": 10.0, "duration": 20.0, "clock": at(15).isoformat()},
        ],
        **fields,
    )


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        (-2, 0.0),  # before the first frame: at the start
        (0, 0.0),
        (3, 3.0),
        (10, 10.0),  # the last moment of part 1
        (12, 10.0),  # in the gap: at part 2's start
        (15, 10.0),
        (16.5, 11.5),
        (35, 30.0),  # the last frame
        (38, 30.0),  # after it, before the stream ended: at the end
    ],
)
def test_a_message_is_shown_where_the_video_was_when_it_was_sent(sent, shown):
    assert Timeline.of(two_parts()).video_time(at(sent)) == pytest.approx(shown)


@pytest.mark.parametrize(
    ("seconds", "moment"),
    [(0, None), (3, 3), (10, 10), (10.5, 15.5), (30, 35), (30.5, None)],
)
def test_the_earliest_moment_shown_at_a_video_time(seconds, moment):
    expected = None if moment is None else at(moment)
    assert Timeline.of(two_parts()).moment_at(seconds) == expected


def test_a_part_without_a_clock_follows_the_one_before():
    broadcast = two_parts()
    broadcast.timeline[1]["clock"] = None
    timeline = Timeline.of(broadcast)
    assert timeline.video_time(at(12)) == pytest.approx(12)
    assert timeline.duration == 30


@pytest.fixture
def recorded(alice):
    broadcast = BroadcastFactory(
        stream=alice.stream,
        started_at=at(-3),
        ended_at=at(40),
        timeline=two_parts().timeline,
        files=False,
    )

    def said(seconds: float, text: str, **fields) -> ChatMessage:
        message = ChatMessage.objects.create(
            stream=alice.stream, user=alice, author_name="alice", text=text, **fields
        )
        ChatMessage.objects.filter(pk=message.pk).update(created_at=at(seconds))
        return message

    return broadcast, said


def window(broadcast, start, end, **kwargs) -> list[tuple[str, float]]:
    messages, _ = replay_messages(broadcast, start=start, end=end, limit=100, **kwargs)
    return [(message.text, round(seconds, 3)) for message, seconds in messages]


def test_a_window_of_video_holds_the_messages_shown_in_it_and_no_other(recorded):
    broadcast, said = recorded
    said(-10, "before the broadcast")  # a message of the stream's previous session
    said(-1, "first")
    said(4, "at four")
    said(12, "in the gap")
    said(16.5, "part two")
    said(37, "goodbye")
    said(41, "after the broadcast")

    assert window(broadcast, 0, 10) == [("first", 0.0), ("at four", 4.0)]
    assert window(broadcast, 10, 20) == [("in the gap", 10.0), ("part two", 11.5)]
    assert window(broadcast, 20, 30) == []
    assert window(broadcast, 30, 60) == [("goodbye", 30.0)]
    assert window(broadcast, 0, 60) == [
        ("first", 0.0),
        ("at four", 4.0),
        ("in the gap", 10.0),
        ("part two", 11.5),
        ("goodbye", 30.0),
    ]


def test_deleted_messages_are_never_replayed(recorded):
    broadcast, said = recorded
    said(2, "kept")
    said(3, "deleted by a moderator", is_deleted=True)
    assert window(broadcast, 0, 10) == [("kept", 2.0)]


def test_a_busy_window_comes_in_pages(recorded):
    broadcast, said = recorded
    sent = [said(5, f"same moment {n}") for n in range(3)] + [said(6, "later")]
    first, more = replay_messages(broadcast, start=0, end=10, limit=2)
    assert more
    assert [m.text for m, _ in first] == ["same moment 0", "same moment 1"]
    rest, more = replay_messages(broadcast, start=0, end=10, limit=2, after=sent[1].pk)
    assert not more
    assert [m.text for m, _ in rest] == ["same moment 2", "later"]


def test_what_a_chatter_said_before_a_timeout_or_ban_during_the_broadcast_is_not_replayed(
    recorded, bob, carol
):
    broadcast, said = recorded
    alice = broadcast.stream.user

    def from_(user, seconds: float, text: str) -> None:
        message = ChatMessage.objects.create(
            stream=alice.stream, user=user, author_name=user.username, text=text
        )
        ChatMessage.objects.filter(pk=message.pk).update(created_at=at(seconds))

    def moderated(user, action: str, seconds: float) -> None:
        entry = ModerationAction.objects.create(
            host=alice,
            actor=alice,
            actor_name="alice",
            action=action,
            target_name=user.username,
            target_person=str(user.pk),
        )
        ModerationAction.objects.filter(pk=entry.pk).update(created_at=at(seconds))

    from_(bob, 1, "spam before the timeout")
    moderated(bob, "timeout", 2)
    from_(bob, 4, "back after the timeout")
    from_(carol, 3, "before the ban")
    moderated(carol, "ban", 5)
    said(6, "the host")
    moderated(alice, "timeout", -20)  # before the broadcast: not about what was said in it

    assert window(broadcast, 0, 10) == [("back after the timeout", 4.0), ("the host", 6.0)]


def test_replayed_replies_show_what_they_answer_without_a_query_each(
    recorded, django_assert_num_queries
):
    broadcast, said = recorded
    question = said(2, "who is here?")
    for n in range(5):
        said(3, f"me {n}", reply_to=question)
    # The messages (with what they answer) and the moderation actions.
    with django_assert_num_queries(2):
        messages, _ = replay_messages(broadcast, start=0, end=10, limit=100)
        shown = [chat.message_json(m) for m, _ in messages]
    assert [m["reply"] and m["reply"]["text"] for m in shown] == [None] + ["who is here?"] * 5
