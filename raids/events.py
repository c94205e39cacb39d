"""What a room hears about raids over its data channel (topic `chat`, sent with
streams.chat.broadcast), one function each, as streams/events.py does for chat. The channel
page's frontend/channel/raid.js handles the same `type`s (RAID_EVENT in raid-events.js)."""

from __future__ import annotations

TYPES = ("raid", "raid_cancelled", "raid_go")


def raid(raid, target_url: str) -> dict:
    """A raid counts down: every page shows the target and the deadline, with "Stay here"."""
    return {
        "type": "raid",
        "id": raid.pk,
        "target": {"username": raid.target.username, "url": target_url},
        "ends_at": raid.ends_at.isoformat(),
        "seconds": round((raid.ends_at - raid.started_at).total_seconds()),
    }


def raid_cancelled(raid) -> dict:
    """The host or a moderator cancelled the countdown: the pages stay."""
    return {"type": "raid_cancelled", "id": raid.pk}


def raid_go(raid, target_url: str) -> dict:
    """The countdown is over: pages that did not choose to stay go to `url` (the target's
    channel with `?raid=<id>`, which counts their arrival)."""
    return {"type": "raid_go", "id": raid.pk, "url": target_url}
