"""`RedisStore`: one Redis shared by every router process.

Keys are `<namespace>:<key>` (just `<key>` without a namespace). Every command has
the config's `timeout`; a Redis that fails or is slow raises `StoreUnavailable`, and
callers treat that as a miss, so a dead Redis costs each request at most `timeout`.
"""

from __future__ import annotations

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from router.config.cache import RedisCacheConfig
from router.store.store import StoreUnavailable

__all__ = ["RedisStore", "glob_escape"]


def glob_escape(text: str) -> str:
    """`text` matched literally by a Redis glob pattern (SCAN MATCH)."""
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


class RedisStore:
    """GET and SET (with `ttl`, and GETEX restarting it on reads when `reset_ttl`);
    hashes with counters for operation usage."""

    def __init__(self, config: RedisCacheConfig, namespace: str) -> None:
        # `namespace` is the feature's (`apq`); the config's comes before it.
        prefix = f"{config.namespace}:" if config.namespace else ""
        self._prefix = f"{prefix}{namespace}:"
        self._ttl_ms = None if config.ttl is None else max(1, round(config.ttl * 1000))
        self._reset_ttl = config.reset_ttl and self._ttl_ms is not None
        self._client = aioredis.Redis.from_url(
            config.urls[0],
            username=config.username,
            password=config.password,
            socket_timeout=config.timeout,
            socket_connect_timeout=config.timeout,
            retry_on_timeout=False,
            decode_responses=True,
        )

    def key(self, key: str) -> str:
        """The Redis key `key` is stored under."""
        return self._prefix + key

    async def get(self, key: str) -> str | None:
        try:
            if self._reset_ttl:
                value = await self._client.getex(self.key(key), px=self._ttl_ms)
            else:
                value = await self._client.get(self.key(key))
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(str(exc)) from exc
        return value if isinstance(value, str) else None

    async def set(self, key: str, value: str) -> None:
        try:
            await self._client.set(self.key(key), value, px=self._ttl_ms)
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def get_many(self, keys: list[str]) -> list[str | None]:
        """MGET: each key's value or None, in one round trip (no TTL reset)."""
        try:
            values = await self._client.mget([self.key(key) for key in keys])
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(str(exc)) from exc
        return [value if isinstance(value, str) else None for value in values]

    async def set_many(self, entries: list[tuple[str, str, float]]) -> None:
        """SETs `(key, value, ttl seconds)` in one round trip, each with its own TTL."""
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for key, value, ttl in entries:
                    pipe.set(self.key(key), value, px=max(1, round(ttl * 1000)))
                await pipe.execute()
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def delete_matching(self, pattern: str, scan_count: int = 1000) -> int:
        """Deletes the keys matching the glob `pattern` (within this store's
        namespace; SCAN, then UNLINK in batches); returns how many were deleted."""
        deleted = 0
        try:
            batch: list[str] = []
            async for key in self._client.scan_iter(
                match=glob_escape(self._prefix) + pattern, count=scan_count
            ):
                batch.append(key)
                if len(batch) >= scan_count:
                    deleted += await self._client.unlink(*batch)
                    batch = []
            if batch:
                deleted += await self._client.unlink(*batch)
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(str(exc)) from exc
        return deleted

    async def add_to_hash(
        self, key: str, counts: dict[str, int], ttl: float | None = None
    ) -> None:
        """Adds `counts` to the hash's fields (HINCRBY, atomic per field), in one round
        trip; the hash expires `ttl` seconds from now when given."""
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for field, count in counts.items():
                    pipe.hincrby(self.key(key), field, count)
                if ttl is not None:
                    pipe.expire(self.key(key), max(1, round(ttl)))
                await pipe.execute()
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def set_in_hash(
        self, key: str, values: dict[str, str], ttl: float | None = None
    ) -> None:
        """Sets the hash's fields (HSET), the hash expiring `ttl` seconds from now."""
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                pipe.hset(self.key(key), mapping=values)  # type: ignore[arg-type]
                if ttl is not None:
                    pipe.expire(self.key(key), max(1, round(ttl)))
                await pipe.execute()
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def get_hash(self, key: str) -> dict[str, str]:
        try:
            values = await self._client.hgetall(self.key(key))
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(str(exc)) from exc
        return {str(k): str(v) for k, v in values.items()}

    async def ping(self) -> None:
        try:
            await self._client.ping()
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def close(self) -> None:
        await self._client.aclose()
