"""The subgraph stage's core: "send this request to subgraph X", done well.

The executor (through the subgraph stage's plugin hooks) asks for a subgraph; this
picks the pool the client's headers route to, shares identical query requests in
flight (`deduplicate_query`), picks an instance, retries what may be retried, and
hands the chosen instance's reply to each caller decoded on its own. The executor
knows nothing of instances (DESIGN.md "Where the next parts go").

Retries (`router.traffic.retries`): a try that never reached its instance goes to
another instance of the pool, queries and mutations alike, at most once per instance.
With `experimental_retry`, a query whose try failed after it left (5xx, timeout, broken
connection) goes to another instance, or once more to the only one, while the
subgraph's budget allows; a mutation never does unless `retry_mutations`. Each try has
the subgraph's `timeout`; the router's deadline (`traffic_shaping.router.timeout`)
cancels whatever is still running.

Circuit breaker (`router.traffic.breaker`): before a fetch is sent (after
deduplication, so that requests sharing one send take one probe), the subgraph's
breaker may refuse it with `SUBREQUEST_CIRCUIT_OPEN`; the fetch's outcome after any
retries is what it counts.

Health (`router.traffic.health`): picks skip the instances that failed their health
checks or were ejected (all of a pool out: any of them, Envoy's panic mode), and every
try tells the subgraph's guard how it went. The guards' monitor tasks run while this
traffic serves (`start`, `stop`).

A subgraph with one URL and no retry policy costs one dictionary lookup and one key
more than the bare client.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import orjson

from router.execution.codes import SUBREQUEST_CIRCUIT_OPEN, SUBREQUEST_HTTP_ERROR
from router.execution.subgraph_client import (
    SubgraphClient,
    SubgraphReply,
    SubgraphRequestError,
    SubgraphResponse,
    decode_reply,
)
from router.telemetry.active import (
    ACTIVE,
    observe_circuit_breaker,
    observe_circuit_open,
    observe_fetch,
    observe_subgraph_deduplicated,
    observe_subgraph_retry,
)
from router.traffic.balancer import Instance
from router.traffic.breaker import CircuitBreaker
from router.traffic.health import Probe
from router.traffic.retries import UNREACHED, retry_reason
from router.traffic.sharing import NOT_VARYING_HEADERS, InFlight
from router.traffic.upstream import Pool, Upstream

if TYPE_CHECKING:
    from router.telemetry.metrics import RouterMetrics

__all__ = ["SubgraphTraffic", "is_mutation"]

logger = logging.getLogger(__name__)

_Outcome = SubgraphReply | SubgraphRequestError


class SubgraphTraffic:
    """Sends subgraph requests over the `upstreams` of one loaded config."""

    __slots__ = ("_client", "_in_flight", "_monitors", "_upstreams")

    def __init__(
        self, client: SubgraphClient, upstreams: Mapping[str, Upstream]
    ) -> None:
        self._client = client
        self._upstreams = dict(upstreams)
        self._in_flight: InFlight[_Outcome] = InFlight()
        self._monitors: list[asyncio.Task[None]] = []

    @property
    def client(self) -> SubgraphClient:
        return self._client

    @property
    def upstreams(self) -> Mapping[str, Upstream]:
        return self._upstreams

    def inherit(self, previous: SubgraphTraffic) -> None:
        """Takes over what `previous` (the config this one replaces on a hot reload)
        learnt of subgraphs whose rules are unchanged: the circuit breakers whose
        `circuit_breaker` section is unchanged (a reload does not let a failing
        subgraph's traffic through again, nor forget the failures counted so far),
        and the health of instances (by URL) whose subgraph's `health_check` and
        `outlier_detection` sections are unchanged. Changed sections start afresh."""
        for name, upstream in self._upstreams.items():
            before = previous.upstreams.get(name)
            if before is None:
                continue
            if (
                upstream.breaker is not None
                and before.breaker is not None
                and before.breaker.config == upstream.breaker.config
            ):
                upstream = replace(upstream, breaker=before.breaker)
            guard, old = upstream.guard, before.guard
            if guard is not None and old is not None and guard.same_rules(old):
                if [s.url for s in guard.states] == [s.url for s in old.states]:
                    upstream = replace(upstream, guard=old)
                    guard = old
                else:
                    kept = {s.url: s for s in old.states}
                    guard.states = tuple(kept.get(s.url, s) for s in guard.states)
                for instance, state in zip(
                    upstream.instances, guard.states, strict=True
                ):
                    instance.health = state
            self._upstreams[name] = upstream

    def start(self, probe: Probe, metrics: RouterMetrics | None) -> None:
        """Starts the guards' monitors (health checks, ends of ejections) and shows
        each subgraph's healthy instances in `api_upstream_healthy_count`. Call in the
        event loop, when this traffic starts serving."""
        for upstream in self._upstreams.values():
            if metrics is not None:
                # Every series from the start, so that dashboards find them at 0.
                for instance in upstream.instances:
                    metrics.upstream_ejections.labels(upstream.name, instance.url)
            guard = upstream.guard
            if guard is None:
                if metrics is not None:
                    count = len(upstream.instances)
                    metrics.upstream_healthy.labels(upstream.name).set(count)
                continue
            task = asyncio.get_running_loop().create_task(
                guard.run(probe, metrics), name=f"health of {upstream.name}"
            )
            task.add_done_callback(_log_failure)
            self._monitors.append(task)

    def stop(self) -> None:
        """Cancels the monitors (this traffic no longer serves)."""
        for task in self._monitors:
            task.cancel()
        self._monitors.clear()

    def pool_number(
        self, subgraph: str, client_headers: Mapping[str, str] | None
    ) -> int | None:
        """Which of `subgraph`'s pools a request with these client headers goes to
        (its header routes), None for an unknown subgraph."""
        upstream = self._upstreams.get(subgraph)
        if upstream is None:
            return None
        return upstream.pool_for(client_headers).number

    async def post(
        self,
        subgraph: str,
        payload: dict[str, Any],
        headers: Mapping[str, str] | None = None,
        client_headers: Mapping[str, str] | None = None,
    ) -> SubgraphResponse:
        """Sends `payload` to an instance of `subgraph`; `client_headers` (the client
        request's, names lower-case) choose the header route. Raises
        `SubgraphRequestError` when no usable answer came."""
        upstream = self._upstreams.get(subgraph)
        if upstream is None:
            raise SubgraphRequestError(
                SUBREQUEST_HTTP_ERROR, f"No URL is configured for subgraph '{subgraph}'"
            )
        body = orjson.dumps(payload)
        pool = (
            upstream.pool_for(client_headers)
            if upstream.routes
            else upstream.default_pool
        )
        outcome: _Outcome | None
        if upstream.deduplicate and not is_mutation(payload):
            key = (subgraph, pool.number, body, _header_key(headers))
            in_flight = self._in_flight
            waiting = in_flight.waiters(key)
            if waiting is None:
                outcome = await in_flight.lead(
                    key, self._send(upstream, pool, body, headers, payload)
                )
            else:
                observe_subgraph_deduplicated(subgraph)
                outcome = await in_flight.follow(waiting)
                if outcome is None:  # the request it waited for was cancelled
                    outcome = await self._send(upstream, pool, body, headers, payload)
        else:
            outcome = await self._send(upstream, pool, body, headers, payload)
        if type(outcome) is SubgraphReply:
            return decode_reply(subgraph, outcome)
        assert isinstance(outcome, SubgraphRequestError)
        raise outcome

    async def _send(
        self,
        upstream: Upstream,
        pool: Pool,
        body: bytes,
        headers: Mapping[str, str] | None,
        payload: Mapping[str, Any],
    ) -> _Outcome:
        """Sends unless the subgraph's circuit breaker refuses, and tells the breaker
        how it went."""
        breaker = upstream.breaker
        if breaker is None:
            return await self._deliver(upstream, pool, body, headers, payload)
        before = breaker.state
        token = breaker.admit()
        _report(upstream.name, breaker, before)
        if token is None:
            observe_circuit_open(upstream.name)
            return SubgraphRequestError(
                SUBREQUEST_CIRCUIT_OPEN,
                f"Subgraph '{upstream.name}' was not asked: its circuit breaker is "
                "open after repeated failures",
                reached=False,
            )
        try:
            outcome = await self._deliver(upstream, pool, body, headers, payload)
        except BaseException:
            breaker.release(token)
            raise
        before = breaker.state
        breaker.record(token, retry_reason(outcome) is not None)
        _report(upstream.name, breaker, before)
        return outcome

    async def _deliver(
        self,
        upstream: Upstream,
        pool: Pool,
        body: bytes,
        headers: Mapping[str, str] | None,
        payload: Mapping[str, Any],
    ) -> _Outcome:
        """Tries instances of `pool` until one answers or retrying must stop."""
        instances = pool.instances
        guard = upstream.guard
        if len(instances) == 1:
            instance: Instance | None = instances[0]
        elif guard is None:
            instance = pool.balancer.pick()
        else:
            instance = _pick(pool, ())
        assert instance is not None  # a pool is never empty
        # The first try inline: most fetches need no other.
        instance.in_flight += 1
        try:
            outcome: _Outcome = await self._client.fetch(
                instance.endpoint, body, headers
            )
        except SubgraphRequestError as error:
            outcome = error
        finally:
            instance.in_flight -= 1
        if type(outcome) is SubgraphReply and outcome.status < 500:
            if guard is not None and instance.health is not None:
                guard.record(instance.health, False)
            if upstream.retry is not None:
                upstream.retry.budget.deposit()
            active = ACTIVE.get()
            if active is not None:
                observe_fetch(active, upstream.name, (instance.endpoint.url,))
            return outcome
        return await self._retry(
            upstream, pool, instance, outcome, body, headers, payload
        )

    async def _retry(
        self,
        upstream: Upstream,
        pool: Pool,
        instance: Instance,
        outcome: _Outcome,
        body: bytes,
        headers: Mapping[str, str] | None,
        payload: Mapping[str, Any],
    ) -> _Outcome:
        """Sends again after the first try, of `instance`, failed with `outcome`."""
        reason = retry_reason(outcome)
        retry = upstream.retry
        guard = upstream.guard
        if guard is not None and instance.health is not None:
            guard.record(instance.health, reason is not None)
        tried = [instance]
        while reason is not None:
            if reason == UNREACHED:
                following = _pick(pool, tried)
            elif retry is None or (is_mutation(payload) and not retry.mutations):
                break
            else:
                following = _pick(pool, tried)
                if following is None and len(pool.instances) == 1 and len(tried) == 1:
                    following = instance  # the only instance, once more
                if following is not None and not retry.budget.withdraw():
                    break
            if following is None:
                break
            observe_subgraph_retry(upstream.name, reason)
            instance = following
            tried.append(instance)
            outcome = await self._try(instance, body, headers)
            reason = retry_reason(outcome)
            if guard is not None and instance.health is not None:
                guard.record(instance.health, reason is not None)
        if reason is None and retry is not None:
            retry.budget.deposit()
        active = ACTIVE.get()
        if active is not None:
            observe_fetch(active, upstream.name, [i.endpoint.url for i in tried])
        return outcome

    async def _try(
        self, instance: Instance, body: bytes, headers: Mapping[str, str] | None
    ) -> _Outcome:
        instance.in_flight += 1
        try:
            return await self._client.fetch(instance.endpoint, body, headers)
        except SubgraphRequestError as error:
            return error
        finally:
            instance.in_flight -= 1


def _pick(pool: Pool, tried: Sequence[Instance]) -> Instance | None:
    """An instance of `pool` not in `tried`, healthy if any is (else any: panic)."""
    down = [
        i for i in pool.instances if i.health is not None and not i.health.available
    ]
    if down:
        chosen = pool.balancer.pick([*tried, *down])
        if chosen is not None:
            return chosen
    return pool.balancer.pick(tried)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("a health monitor failed", exc_info=task.exception())


def _report(subgraph: str, breaker: CircuitBreaker, before: int) -> None:
    """Telemetry for `breaker` when its state changed from `before`, or was never
    reported (the gauge shows a breaker from its first fetch)."""
    if breaker.state != before or not breaker.reported:
        observe_circuit_breaker(subgraph, breaker, breaker.state != before)


def is_mutation(payload: Mapping[str, Any]) -> bool:
    """Whether a subgraph request runs a mutation. The planner writes one operation per
    fetch, keyword first; anything unreadable counts as a mutation (never retried
    after it left, never shared)."""
    query = payload.get("query")
    if type(query) is not str:
        return True
    if query[:1].isspace():
        query = query.lstrip()
    return query.startswith("mutation")


def _header_key(headers: Mapping[str, str] | None) -> tuple[tuple[str, str], ...]:
    """The headers that make two requests different, as the plugins set them: the
    same rules give identical requests the same names in the same order, and telemetry
    writes its own names in lower case (a difference in spelling or order only costs
    a missed share)."""
    if not headers:
        return ()
    return tuple(
        [item for item in headers.items() if item[0] not in NOT_VARYING_HEADERS]
    )
