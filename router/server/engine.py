"""The federated engine: plan through the plan cache, execute the plan, shape the result.

QUERY_PLANNING.md §4. The plan cache is keyed by (schema hash, document hash, operation
name, override labels), so a repeated operation is neither parsed (document cache) nor
planned again; the shaper is compiled once per document and operation. Behind the
in-memory plan cache, `supergraph.query_planning.cache.redis` shares plans between
router processes (router.cache.plan_store); after a reload, `warm_up` re-plans the
previous generation's most-used operations before the new schema serves.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any

import orjson
from graphql import DocumentNode, GraphQLSchema

from planner.plan_cache import PlanCache, PlanCacheKey, PlannedOperation
from planner.planning import QueryPlanner, QueryPlanningError
from planner.query_plan import QueryPlan, Subscription, fetches_in
from planner.supergraph import Supergraph
from planner.supergraph.override_labels import percent_labels
from router.execution.executor import execute_plan
from router.execution.incremental import IncrementalDelivery
from router.execution.override_rolls import OverrideRolls
from router.execution.shaping import ResponseShaper
from router.execution.subgraph_client import SubgraphRequestError
from router.execution.type_conditions import type_conditions_for
from router.plugins.chain import EMPTY_CHAIN, PluginChain
from router.plugins.plugin import ExecutionRequest, ExecutionResponse
from router.server.documents import PreparedDocument
from router.server.errors import (
    QUERY_PLANNING_BUSY,
    SUBSCRIPTION_DISABLED,
    RequestFailure,
    graphql_error,
)
from router.server.incremental import (
    active_defer,
    planned_conditions,
    primary_document,
    subsequent_payloads,
)
from router.server.pipeline import Engine
from router.server.planning_slots import PlanningBusy, PlanningSlots
from router.telemetry.active import (
    observe_planning,
    record_stage_span,
    stage_span,
)
from router.telemetry.plan_exposure import DRY_RUN, EXPOSE_QUERY_PLAN, plan_extension
from router.validation import validate_document

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from router.cache.entity_cache import EntityCache
    from router.cache.plan_store import SharedPlans
    from router.plugins.context import RequestContext
    from router.subscriptions.hub import SubscriptionHub
    from router.traffic import SubgraphTraffic

__all__ = ["FederatedEngine"]

logger = logging.getLogger(__name__)


class FederatedEngine(Engine):
    """Plans and runs operations against one supergraph, sending subgraph requests
    through one config's traffic rules."""

    def __init__(
        self,
        supergraph: Supergraph,
        planner: QueryPlanner,
        plans: PlanCache,
        traffic: SubgraphTraffic,
        plugins: PluginChain = EMPTY_CHAIN,
        unbatched: frozenset[str] = frozenset(),
        slots: PlanningSlots | None = None,
        planning_client: Callable[[RequestContext | None], str] = lambda _: "",
        shared: SharedPlans | None = None,
        api_schema: GraphQLSchema | None = None,
        subscriptions: SubscriptionHub | None = None,
        entity_cache: EntityCache | None = None,
    ) -> None:
        self._supergraph = supergraph
        # The schema requests validate against (with `@defer` under defer support).
        self._api_schema = api_schema or supergraph.api_schema
        self._planner = planner
        self._plans = plans
        self._traffic = traffic
        self._plugins = plugins
        self._unbatched = unbatched  # subgraphs whose entity fetches go out one by one
        self._override_rolls = OverrideRolls(percent_labels(supergraph))
        # The planner stops itself at its budget; this catches anything past it.
        self._planning_deadline = planner.config.time_budget_seconds * 2 + 5.0
        self._slots = slots or PlanningSlots(2, 8)
        self._planning_client = planning_client
        self.shared = shared
        self.entity_cache = entity_cache
        self.subscriptions = subscriptions  # None: subscriptions are off

    @property
    def subscriptions_enabled(self) -> bool:
        return self.subscriptions is not None

    @property
    def traffic(self) -> SubgraphTraffic:
        return self._traffic

    def hottest(self, count: int) -> list[PlannedOperation]:
        """This engine's `count` most-used planned operations (for warm-up)."""
        return self._plans.hottest(count) if count > 0 else []

    async def warm_up(self, operations: list[PlannedOperation], budget: float) -> int:
        """Plans `operations` (another schema's, most used first) for this one, each
        from Redis when another process already did, within `budget` seconds; returns
        how many are now in the cache. Operations that no longer validate or plan are
        skipped; none of this counts as traffic in the metrics."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + budget
        warmed = 0
        for operation in operations:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            old = operation.key
            key = self._key(old.document_hash, old.operation_name, old.override_labels)
            if key not in self._plans:
                plan = None if self.shared is None else await self.shared.get(key)
                if plan is not None:
                    self._plans.put(key, plan, operation.document)
                else:
                    planning = loop.run_in_executor(
                        None, self._warm_one, key, operation.document
                    )
                    try:
                        plan = await asyncio.wait_for(
                            asyncio.shield(planning), timeout=remaining
                        )
                    except TimeoutError:
                        break
                    if plan is None:
                        continue
                    if self.shared is not None:
                        await self.shared.set(key, plan)
            warmed += 1
        return warmed

    def _warm_one(self, key: PlanCacheKey, document: DocumentNode) -> QueryPlan | None:
        if validate_document(self._api_schema, document):
            return None  # the new schema refuses it: a request would fail validation
        try:
            return self._plans.get_or_plan(
                key,
                lambda: self._planner.plan(
                    document,
                    operation_name=key.operation_name,
                    override_labels=key.override_labels,
                ),
                document,
            )
        except QueryPlanningError:
            return None

    async def run(
        self,
        prepared: PreparedDocument,
        operation_name: str | None,
        variables: dict[str, Any],
        *,
        plan_document: DocumentNode | None = None,
        plan_key: str | None = None,
        execute: bool = True,
        prefilled: dict[str, Any] | None = None,
        context: RequestContext | None = None,
    ) -> ExecutionResponse:
        document = prepared.document
        if document is None:  # only valid documents reach the engine
            raise ValueError("the engine runs validated documents only")
        if not execute:
            # Nothing left to plan (authorization removed it all): shape `prefilled`
            # alone, so every removed field comes back null.
            shaper = self._shaper(prepared, document, operation_name)
            shaped: dict[str, Any] = shaper.shape(dict(prefilled or {}), [], variables)
            return ExecutionResponse(shaped)
        plan = await self._plan_off_loop(
            plan_key or prepared.document_hash,
            plan_document or document,
            operation_name,
            self._override_rolls.active(),
            self._planning_client(context),
        )
        expose = None if context is None else context.values.get(EXPOSE_QUERY_PLAN)
        if expose == DRY_RUN:
            return ExecutionResponse(
                {"extensions": {"apolloQueryPlan": plan_extension(plan)}}
            )

        async def core(
            ctx: RequestContext | None, staged: ExecutionRequest
        ) -> ExecutionResponse:
            if (
                ctx is not None
                and ctx.multipart_defer
                and active_defer(staged.plan.node, staged.variables)
            ):
                return await self._incremental(
                    ctx, staged, prepared, document, operation_name, prefilled
                )
            cache = None if self.entity_cache is None else self.entity_cache.scope(ctx)
            result = await execute_plan(
                staged.plan,
                variables=staged.variables,
                client=self._traffic.client,
                schema=self._supergraph.schema,
                unbatched=self._unbatched,
                post=(
                    self._traffic.post
                    if ctx is None
                    else self._plugins.subgraph_post(ctx, self._traffic)
                ),
                cache=cache,
            )
            if prefilled and result.data is not None:
                result.data.update(prefilled)
            shaper = self._shaper(prepared, document, operation_name)
            shaped = shaper.shape(result.data, result.errors, staged.variables)
            if cache is not None and ctx is not None:
                # The client may keep the answer as long as its shortest-lived part.
                control = "no-store" if shaped.get("errors") else cache.client.header()
                if control is not None:
                    ctx.response_headers.append(("cache-control", control))
            return ExecutionResponse(shaped)

        request = ExecutionRequest(plan, operation_name, variables)
        with stage_span("execution"):
            if context is None:
                executed = await core(None, request)
            else:
                executed = await self._plugins.run_execution(context, request, core)
        if expose is not None:
            executed.body.setdefault("extensions", {})["apolloQueryPlan"] = (
                plan_extension(plan)
            )
        if executed.subsequent is not None:
            executed.body["hasNext"] = executed.body.pop("hasNext", True)  # last
        return executed

    async def _incremental(
        self,
        ctx: RequestContext,
        staged: ExecutionRequest,
        prepared: PreparedDocument,
        document: DocumentNode,
        operation_name: str | None,
        prefilled: dict[str, Any] | None,
    ) -> ExecutionResponse:
        """A deferred operation for a multipart client: the primary part's response,
        and the later payloads as their parts finish (router.server.incremental).

        With the entity cache, the answer is `Cache-Control: no-store`: its header
        leaves before the deferred parts know what they are built from."""
        delivery = IncrementalDelivery()
        cache = None if self.entity_cache is None else self.entity_cache.scope(ctx)
        if cache is not None:
            ctx.response_headers.append(("cache-control", "no-store"))
        try:
            result = await execute_plan(
                staged.plan,
                variables=staged.variables,
                client=self._traffic.client,
                schema=self._supergraph.schema,
                unbatched=self._unbatched,
                post=self._plugins.subgraph_post(ctx, self._traffic),
                incremental=delivery,
                cache=cache,
            )
        except BaseException:
            delivery.cancel()
            raise
        data = result.data
        if prefilled and data is not None:
            data.update(prefilled)
        primary = self._primary_shaper(
            prepared,
            operation_name,
            staged.variables,
            planned_conditions(staged.plan.node, staged.variables),
        )
        body = primary.shape(data, result.errors, staged.variables)
        if data is None or body.get("data") is None or not delivery.pending:
            # Nothing can follow (no data to add to, or no part): one response.
            delivery.cancel()
            return ExecutionResponse(body)
        body["hasNext"] = True
        subsequent = subsequent_payloads(
            delivery,
            data,
            body["data"],
            prepared=prepared,
            operation_name=operation_name,
            full=self._shaper(prepared, document, operation_name),
            schema=self._api_schema,
            types=type_conditions_for(self._supergraph.schema),
            variables=staged.variables,
            client_aliases=staged.plan.client_aliases,
            shadowed=self._planner.shadowed,
        )
        return ExecutionResponse(body, subsequent)

    def _primary_shaper(
        self,
        prepared: PreparedDocument,
        operation_name: str | None,
        variables: dict[str, Any],
        planned: set[str],
    ) -> ResponseShaper:
        """The shaper of the operation without its deferred fragments."""
        query_type = self._api_schema.query_type
        assert query_type is not None  # a schema without one loads no supergraph
        document = primary_document(prepared, variables, query_type.name, planned)
        key = ("defer-shaper", operation_name, id(document))
        shaper: ResponseShaper | None = prepared.derived.get(key)
        if shaper is None:
            shaper = ResponseShaper.compile(
                self._api_schema, document, operation_name, self._planner.shadowed
            )
            prepared.derived[key] = shaper
        return shaper

    def _shaper(
        self,
        prepared: PreparedDocument,
        document: DocumentNode,
        operation_name: str | None,
    ) -> ResponseShaper:
        shaper: ResponseShaper | None = prepared.derived.get(operation_name)
        if shaper is None:
            shaper = ResponseShaper.compile(
                self._api_schema, document, operation_name, self._planner.shadowed
            )
            prepared.derived[operation_name] = shaper
        return shaper

    async def _plan_off_loop(
        self,
        document_hash: str,
        document: DocumentNode,
        operation_name: str | None,
        override_labels: frozenset[str],
        client: str,
    ) -> QueryPlan:
        """A cached plan right away; planning itself in a worker thread, so a long plan
        never stalls other requests, within the client's share of the planning slots
        (QUERY_PLANNING_BUSY past it); a plan past the deadline answers
        QUERY_PLANNING_FAILED (the planner's own budget normally ends it far sooner)."""
        key = self._key(document_hash, operation_name, override_labels)
        hit = self._plans.cached(key)
        if hit is not None:
            # What `_plan` reports for a hit, without its planning closure.
            observe_planning(True, 0.0)
            record_stage_span("query_planning", {"query_planning.cache": "hit"})
            return hit
        if key in self._plans:  # a planning error, raised again
            return self._plan(key, document, operation_name)[0]
        if self.shared is not None:
            with stage_span("query_planning") as span:
                shared = await self.shared.get(key)
                if shared is not None:
                    self._plans.put(key, shared, document)
                    observe_planning(True, 0.0)
                    if span is not None:
                        span.set_attribute("query_planning.cache", "redis")
                    return shared
        try:
            await self._slots.acquire(client)
        except PlanningBusy:
            raise RequestFailure(
                [
                    graphql_error(
                        QUERY_PLANNING_BUSY,
                        "Too many new operations from this client are being planned; "
                        "retry once they are.",
                    )
                ],
                429,
                headers=(("retry-after", "1"),),
            ) from None
        loop = asyncio.get_running_loop()

        def plan_in_thread() -> tuple[QueryPlan, bool]:
            try:
                return self._plan(key, document, operation_name)
            finally:
                # The slot is the thread's: it ends with it, not with the wait.
                loop.call_soon_threadsafe(self._slots.release, client)

        try:
            # As asyncio.to_thread does: the thread sees the request's context (its
            # trace span is the planning span's parent).
            context_copy = contextvars.copy_context()
            planning = loop.run_in_executor(None, context_copy.run, plan_in_thread)
        except BaseException:
            self._slots.release(client)
            raise
        try:
            plan, planned = await asyncio.wait_for(
                asyncio.shield(planning), timeout=self._planning_deadline
            )
        except TimeoutError:
            raise RequestFailure(
                [
                    graphql_error(
                        "QUERY_PLANNING_FAILED",
                        "Planning this operation took too long.",
                    )
                ],
                400,
                well_formed=True,
            ) from None
        if planned and self.shared is not None:
            self.shared.put(key, plan)
        return plan

    def _key(
        self,
        document_hash: str,
        operation_name: str | None,
        override_labels: frozenset[str],
    ) -> PlanCacheKey:
        return PlanCacheKey(
            self._supergraph.schema_hash,
            document_hash,
            operation_name,
            override_labels,
        )

    def _plan(
        self, key: PlanCacheKey, document: DocumentNode, operation_name: str | None
    ) -> tuple[QueryPlan, bool]:
        """The plan, and whether this call planned it (a miss)."""
        planned: list[float] = []  # seconds of planning, when the cache missed

        def compute() -> QueryPlan:
            started = time.perf_counter()
            try:
                return self._planner.plan(
                    document,
                    operation_name=operation_name,
                    override_labels=key.override_labels,
                )
            finally:
                planned.append(time.perf_counter() - started)

        with stage_span("query_planning") as span:
            try:
                plan: QueryPlan = self._plans.get_or_plan(key, compute, document)
            except QueryPlanningError as exc:
                raise RequestFailure(
                    [graphql_error(exc.code, exc.message)], 400, well_formed=True
                ) from None
            finally:
                observe_planning(not planned, sum(planned))
                if span is not None:
                    span.set_attribute(
                        "query_planning.cache", "miss" if planned else "hit"
                    )
        return plan, bool(planned)

    async def subscribe(
        self,
        prepared: PreparedDocument,
        operation_name: str | None,
        variables: dict[str, Any],
        *,
        plan_document: DocumentNode | None = None,
        plan_key: str | None = None,
        context: RequestContext,
    ) -> AsyncGenerator[dict[str, Any], None]:
        """A subscription's events, each completed by the plan's rest and shaped
        (router.subscriptions.events). Planned as `run` plans; the subgraph
        subscription is opened, or joined (deduplication), before this returns, so a
        refusal (limits, subgraph not configured) raises `RequestFailure` here."""
        from router.subscriptions.completion import Completion
        from router.subscriptions.events import completed_events, event_completer
        from router.subscriptions.hub import SubscriptionRefused, upstream_key

        hub = self.subscriptions
        document = prepared.document
        if hub is None or document is None:
            raise RequestFailure.of(
                SUBSCRIPTION_DISABLED,
                "subscription support is not enabled",
                well_formed=True,
            )
        labels = self._override_rolls.active()
        plan = await self._plan_off_loop(
            plan_key or prepared.document_hash,
            plan_document or document,
            operation_name,
            labels,
            self._planning_client(context),
        )
        node = plan.node
        if not isinstance(node, Subscription):
            raise RequestFailure.of(
                "QUERY_PLANNING_FAILED",
                "The subscription has no subgraph subscription to open.",
                well_formed=True,
            )
        primary = node.primary
        used = {n: variables[n] for n in primary.variable_usages if n in variables}
        payload: dict[str, Any] = {"query": primary.operation, "variables": used}
        if primary.operation_name is not None:
            payload["operationName"] = primary.operation_name
        try:
            headers = await self._plugins.subgraph_headers(
                context, primary.service_name, payload
            )
            claims = context.jwt_claims or {}
            expiry = claims.get("exp")
            completer = event_completer(
                node,
                variables=variables,
                client=self._traffic.client,
                schema=self._supergraph.schema,
                shaper=self._shaper(prepared, document, operation_name),
                post=self._plugins.subgraph_post(context, self._traffic),
                unbatched=self._unbatched,
                client_aliases=plan.client_aliases,
            )

            async def complete(event: dict[str, Any]) -> dict[str, Any]:
                try:
                    return await completer(event)
                finally:
                    # What each fetch answered is read when a response starts; a
                    # subscription's started long ago, and would keep them forever.
                    context.subgraph_responses.clear()

            shared = await self._completion_key(
                node, prepared, plan_key, operation_name, labels, variables, context
            )
            listener = hub.open(
                upstream_key(primary, used, headers),
                self._planning_client(context),
                expiry if isinstance(expiry, int | float) else None,
                Completion(shared, complete),
            )
        except SubgraphRequestError as error:
            raise RequestFailure.of(
                error.code, error.message, well_formed=True
            ) from None
        except SubscriptionRefused as refused:
            raise RequestFailure([refused.error], well_formed=True) from None
        return completed_events(listener, on_close=lambda: hub.close(listener))

    async def _completion_key(
        self,
        node: Subscription,
        prepared: PreparedDocument,
        plan_key: str | None,
        operation_name: str | None,
        labels: frozenset[str],
        variables: dict[str, Any],
        context: RequestContext,
    ) -> Hashable | None:
        """What makes two clients' completions of one upstream's events identical:
        the operation they shape (document, name), the plan (its key says which
        authorization outcome filtered it; override labels), the variables, and for
        each subgraph the plan's rest asks, the headers sent and the instance pool
        chosen. None: this client shares with nobody (a custom plugin's subgraph
        hook might tell it apart)."""
        from router.subscriptions.hub import shared_headers

        sent = []
        for subgraph in sorted({f.service_name for f in fetches_in(node.rest)}):
            headers = await self._plugins.sent_headers(context, subgraph)
            if headers is None:
                return None
            pool = self._traffic.pool_number(subgraph, context.headers)
            sent.append((subgraph, shared_headers(headers), pool))
        return (
            prepared.document_hash,
            plan_key,
            operation_name,
            labels,
            orjson.dumps(variables, option=orjson.OPT_SORT_KEYS),
            tuple(sent),
        )
