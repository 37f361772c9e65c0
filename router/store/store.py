"""The `Store` protocol every storage backend implements."""

from __future__ import annotations

import logging
import time
from typing import Protocol

__all__ = ["Store", "StoreUnavailable", "UnavailableLog"]

_LOG_INTERVAL = 60.0


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


class UnavailableLog:
    """Logs a backend failure at most once a minute: a dead Redis must not write a
    line per request."""

    def __init__(self, logger: logging.Logger, message: str) -> None:
        self._logger = logger
        self._message = message
        self._logged_at: float | None = None

    def __call__(self, exc: Exception) -> None:
        now = time.monotonic()
        if self._logged_at is None or now - self._logged_at >= _LOG_INTERVAL:
            self._logged_at = now
            self._logger.error("%s: %s", self._message, exc)
