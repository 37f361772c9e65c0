"""Label values a client cannot multiply: the first N distinct values, then one bucket.

Every distinct label value is a new time series in Prometheus; operation names and error
codes come from clients and subgraphs, so a client sending random names would otherwise
grow the scrape (and the router's memory) without bound.
"""

from __future__ import annotations

import threading

__all__ = ["BoundedLabel"]


class BoundedLabel:
    """Keeps up to `limit` distinct values; later new values all read as `overflow`.

    Values listed in `known` are always kept and do not count against `limit`.
    """

    def __init__(
        self, limit: int, overflow: str, known: frozenset[str] = frozenset()
    ) -> None:
        self._limit = limit
        self._overflow = overflow
        self._known = known
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, value: str) -> str:
        if value in self._known or value in self._seen:
            return value
        with self._lock:
            if len(self._seen) >= self._limit:
                return self._overflow
            self._seen.add(value)
        return value
