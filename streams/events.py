"""What a live room hears from the site: every message sent over the room's data channel
(topic `chat`, by streams.chat.broadcast), one function each, so that each one's JSON is
written here and nowhere else. The channel page handles the same `type`s, named in
frontend/channel/events.js (a test holds the two lists together).

To add one: a function here returning its JSON, its name in TYPES and in events.js, and its
handler on the page."""

from __future__ import annotations

from datetime import datetime

TYPES = ("message", "delete", "settings", "timeout", "ban", "lift", "moderator")


def message(shown: dict) -> dict:
    """A new chat message, as the chat API shows it (streams.chat.message_json)."""
    return {"type": "message", **shown}


def delete(message_id: int) -> dict:
    """A message hidden by the host, a moderator or an operator."""
    return {"type": "delete", "id": message_id}


def settings(rules: dict) -> dict:
    """The chat's rules and live state changed (streams.chat.settings_json)."""
    return {"type": "settings", **rules}


def timeout(person: str, until: datetime, seconds: int) -> dict:
    """`person` (streams.rooms) may not chat until `until`: their chat box counts down."""
    return {"type": "timeout", "person": person, "until": until.isoformat(), "seconds": seconds}


def ban(person: str) -> dict:
    """`person` is banned from the chat (and removed from the room)."""
    return {"type": "ban", "person": person}


def lift(person: str) -> dict:
    """`person`'s timeout or ban was lifted."""
    return {"type": "lift", "person": person}


def moderator(person: str, *, is_moderator: bool) -> dict:
    """`person` became a moderator of the chat, or stopped being one."""
    return {"type": "moderator", "person": person, "is_moderator": is_moderator}
