"""`MemoryStore`: a bounded LRU in this process's memory."""

from __future__ import annotations

from collections import OrderedDict

__all__ = ["MemoryStore"]


class MemoryStore:
    """At most `limit` entries; reading an entry makes it the most recent, and storing
    one past the limit drops the least recently used."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._entries: OrderedDict[str, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, key: str) -> str | None:
        """`get` without a coroutine (the hot path of a tiered store)."""
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def store(self, key: str, value: str) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.limit:
            self._entries.popitem(last=False)

    def adopt(self, previous: MemoryStore) -> None:
        """Takes over `previous`'s entries, most recent kept when they do not all fit
        (a hot reload hands the new generation the old one's store)."""
        for key, value in previous._entries.items():
            self.store(key, value)

    async def get(self, key: str) -> str | None:
        return self.lookup(key)

    async def set(self, key: str, value: str) -> None:
        self.store(key, value)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None
