"""Rate limits over a sliding window, across every server process: the chat's flood limit
(one person sends at most FLOOD_MESSAGES chat messages in any FLOOD_WINDOW_SECONDS, across
all channels), and any other `Limit` (videos: clips made per person).

Counts live in Django's cache (CACHE_URL: Redis when several processes serve the site), one
counter per subject and step (a second for chat), changed only with the cache's atomic add
and incr (with Redis, SET NX and INCR, in one pipeline with the read), so concurrent
requests, in one process or many, never both take the last place. A use counts against
every counter of the last window + one step: at the edges of a step the limit is a little
stricter than the window, never looser.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass

from django.core.cache import cache

FLOOD_MESSAGES = 20  # Twitch's limit for ordinary chatters
FLOOD_WINDOW_SECONDS = 30


@dataclass(frozen=True)
class Limit:
    """At most `count` uses per subject in any `window` seconds, counted per `step` seconds
    under cache keys `<name>:<subject>:<step number>`."""

    name: str
    count: int
    window: int
    step: int = 1

    @property
    def span(self) -> int:
        """How many counters a subject's total is read from."""
        return self.window // self.step + 1

    def _key(self, subject: str, index: int) -> str:
        return f"{self.name}:{subject}:{index}"

    def _increment(self, key: str) -> None:
        timeout = (self.span + 1) * self.step
        if cache.add(key, 1, timeout=timeout):
            return
        try:
            cache.incr(key)
        except ValueError:  # expired between the add and the incr
            cache.add(key, 1, timeout=timeout)

    def _count_and_read(self, key: str, keys: list[str]) -> dict:
        """Count one use in the counter `key`, then read the counters `keys`: in one round
        trip with Redis (streamsite.cache.RedisCache.count_and_get_many)."""
        count_and_get_many = getattr(cache, "count_and_get_many", None)
        if count_and_get_many is not None:
            return count_and_get_many(key, (self.span + 1) * self.step, keys)
        self._increment(key)
        return cache.get_many(keys)

    @staticmethod
    def _decrement(key: str) -> None:
        with contextlib.suppress(ValueError):  # expired meanwhile: nothing left to take back
            cache.decr(key)

    def take(self, subjects: list[str]) -> int:
        """Count one use for each subject (e.g. "user:<id>", "net:<network>"). Returns 0 if
        every subject is within the limit; otherwise nothing is counted and the answer is how
        many seconds to wait before a use would be accepted."""
        now = time.time()
        index = int(now // self.step)
        first = index - self.span + 1
        taken: list[str] = []
        wait = 0.0
        for subject in subjects:
            key = self._key(subject, index)
            keys = [self._key(subject, i) for i in range(first, index + 1)]
            counts = self._count_and_read(key, keys)
            taken.append(key)
            total = sum(counts.get(k, 0) for k in keys)
            if total <= self.count:
                continue
            # The oldest counters leave the window first: wait until enough of them have.
            for offset, key_ in enumerate(keys):
                total -= counts.get(key_, 0)
                if total <= self.count:
                    leaves_at = (first + offset + self.span) * self.step
                    wait = max(wait, leaves_at - now)
                    break
        if wait > 0:
            for key in taken:
                self._decrement(key)
            return max(1, math.ceil(wait))
        return 0


CHAT = Limit("flood", FLOOD_MESSAGES, FLOOD_WINDOW_SECONDS)


def take(subjects: list[str]) -> int:
    """The chat's flood limit: Limit.take for one message."""
    return CHAT.take(subjects)
