"""The `Store` protocol every storage backend implements."""

from __future__ import annotations

from typing import Protocol

__all__ = ["Store", "StoreUnavailable"]


class StoreUnavailable(Exception):
    """The backend did not answer (Redis down, timed out); the caller decides what a
    failed lookup means (for a cache: a miss)."""


class Store(Protocol):
    """Text values under text keys; a store names its keys within its own namespace."""

    async def get(self, key: str) -> str | None:
        """The value under `key`, or None; StoreUnavailable when it cannot tell."""
        ...

    async def set(self, key: str, value: str) -> None:
        """Stores `value` (with the store's TTL, if any); StoreUnavailable on failure."""
        ...

    async def ping(self) -> None:
        """Returns when the backend answers; StoreUnavailable otherwise."""
        ...

    async def close(self) -> None: ...
