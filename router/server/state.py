"""Router generations: everything one config + supergraph needs, swapped as a whole.

A generation owns its pipeline (document cache, planner, plan cache and its Redis tier,
persisted-query layer) and its subgraph client. Requests take the current generation when they start and keep it to the end, so
a reload never changes the schema under a running request; a replaced generation closes
its client once its last request is done.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from planner.plan_cache import PlanCache
from planner.planning import QueryPlanner
from planner.supergraph.api_schema import with_defer
from router.config import RouterConfig
from router.execution.subgraph_client import SubgraphClient
from router.plugins.authorization import Authorizer
from router.plugins.chain import PluginChain, build_chain
from router.server.documents import DocumentCache
from router.server.engine import FederatedEngine
from router.server.heap import settle_heap
from router.server.pipeline import Pipeline
from router.server.planning_slots import PlanningSlots, planning_client
from router.server.source import Source
from router.traffic import build_traffic

if TYPE_CHECKING:
    from router.cache.entity_cache import EntityCache
    from router.cache.persisted_queries import PersistedQueryLayer
    from router.subscriptions.hub import SubscriptionHub
    from router.usage.recorder import UsageRecorder

__all__ = ["Generation", "StateHolder", "build_generation"]

logger = logging.getLogger(__name__)

DOCUMENT_CACHE_SIZE = 2048
# How long a reload may spend re-planning the previous schema's operations before the
# new schema serves (the rest are planned by the requests that need them).
WARM_UP_BUDGET_SECONDS = 10.0


@dataclass(slots=True)
class Generation:
    """One loaded config + supergraph, and the requests currently running on it."""

    source: Source
    pipeline: Pipeline
    client: SubgraphClient
    number: int
    plugins: PluginChain = field(default_factory=lambda: PluginChain(()))
    persisted_queries: PersistedQueryLayer | None = None
    engine: FederatedEngine | None = None
    usage: UsageRecorder | None = None
    entity_cache: EntityCache | None = None
    in_flight: int = 0
    retired: bool = False
    closing: bool = False
    closed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def config(self) -> RouterConfig:
        return self.source.config

    async def startup(self) -> None:
        """Starts the plugins, then the persisted-query layer (APQ's Redis with
        `required_to_start`); on a failure, what started is shut down and it raises."""
        await self.plugins.startup()
        try:
            if self.persisted_queries is not None:
                await self.persisted_queries.startup()
            shared = None if self.engine is None else self.engine.shared
            if shared is not None and shared.required_to_start:
                await shared.ping()
            if self.usage is not None:
                await self.usage.startup()
            if self.entity_cache is not None:
                await self.entity_cache.startup()
        except BaseException:
            await self.plugins.shutdown()
            if self.persisted_queries is not None:
                await self.persisted_queries.shutdown()
            if self.engine is not None and self.engine.shared is not None:
                await self.engine.shared.close()
            if self.entity_cache is not None:
                await self.entity_cache.close()
            raise

    async def warm_up(self, previous: Generation) -> None:
        """Re-plans `previous`'s most-used operations for this generation's schema
        (`supergraph.query_planning.warmed_up_queries`), within
        `WARM_UP_BUDGET_SECONDS`, before it serves."""
        if self.engine is None or previous.engine is None:
            return
        operations = previous.engine.hottest(self.config.warmed_up_queries())
        if not operations:
            return
        started = time.monotonic()
        warmed = await self.engine.warm_up(operations, WARM_UP_BUDGET_SECONDS)
        logger.info(
            "plan cache warmed up: %d of %d operation(s) in %.1f s",
            warmed,
            len(operations),
            time.monotonic() - started,
        )

    def activate(self) -> None:
        """This generation starts serving: its traffic's health monitors start."""
        if self.engine is None:
            return
        exporter = self.config.telemetry.exporters.metrics
        metrics = None
        if exporter.prometheus.enabled:
            # Imported here, as the telemetry plugin's own: only with metrics on.
            from router.telemetry.metrics import process_metrics

            metrics = process_metrics(exporter.common.buckets)
        self.engine.traffic.start(self.client.probe, metrics)
        if self.entity_cache is not None:
            self.entity_cache.metrics = metrics

    def deactivate(self) -> None:
        """This generation stops serving (its last requests may still run)."""
        if self.engine is not None:
            self.engine.traffic.stop()

    def inherit(self, previous: Generation) -> None:
        """Takes over `previous`'s state that outlives a reload (see `Plugin.inherit`)."""
        self.plugins.inherit(previous.plugins)
        if self.engine is not None and previous.engine is not None:
            self.engine.traffic.inherit(previous.engine.traffic)
        if self.usage is not None and previous.usage is not None:
            self.usage.inherit(previous.usage)
        if self.entity_cache is not None and previous.entity_cache is not None:
            self.entity_cache.inherit(previous.entity_cache)
        if (
            self.persisted_queries is not None
            and previous.persisted_queries is not None
        ):
            self.persisted_queries.inherit(previous.persisted_queries)

    async def close(self) -> None:
        self.deactivate()
        try:
            try:
                await self.plugins.shutdown()
            except Exception:
                logger.exception("a plugin failed to shut down")
            if self.persisted_queries is not None:
                try:
                    await self.persisted_queries.shutdown()
                except Exception:
                    logger.exception("the persisted-query layer failed to shut down")
            if self.engine is not None and self.engine.shared is not None:
                await self.engine.shared.close()
            if self.entity_cache is not None:
                await self.entity_cache.close()
            if self.usage is not None:
                try:
                    await self.usage.shutdown()
                except Exception:
                    logger.exception("operation usage failed to flush")
            await self.client.close()
        finally:
            self.closed.set()


def build_generation(source: Source, number: int) -> Generation:
    """Builds the runtime objects for `source` (blocking: run it off the event loop; the
    client opens its session on first use, inside the loop)."""
    config, supergraph = source.config, source.supergraph
    client = SubgraphClient({})
    traffic = build_traffic(
        config,
        {graph.name: graph.url for graph in supergraph.graphs.values()},
        client,
    )
    # `client.post` (a subgraph's one endpoint) serves callers without traffic rules.
    client.update_endpoints(
        {
            name: upstream.default_pool.instances[0].endpoint
            for name, upstream in traffic.upstreams.items()
        }
    )
    plugins = build_chain(config, source.plugins)
    planning = config.supergraph.query_planning
    concurrency = planning.concurrency
    planner_config = config.planner_config()
    defer_support = planner_config.defer_support
    # What clients validate against and introspect: `@defer` only with defer support,
    # as Apollo Router's API schema (`ApiSchemaOptions.include_defer`).
    api_schema = (
        with_defer(supergraph.api_schema) if defer_support else supergraph.api_schema
    )
    # Imported here: router.cache stands on router.server's errors (no import cycle).
    from router.cache.persisted_queries import PersistedQueryLayer
    from router.cache.plan_store import SharedPlans, planner_options

    shared = (
        None
        if planning.cache.redis is None
        else SharedPlans(
            planning.cache.redis,
            planner_options(
                defer_support,
                planner_config.max_evaluated_plans,
                planner_config.merge_same_level_fetches,
            ),
        )
    )
    entity_cache = None
    if config.preview_entity_cache.enabled:
        from router.cache.entity_cache import EntityCache

        entity_cache = EntityCache(config.preview_entity_cache, supergraph)
    engine = FederatedEngine(
        supergraph,
        QueryPlanner(supergraph, planner_config),
        PlanCache(planning.cache.in_memory.limit),
        traffic,
        plugins,
        unbatched=frozenset(
            graph.name
            for graph in supergraph.graphs.values()
            if config.traffic_shaping.for_subgraph(graph.name).batch_entity_fetches
            is False
        ),
        slots=PlanningSlots(concurrency.max_running, concurrency.per_client),
        planning_client=planning_client(config.ratelimit.trusted_proxies),
        shared=shared,
        api_schema=api_schema,
        subscriptions=_subscription_hub(config, client),
        entity_cache=entity_cache,
    )
    persisted_queries = PersistedQueryLayer(config, source.manifest)
    usage = None
    if config.telemetry.usage.enabled:
        from router.usage.recorder import UsageRecorder, usage_backend

        usage = UsageRecorder(
            config.telemetry.usage,
            api_schema,
            usage_backend(config.telemetry.usage, source.base_dir),
        )
    pipeline = Pipeline(
        api_schema=api_schema,
        documents=DocumentCache(
            api_schema,
            DOCUMENT_CACHE_SIZE,
            max_tokens=config.limits.parser_max_tokens,
        ),
        engine=engine,
        introspection=config.supergraph.introspection,
        include_subgraph_errors=config.include_subgraph_errors,
        plugins=plugins,
        max_recursion=config.limits.parser_max_recursion,
        authorizer=Authorizer.build(config.authorization.directives, supergraph),
        persisted_queries=persisted_queries,
        usage=usage,
    )
    return Generation(
        source,
        pipeline,
        client,
        number,
        plugins=plugins,
        persisted_queries=persisted_queries,
        engine=engine,
        usage=usage,
        entity_cache=entity_cache,
    )


def _subscription_hub(
    config: RouterConfig, client: SubgraphClient
) -> SubscriptionHub | None:
    """The generation's subscriptions to subgraphs (None: `subscription.enabled` is
    false)."""
    if not config.subscription.enabled:
        return None
    from router.subscriptions.hub import SubscriptionHub

    def url(subgraph: str) -> str | None:
        endpoint = client.endpoints.get(subgraph)
        return None if endpoint is None else endpoint.url

    def timeout(subgraph: str) -> float:
        endpoint = client.endpoints.get(subgraph)
        return 30.0 if endpoint is None else endpoint.timeout

    return SubscriptionHub(config.subscription, url, timeout, client.websocket_session)


class StateHolder:
    """The current generation; `acquire`/`release` bracket every request."""

    def __init__(self) -> None:
        self.current: Generation | None = None
        self._closing: set[asyncio.Task[None]] = set()

    def acquire(self) -> Generation | None:
        generation = self.current
        if generation is not None:
            generation.in_flight += 1
        return generation

    def release(self, generation: Generation) -> None:
        generation.in_flight -= 1
        if generation.retired and generation.in_flight == 0:
            self._close(generation)

    def swap(self, generation: Generation) -> None:
        previous, self.current = self.current, generation
        if previous is not None:
            previous.deactivate()
            hub = None if previous.engine is None else previous.engine.subscriptions
            if hub is not None:
                # Open subscriptions would keep the old plan and config for good.
                hub.end_all(
                    previous.source.supergraph.schema_hash
                    != generation.source.supergraph.schema_hash
                )
        generation.activate()
        if previous is None:
            settle_heap()
        else:
            # Settled once the replaced generation is closed (`_settle_after`): one
            # collection then frees it, instead of freezing it until the next reload.
            previous.retired = True
            if previous.in_flight == 0:
                self._close(previous)

    async def shutdown(self) -> None:
        if self.current is not None:
            self.current.deactivate()
            self.current.retired = True
            if self.current.in_flight == 0:
                self._close(self.current)
            self.current = None
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    def _close(self, generation: Generation) -> None:
        if generation.closing:
            return
        generation.closing = True
        task = asyncio.get_running_loop().create_task(generation.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)
        task.add_done_callback(self._settle_after)

    def _settle_after(self, _closed: asyncio.Task[None]) -> None:
        """A replaced generation is closed: collect it and freeze what serves now."""
        if self.current is not None:
            settle_heap()
