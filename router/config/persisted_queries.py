"""`apq` and `persisted_queries`: automatic persisted queries and persisted-query lists.

Apollo Router's keys, meanings and defaults
(https://www.apollographql.com/docs/graphos/routing/performance/caching/in-memory#caching-automatic-persisted-queries-apq,
https://www.apollographql.com/docs/graphos/routing/security/persisted-queries):

```yaml
apq:
  enabled: true                      # Apollo's default
  router:
    cache:
      in_memory: { limit: 512 }
      redis: { urls: [redis://127.0.0.1:6379], ttl: 24h, namespace: my-router }
persisted_queries:
  enabled: true
  log_unknown: true                  # log operations that are not in the list
  safelist: { enabled: true, require_id: false }
  local_manifests: [persisted-query-manifest.json]   # relative to router.yaml
  hot_reload: true                   # reload the manifests when they change
```

The pairs Apollo Router refuses at start-up are refused here too (`RouterConfig` checks
them, since they span both sections): safelisting with APQ on, `require_id` without the
safelist, `safelist` or `log_unknown` with persisted queries off.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from router.config.cache import CacheConfig

__all__ = [
    "ApqConfig",
    "PersistedQueriesConfig",
    "SafelistConfig",
    "check_persisted_queries",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _ApqRouter(_Strict):
    cache: CacheConfig = CacheConfig()


class _Switch(_Strict):
    enabled: bool = False


class _ApqSubgraph(_Strict):
    """`apq.subgraph`: APQ from the router to subgraphs (accepted, not applied)."""

    all: _Switch = _Switch()
    subgraphs: dict[str, _Switch] = {}


class ApqConfig(_Strict):
    """`apq`: clients may send `extensions.persistedQuery` with a SHA-256 hash instead
    of the query, and register the query under it."""

    enabled: bool = True
    router: _ApqRouter = _ApqRouter()
    subgraph: _ApqSubgraph = _ApqSubgraph()


class SafelistConfig(_Strict):
    """`persisted_queries.safelist`: run only the list's operations (`require_id`: and
    only when sent by id)."""

    enabled: bool = False
    require_id: bool = False


class PersistedQueriesConfig(_Strict):
    """`persisted_queries`: operations from persisted-query manifests, by id."""

    enabled: bool = False
    log_unknown: bool = False
    safelist: SafelistConfig = SafelistConfig()
    local_manifests: list[str] = []
    hot_reload: bool = False
    experimental_prewarm_query_plan_cache: dict[str, Any] | None = None


def check_persisted_queries(apq: ApqConfig, pq: PersistedQueriesConfig) -> None:
    """The combinations Apollo Router refuses at start-up, and a list with no manifest;
    ValueError naming the dotted key."""
    if pq.enabled:
        if pq.safelist.enabled and apq.enabled:
            raise ValueError(
                "apq.enabled: must be false while persisted_queries.safelist.enabled "
                "is true (through APQ any client could register an operation)"
            )
        if pq.safelist.require_id and not pq.safelist.enabled:
            raise ValueError(
                "persisted_queries.safelist.require_id: needs "
                "persisted_queries.safelist.enabled: true"
            )
        # PORT_NOTE: Apollo Router fetches the list from GraphOS unless
        # `local_manifests` are given; here there is no GraphOS, so they are required.
        if not pq.local_manifests:
            raise ValueError(
                "persisted_queries.local_manifests: give at least one manifest file "
                "(there is no GraphOS here to fetch the list from)"
            )
    elif pq.safelist.enabled:
        raise ValueError(
            "persisted_queries.safelist.enabled: needs persisted_queries.enabled: true"
        )
    elif pq.log_unknown:
        raise ValueError(
            "persisted_queries.log_unknown: needs persisted_queries.enabled: true"
        )
