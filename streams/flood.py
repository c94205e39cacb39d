"""The flood limit: one person sends at most FLOOD_MESSAGES chat messages in any
FLOOD_WINDOW_SECONDS, across all channels and every server process.

Counts live in Django's cache (CACHE_URL: Redis when several processes serve the site), one
counter per person and second, changed only with the cache's atomic add and incr, so
concurrent requests, in one process or many, never both take the last place. A message
counts against every second-counter of the last FLOOD_WINDOW_SECONDS + 1 seconds: at the
edges of a second the limit is a little stricter than the window, never looser.
"""

from __future__ import annotations

import contextlib
import math
import time

from django.core.cache import cache

FLOOD_MESSAGES = 20  # Twitch's limit for ordinary chatters
FLOOD_WINDOW_SECONDS = 30
_SPAN = FLOOD_WINDOW_SECONDS + 1  # counters read per person


def _key(subject: str, second: int) -> str:
    return f"flood:{subject}:{second}"


def _increment(key: str) -> None:
    if cache.add(key, 1, timeout=_SPAN + 1):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between the add and the incr
        cache.add(key, 1, timeout=_SPAN + 1)


def _decrement(key: str) -> None:
    with contextlib.suppress(ValueError):  # expired meanwhile: nothing left to take back
        cache.decr(key)


def take(subjects: list[str]) -> int:
    """Count one message for each subject (e.g. "user:<id>", "net:<network>"). Returns 0 if
    every subject is within the limit; otherwise nothing is counted and the answer is how
    many seconds to wait before a message would be accepted."""
    now = time.time()
    second = int(now)
    taken: list[str] = []
    wait = 0.0
    for subject in subjects:
        key = _key(subject, second)
        _increment(key)
        taken.append(key)
        keys = [_key(subject, s) for s in range(second - _SPAN + 1, second + 1)]
        counts = cache.get_many(keys)
        total = sum(counts.get(k, 0) for k in keys)
        if total <= FLOOD_MESSAGES:
            continue
        # The oldest counters leave the window first: wait until enough of them have.
        for offset, key_ in enumerate(keys):
            total -= counts.get(key_, 0)
            if total <= FLOOD_MESSAGES:
                leaves_at = second - _SPAN + 1 + offset + _SPAN
                wait = max(wait, leaves_at - now)
                break
    if wait > 0:
        for key in taken:
            _decrement(key)
        return max(1, math.ceil(wait))
    return 0
