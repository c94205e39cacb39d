"""streams/events.py: what the room hears, each message's JSON written once, and the channel
page's script knowing the same names."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from devservers.servers import ROOT
from raids import events as raid_events
from streams import events


def test_the_page_handles_exactly_the_events_the_site_sends():
    source = (ROOT / "frontend" / "channel" / "events.js").read_text()
    names = re.findall(r'^\s+[A-Z]+: "([a-z]+)",$', source, re.MULTILINE)
    assert sorted(names) == sorted(events.TYPES)


def test_each_event_says_its_type_and_what_the_page_needs():
    until = datetime(2026, 12, 3, 15, 48, 55, tzinfo=UTC)
    built = [
        events.message({"id": 1, "text": "hi"}),
        events.delete(1),
        events.settings({"is_live": True}),
        events.timeout("p1", until, 60),
        events.ban("p1"),
        events.lift("p1"),
        events.moderator("p1", is_moderator=True),
    ]
    assert [event["type"] for event in built] == list(events.TYPES)
    assert built[3] == {
        "type": "timeout",
        "person": "p1",
        "until": "2026-12-03T15:48:55+00:00",
        "seconds": 60,
    }


def test_no_room_message_is_written_outside_the_events_module():
    inline = re.compile(r'["\']type["\']\s*:\s*["\']')
    found = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "streams").rglob("*.py")
        if path.name != "events.py" and inline.search(path.read_text())
    ]
    assert found == []


def test_the_page_handles_exactly_the_raid_events_the_site_sends():
    source = (ROOT / "frontend" / "channel" / "raid-events.js").read_text()
    names = re.findall(r'^\s+[A-Z]+: "([a-z_]+)",$', source, re.MULTILINE)
    assert sorted(names) == sorted(raid_events.TYPES)
