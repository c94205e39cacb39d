"""Initials avatars: a stable colour per username, so a user looks the same everywhere."""

from __future__ import annotations

import hashlib


def avatar_hue(username: str) -> int:
    digest = hashlib.sha256(username.lower().encode()).digest()
    return int.from_bytes(digest[:4], "big") % 360


def avatar_color(username: str) -> str:
    # Dark enough for the white initials at every hue: at least 4.7:1 (WCAG AA asks 4.5:1).
    return f"hsl({avatar_hue(username)}, 55%, 30%)"


def initials(username: str) -> str:
    letters = [c for c in username if c.isalnum()]
    return "".join(letters[:2]).upper() or "?"
