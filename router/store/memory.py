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
        self.size_bytes = 0  # keys' and values' characters, as an estimate of bytes

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, key: str) -> str | None:
        """`get` without a coroutine (the hot path of a tiered store)."""
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def store(self, key: str, value: str) -> None:
        previous = self._entries.get(key)
        if previous is not None:
            self.size_bytes -= len(key) + len(previous)
        self._entries[key] = value
        self.size_bytes += len(key) + len(value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.limit:
            dropped, value = self._entries.popitem(last=False)
            self.size_bytes -= len(dropped) + len(value)

    def delete(self, key: str) -> bool:
        value = self._entries.pop(key, None)
        if value is None:
            return False
        self.size_bytes -= len(key) + len(value)
        return True

    def delete_prefix(self, prefix: str) -> int:
        """Deletes every entry whose key starts with `prefix`; returns how many."""
        doomed = [key for key in self._entries if key.startswith(prefix)]
        for key in doomed:
            self.delete(key)
        return len(doomed)

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
