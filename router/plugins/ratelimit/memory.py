"""The in-process rate-limit backend: the same arithmetic as the Redis script.

Per process: with several router processes each counts alone (use `backend: redis`
to share). The table is bounded; the least recently used keys are forgotten first,
which can only let a forgotten client through early, never refuse one wrongly.

A hot reload hands the table to the new generation's backend (`adopt`), so a reload
does not give every client a fresh allowance. Each entry remembers the limit it was
counted under (capacity, interval, algorithm); a key whose limit changed starts
fresh, so no count is ever read under a meaning it was not made with. The state is
timestamps and counts, so carrying it across a reload of any age is exact.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Sequence

from router.plugins.ratelimit.decision import Decision, Limit, LimitState

__all__ = ["MAX_KEYS", "MemoryBackend"]

MAX_KEYS = 100_000


class MemoryBackend:
    """Token buckets and sliding windows held in a bounded dict: key -> (the limit
    the entry was counted under, its numbers)."""

    def __init__(self, max_keys: int = MAX_KEYS) -> None:
        self._state: OrderedDict[str, tuple[Limit, list[float]]] = OrderedDict()
        self._max_keys = max_keys

    def adopt(self, previous: MemoryBackend) -> None:
        """Counts in `previous`'s table from now on (a reload's old and new generation
        share it while the old one finishes its requests; checks never await, so they
        cannot interleave). Entries under a changed limit are ignored by `check`."""
        self._state = previous._state

    async def check(self, limits: Sequence[Limit]) -> Decision:
        now = time.time()
        states: list[LimitState] = []
        commits: list[tuple[Limit, list[float]]] = []
        for limit in limits:
            entry = self._state.get(limit.key)
            # Counted under another capacity, interval or algorithm: start fresh.
            held = entry[1] if entry is not None and entry[0] == limit else None
            if limit.algorithm == "token_bucket":
                state, new = _bucket(limit, held, now)
            else:
                state, new = _window(limit, held, now)
            states.append(state)
            commits.append((limit, new))
        allowed = all(s.retry == 0 for s in states)
        if allowed:
            for limit, new in commits:
                self._state[limit.key] = (limit, new)
                self._state.move_to_end(limit.key)
            while len(self._state) > self._max_keys:
                self._state.popitem(last=False)
        return Decision(allowed, tuple(states))

    async def close(self) -> None:
        return None


def _bucket(
    limit: Limit, held: list[float] | None, now: float
) -> tuple[LimitState, list[float]]:
    rate = limit.capacity / limit.interval
    tokens = (
        float(limit.capacity)
        if held is None
        else min(limit.capacity, held[0] + (now - held[1]) * rate)
    )
    if tokens >= 1:
        left = tokens - 1
        return LimitState(
            limit, math.floor(left), (limit.capacity - left) / rate, 0.0
        ), [left, now]
    return LimitState(
        limit, 0, (limit.capacity - tokens) / rate, (1 - tokens) / rate
    ), [
        tokens,
        now,
    ]


def _window(
    limit: Limit, held: list[float] | None, now: float
) -> tuple[LimitState, list[float]]:
    interval, capacity = limit.interval, limit.capacity
    window = math.floor(now / interval)
    current = previous = 0.0
    if held is not None:
        if held[0] == window:
            current, previous = held[1], held[2]
        elif held[0] == window - 1:
            previous = held[1]
    elapsed = now - window * interval
    estimate = previous * (1 - elapsed / interval) + current
    reset = interval - elapsed
    if estimate + 1 <= capacity:
        return LimitState(limit, math.floor(capacity - estimate - 1), reset, 0.0), [
            window,
            current + 1,
            previous,
        ]
    return LimitState(
        limit, 0, reset, window_retry(capacity, interval, elapsed, current, previous)
    ), [window, current, previous]


def window_retry(
    capacity: int, interval: float, elapsed: float, current: float, previous: float
) -> float:
    """Seconds until `previous * (1 - t / interval) + current + 1 <= capacity`."""
    if current + 1 > capacity:
        # Wait for the next window, where this one's count becomes the weighted one.
        after = interval * (1 - (capacity - 1) / current) if current else 0.0
        return (interval - elapsed) + max(0.0, after)
    wait = interval * (1 - (capacity - current - 1) / previous) - elapsed
    return max(wait, 0.001)
