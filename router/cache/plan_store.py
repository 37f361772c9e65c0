"""The plan cache's Redis tier: plans shared by every router process, kept across
restarts (Apollo Router's distributed query-plan cache).

https://www.apollographql.com/docs/graphos/routing/performance/caching/distributed

The in-memory LRU (`planner.plan_cache.PlanCache`, holding plan objects) stays in
front; on a miss there the engine asks this store before planning, and stores what it
planned. A plan is kept as `planner.plan_json` text under

    [<config namespace>:]plan:v<FORMAT>:<schema hash>:<sha256 of the rest of the key>

where the rest is the document hash, the operation name, the override labels and the
planner options that change a plan (`defer_support`, the plans limit, same-level
stages). Planning errors
are never shared: they stay in the process that met them (the in-memory LRU).

Redis failing or slow (past the config's `timeout`) is a miss, logged at most once a
minute; a write is never awaited by the request that planned.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging

import orjson

from planner.plan_cache import PlanCacheKey
from planner.plan_json import PlanJsonError, plan_from_json, plan_to_json
from planner.query_plan import QueryPlan
from router.config.cache import RedisCacheConfig
from router.store import RedisStore, StoreUnavailable, UnavailableLog

__all__ = ["FORMAT", "SharedPlans", "planner_options"]

logger = logging.getLogger(__name__)

# Bumped whenever plan_json's shape changes or plans for the same key change, so
# routers of two versions sharing one Redis never read each other's plans. 2: plans
# carry clientAliases (a client alias named like a key or @requires field). 3: so do
# plans with @defer and subscriptions (the shapers read such an alias where it was
# fetched, so a plan that kept it as written would be answered wrong). 4: deferred
# blocks carry the @skip/@include conditions they are under. 5: a deferred
# subselection keeps a field whose selections literal conditions all turn off. 6: a
# deferred block's conditions include those of the fields above it. 7: a deferred
# block's path names the client's type conditions. 8: a type condition under an
# abstract field asks only the types the subgraph resolving it can return. 9: a
# deferred subselection keeps a __typename folded into a field it leaves out. 10: an
# untyped fragment keeps the type condition of the fragment around it. 11: only the
# first four @defer(if:) variables get a Condition.
FORMAT = 11


def planner_options(defer_support: bool, plans_limit: int, stages: bool = True) -> str:
    """The planner options a plan depends on, as they go into its Redis key. Plans
    laid out in same-level stages (``merge_same_level_fetches``) get keys of their own,
    so they never meet plans of Apollo's shape written before or with it off."""
    options = f"defer={int(defer_support)};plans={plans_limit}"
    return options + ";stages=1" if stages else options


class SharedPlans:
    """Plans in one Redis, for every router process configured with it."""

    def __init__(self, config: RedisCacheConfig, options: str) -> None:
        self._redis = RedisStore(config, "plan")
        self._options = options
        self.required_to_start = config.required_to_start
        self._log = UnavailableLog(
            logger, "Redis plan cache unavailable (planning locally)"
        )
        self._writes: set[asyncio.Task[None]] = set()

    def key(self, key: PlanCacheKey) -> str:
        """Where `key`'s plan lives (within the store's namespace)."""
        rest = json.dumps(
            [
                key.document_hash,
                key.operation_name,
                sorted(key.override_labels),
                self._options,
            ]
        )
        digest = hashlib.sha256(rest.encode()).hexdigest()
        return f"v{FORMAT}:{key.schema_hash}:{digest}"

    async def get(self, key: PlanCacheKey) -> QueryPlan | None:
        """The shared plan for `key`, or None (not there, unreadable, Redis down)."""
        try:
            text = await self._redis.get(self.key(key))
        except StoreUnavailable as exc:
            self._log(exc)
            return None
        if text is None:
            return None
        try:
            return plan_from_json(orjson.loads(text))
        except (orjson.JSONDecodeError, PlanJsonError) as exc:
            logger.warning("ignoring an unreadable plan in Redis: %s", exc)
            return None

    def put(self, key: PlanCacheKey, plan: QueryPlan) -> None:
        """Stores `plan` in the background (the request does not wait for Redis)."""
        task = asyncio.get_running_loop().create_task(self.set(key, plan))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def set(self, key: PlanCacheKey, plan: QueryPlan) -> None:
        try:
            await self._redis.set(
                self.key(key), orjson.dumps(plan_to_json(plan)).decode()
            )
        except StoreUnavailable as exc:
            self._log(exc)

    async def ping(self) -> None:
        await self._redis.ping()

    async def close(self) -> None:
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)
        await self._redis.close()
