"""How the site writes a time on a video: "1:05", "1:02:05"."""

from __future__ import annotations


def clock(seconds: float) -> str:
    """3725.4 -> "1:02:05", 65 -> "1:05": a place on a video or its length."""
    whole = int(seconds)
    hours, minutes, rest = whole // 3600, whole % 3600 // 60, whole % 60
    return f"{hours}:{minutes:02d}:{rest:02d}" if hours else f"{minutes}:{rest:02d}"
