"""The storage keys every Apollo Router cache section shares: `in_memory` and `redis`.

`apq.router.cache` and `supergraph.query_planning.cache` use them; the entity cache
will take the same shape (Apollo's `preview_entity_cache`), so a
file brought from Apollo Router reads the same everywhere
(https://www.apollographql.com/docs/graphos/routing/performance/caching/distributed).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from router.config.duration import Duration

__all__ = ["CacheConfig", "InMemoryCacheConfig", "RedisCacheConfig"]

_SCHEMES = ("redis://", "rediss://", "unix://")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InMemoryCacheConfig(_Strict):
    """`in_memory`: an LRU of `limit` entries per router process."""

    limit: int = Field(default=512, ge=1)  # Apollo Router's default


class RedisCacheConfig(_Strict):
    """`redis`: one Redis shared by every router process (Apollo's keys).

    `ttl` unset: entries never expire (Apollo's default); with `reset_ttl` (default
    true) a read restarts an entry's TTL. `pool_size` and `tls` are accepted and not
    applied (connections are pooled on demand; `rediss://` turns TLS on).
    """

    urls: list[str] = Field(min_length=1)
    ttl: Duration | None = None
    namespace: str | None = None
    timeout: Duration = 0.5
    required_to_start: bool = False
    reset_ttl: bool = True
    username: str | None = None
    password: str | None = None
    pool_size: int | None = Field(default=None, ge=1)
    tls: dict[str, Any] | None = None

    @field_validator("urls")
    @classmethod
    def _one_plain_url(cls, value: list[str]) -> list[str]:
        # PORT_NOTE: Apollo also takes `redis-cluster://` and `redis-sentinel://` URL
        # lists; a cache here talks to one Redis for now.
        if len(value) != 1:
            raise ValueError(
                "give one URL (Redis Cluster and Sentinel are not supported for caches "
                "yet)"
            )
        if not value[0].startswith(_SCHEMES):
            raise ValueError(
                f"{value[0]!r}: expected a redis://, rediss:// or unix:// URL"
            )
        return value

    @field_validator("ttl", "timeout")
    @classmethod
    def _positive(cls, value: float | None) -> float | None:
        if value is not None and value <= 0:
            raise ValueError("must be longer than 0s")
        return value


class CacheConfig(_Strict):
    """`cache`: the in-memory LRU, and Redis behind it when `redis` is set."""

    in_memory: InMemoryCacheConfig = InMemoryCacheConfig()
    redis: RedisCacheConfig | None = None
