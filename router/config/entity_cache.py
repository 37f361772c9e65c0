"""`preview_entity_cache`: subgraph entities and root fetches cached, per entity.

Apollo Router's keys and meanings
(https://www.apollographql.com/docs/router/configuration/entity-caching), with
`subgraph.all` merged field by field under `subgraph.subgraphs.<name>`:

```yaml
preview_entity_cache:
  enabled: true
  invalidation:                      # the invalidation endpoint (POST)
    listen: 127.0.0.1:4001
    path: /invalidation
  subgraph:
    all:
      enabled: true
      ttl: 60s                       # without Cache-Control max-age (else redis.ttl)
      private_id: sub                # JWT claim that separates users' private data
      invalidation: { enabled: true, shared_key: ${env.INVALIDATION_KEY} }
      redis: { urls: [redis://127.0.0.1:6379], namespace: my-router }
    subgraphs:
      products: { ttl: 120s, types: { Product: { ttl: 10m } } }
      accounts: { enabled: false }
```

Ours, where Apollo Router has nothing: `in_memory.limit` (entries kept per process
when there is no `redis`), `private_id_header` (a request header as the private id,
for routers without JWT authentication), and `types.<Type>.ttl` (a TTL per entity
type, the root type's name for root fetches).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from router.config.cache import InMemoryCacheConfig, RedisCacheConfig
from router.config.duration import Duration

__all__ = [
    "EntityCacheConfig",
    "EntityCacheInvalidationConfig",
    "EntityCacheSubgraph",
    "ResolvedSubgraphCache",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _positive(value: float | None) -> float | None:
    if value is not None and value <= 0:
        raise ValueError("must be longer than 0s")
    return value


class _TypeCache(_Strict):
    """`types.<Type>`: this entity type's TTL (ours)."""

    ttl: Duration

    @field_validator("ttl")
    @classmethod
    def _ttl_positive(cls, value: float | None) -> float | None:
        return _positive(value)


class _SubgraphInvalidation(_Strict):
    """`invalidation`: whether the endpoint may invalidate this subgraph's entries,
    and the secret its callers send as the `Authorization` header."""

    enabled: bool = False
    shared_key: str = ""


class EntityCacheSubgraph(_Strict):
    """`subgraph.all` or `subgraph.subgraphs.<name>`: unset fields come from `all`."""

    enabled: bool | None = None
    ttl: Duration | None = None
    private_id: str | None = None
    private_id_header: str | None = None
    redis: RedisCacheConfig | None = None
    invalidation: _SubgraphInvalidation | None = None
    types: dict[str, _TypeCache] = {}

    @field_validator("ttl")
    @classmethod
    def _ttl_positive(cls, value: float | None) -> float | None:
        return _positive(value)

    @field_validator("private_id_header")
    @classmethod
    def _lower(cls, value: str | None) -> str | None:
        return None if value is None else value.lower()


class _SubgraphSections(_Strict):
    all: EntityCacheSubgraph = EntityCacheSubgraph()
    subgraphs: dict[str, EntityCacheSubgraph] = {}


class EntityCacheInvalidationConfig(_Strict):
    """`invalidation`: where the invalidation endpoint listens (its own listener, as
    Prometheus'); `scan_count` is Redis' SCAN batch."""

    listen: str
    path: str = "/invalidation"
    scan_count: int = Field(default=1000, ge=1)
    concurrent_requests: int = Field(default=10, ge=1)  # accepted, not applied

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or int(port) > 65535:
            raise ValueError(f"{value!r}: expected host:port")
        return value

    @field_validator("path")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"{value!r}: must start with /")
        return value


class ResolvedSubgraphCache(BaseModel):
    """One subgraph's settings, `all` merged in."""

    model_config = ConfigDict(frozen=True)

    enabled: bool
    ttl: float | None
    private_id: str | None
    private_id_header: str | None
    type_ttls: dict[str, float]
    invalidation_key: str | None  # the shared key, when invalidation is enabled


class EntityCacheConfig(_Strict):
    """`preview_entity_cache` (off by default, as in Apollo Router)."""

    enabled: bool = False
    expose_keys_in_context: bool = False  # accepted, not applied
    # Apollo Router 1.x's `{enabled, ttl, separate_per_type}`: accepted, not applied
    # (our api_cache_* metrics are always on).
    metrics: dict[str, Any] | None = None
    invalidation: EntityCacheInvalidationConfig | None = None
    subgraph: _SubgraphSections = _SubgraphSections()
    in_memory: InMemoryCacheConfig = InMemoryCacheConfig(limit=10000)

    def problems(self) -> list[str]:
        """What makes this section unusable, each line naming its dotted key
        (`RouterConfig` raises them, so they print as they are)."""
        if not self.enabled:
            return []
        problems: list[str] = []
        sections = [("all", self.subgraph.all)] + [
            (f"subgraphs.{name}", entry)
            for name, entry in self.subgraph.subgraphs.items()
        ]
        base = self.subgraph.all
        # Apollo Router falls back on the Redis TTL.
        fallback = (
            base.ttl
            if base.ttl is not None
            else (None if base.redis is None else base.redis.ttl)
        )
        if base.enabled is not False and fallback is None:
            problems.append(
                "preview_entity_cache.subgraph.all.ttl: required while caching is "
                "enabled for all subgraphs (the TTL of responses without "
                "Cache-Control max-age)"
            )
        for where, entry in sections[1:]:
            if entry.enabled is True and entry.ttl is None and fallback is None:
                problems.append(
                    f"preview_entity_cache.subgraph.{where}.ttl: required (no "
                    "subgraph.all.ttl to fall back on)"
                )
        for where, entry in sections:
            invalidation = entry.invalidation
            if invalidation is not None and invalidation.enabled:
                if not invalidation.shared_key:
                    problems.append(
                        f"preview_entity_cache.subgraph.{where}.invalidation."
                        "shared_key: must not be empty while invalidation is enabled"
                    )
                if self.invalidation is None:
                    problems.append(
                        f"preview_entity_cache.subgraph.{where}.invalidation: enabled "
                        "without preview_entity_cache.invalidation.listen"
                    )
            if entry.private_id is not None and entry.private_id_header is not None:
                problems.append(
                    f"preview_entity_cache.subgraph.{where}: give private_id or "
                    "private_id_header, not both"
                )
            if where != "all" and entry.redis is not None:
                problems.append(
                    f"preview_entity_cache.subgraph.{where}.redis: one Redis for all "
                    "subgraphs only (set subgraph.all.redis)"
                )
        return list(dict.fromkeys(problems))

    def for_subgraph(self, name: str) -> ResolvedSubgraphCache:
        """`name`'s settings: its own section over `all`, field by field."""
        base = self.subgraph.all
        own = self.subgraph.subgraphs.get(name, EntityCacheSubgraph())

        def pick(field: str) -> object:
            value = getattr(own, field)
            return value if value is not None else getattr(base, field)

        enabled = pick("enabled")
        invalidation = pick("invalidation")
        private_id = own.private_id
        private_header = own.private_id_header
        if private_id is None and private_header is None:
            private_id, private_header = base.private_id, base.private_id_header
        assert invalidation is None or isinstance(invalidation, _SubgraphInvalidation)
        ttl = pick("ttl")
        if ttl is None and base.redis is not None:
            ttl = base.redis.ttl
        return ResolvedSubgraphCache(
            enabled=self.enabled and enabled is not False,
            ttl=ttl if isinstance(ttl, float) else None,
            private_id=private_id,
            private_id_header=private_header,
            type_ttls={
                name: entry.ttl for name, entry in {**base.types, **own.types}.items()
            },
            invalidation_key=(
                invalidation.shared_key
                if invalidation is not None and invalidation.enabled
                else None
            ),
        )

    @property
    def redis(self) -> RedisCacheConfig | None:
        return self.subgraph.all.redis
