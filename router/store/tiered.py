"""`TieredStore`: the in-memory LRU in front of Redis, as Apollo Router's caches do.

A read tries memory, then Redis (and keeps what Redis had in memory); a write goes to
both. A Redis failure is logged at most once a minute and counts as a miss (reads) or
is dropped (writes): the in-memory tier keeps working alone.
"""

from __future__ import annotations

import logging

from router.config.cache import CacheConfig
from router.store.memory import MemoryStore
from router.store.redis import RedisStore
from router.store.store import StoreUnavailable, UnavailableLog

__all__ = ["TieredStore", "build_store"]

logger = logging.getLogger(__name__)


class TieredStore:
    """`memory`, then `redis` when there is one."""

    def __init__(self, memory: MemoryStore, redis: RedisStore | None = None) -> None:
        self.memory = memory
        self.redis = redis
        self._log = UnavailableLog(
            logger, "Redis cache unavailable (serving from memory only)"
        )

    async def get(self, key: str) -> str | None:
        value = self.memory.lookup(key)
        if value is not None or self.redis is None:
            return value
        try:
            value = await self.redis.get(key)
        except StoreUnavailable as exc:
            self._log(exc)
            return None
        if value is not None:
            self.memory.store(key, value)
        return value

    async def set(self, key: str, value: str) -> None:
        self.memory.store(key, value)
        if self.redis is not None:
            try:
                await self.redis.set(key, value)
            except StoreUnavailable as exc:
                self._log(exc)

    async def ping(self) -> None:
        if self.redis is not None:
            await self.redis.ping()

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.close()


def build_store(config: CacheConfig, namespace: str) -> TieredStore:
    """The store `config` describes, its Redis keys under `namespace`."""
    redis = None if config.redis is None else RedisStore(config.redis, namespace)
    return TieredStore(MemoryStore(config.in_memory.limit), redis)
