"""The telemetry of the request being served, for the stages that have no plugin hook.

Parsing, validation, planning and execution run inside the pipeline, between the
telemetry plugin's hooks; they reach the request's tracer and metrics through a context
variable that the plugin's router hook sets (asyncio copies it into the tasks a request
starts, so parallel fetches see it too). With telemetry off it holds None and every
helper here costs one lookup.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from opentelemetry.trace import Span

from router.telemetry.current import current_span
from router.telemetry.metric_values import add
from router.telemetry.spans import RecordingSpan

if TYPE_CHECKING:
    from router.telemetry.metrics import RouterMetrics
    from router.telemetry.otlp_encoding import AttributeValue
    from router.telemetry.spans import Tracer
    from router.traffic.breaker import CircuitBreaker

__all__ = [
    "ACTIVE",
    "ActiveTelemetry",
    "observe_cache",
    "observe_circuit_breaker",
    "observe_circuit_open",
    "observe_deduplicated_request",
    "observe_fetch",
    "observe_planning",
    "observe_subgraph_deduplicated",
    "observe_subgraph_retry",
    "record_stage_span",
    "stage_span",
    "subscription_metrics",
]


@dataclass(frozen=True, slots=True)
class ActiveTelemetry:
    tracer: Tracer | None
    metrics: RouterMetrics | None


ACTIVE: ContextVar[ActiveTelemetry | None] = ContextVar(
    "router_telemetry", default=None
)


class _NoSpan:
    """The context manager of a stage with no span: nothing to enter or leave."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> None:
        return None


_NO_SPAN = _NoSpan()


def stage_span(
    name: str, attributes: dict[str, AttributeValue] | None = None
) -> contextlib.AbstractContextManager[Span | None]:
    """A child span of the current one named `name` (None when tracing is off).

    With tracing off this is one context-variable lookup and a shared no-op context
    manager: no generator, no allocation.
    """
    active = ACTIVE.get()
    if active is None or active.tracer is None:
        return _NO_SPAN
    # An unsampled request gets no child spans: nothing would export them.
    parent = current_span()
    if type(parent) is not RecordingSpan or not parent.is_recording():
        return _NO_SPAN
    return active.tracer.start_child_as_current(parent, name, attributes=attributes)


def record_stage_span(name: str, attributes: dict[str, AttributeValue]) -> None:
    """A child span of the current one named `name`, started and ended now, for a stage
    whose work is already done (a plan-cache hit); never made current, which saves
    entering and leaving the context. Nothing when tracing is off or unsampled."""
    active = ACTIVE.get()
    if active is None or active.tracer is None:
        return
    parent = current_span()
    if type(parent) is RecordingSpan and parent.is_recording():
        active.tracer.record_child(parent, name, attributes)


def observe_planning(hit: bool, seconds: float) -> None:
    """One plan-cache lookup; `seconds` of planning when it missed."""
    active = ACTIVE.get()
    if active is None or active.metrics is None:
        return
    observe_cache("query_planning", hit)
    if not hit:
        active.metrics.planning_duration.observe(seconds)


def observe_cache(
    cache: str, hit: bool, subgraph: str = "", type_: str = "", count: int = 1
) -> None:
    """`count` lookups in the router's cache named `cache`; the entity cache says of
    which subgraph and type (`root` for root fetches)."""
    active = ACTIVE.get()
    if active is None or active.metrics is None or count <= 0:
        return
    metrics = active.metrics
    counter = metrics.cache_hits_of if hit else metrics.cache_misses_of
    add(counter(cache, subgraph, type_), count)


# What router.traffic reports about each fetch. The fetch span is the current span
# inside the subgraph stage's core (the telemetry plugin's subgraph hook made it so).


def observe_fetch(active: ActiveTelemetry, subgraph: str, tried: Sequence[str]) -> None:
    """A fetch to `subgraph` done, after trying the instance URLs `tried` in order:
    one request counted for each, and the fetch span told the instance that answered
    last and how many retries it took (`url.full`, `http.request.resend_count`:
    OpenTelemetry's HTTP client attributes). The caller has `ACTIVE.get()` at hand."""
    if active.metrics is not None:
        counter = active.metrics.upstream_requests_of
        for url in tried:
            add(counter(subgraph, url))
    if active.tracer is not None:
        span = current_span()
        if span.is_recording():
            span.set_attributes(
                {"url.full": tried[-1], "http.request.resend_count": len(tried) - 1}
            )


def observe_subgraph_retry(subgraph: str, reason: str) -> None:
    """A fetch to `subgraph` sent again after a failure of kind `reason`."""
    active = ACTIVE.get()
    if active is None or active.metrics is None:
        return
    active.metrics.upstream_retries.labels(subgraph, reason).inc()


def observe_subgraph_deduplicated(subgraph: str) -> None:
    """A fetch answered by an identical request in flight: marked on its span."""
    active = ACTIVE.get()
    if active is None:
        return
    if active.metrics is not None:
        add(active.metrics.upstream_deduplicated_of(subgraph))
    if active.tracer is not None:
        span = current_span()
        if span.is_recording():
            span.set_attribute("subgraph.deduplicated", True)


def observe_circuit_breaker(
    subgraph: str, breaker: CircuitBreaker, changed: bool
) -> None:
    """`subgraph`'s breaker is in `breaker.state` (0 closed, 1 open, 2 half-open),
    which it has just entered when `changed`."""
    active = ACTIVE.get()
    if active is None or active.metrics is None:
        return
    # Imported here: router.traffic stands on router.telemetry, not the other way.
    from router.traffic.breaker import STATE_NAMES

    metrics = active.metrics
    metrics.circuit_breaker_state.labels(subgraph).set(breaker.state)
    if changed:
        metrics.circuit_breaker_transitions.labels(
            subgraph, STATE_NAMES[breaker.state]
        ).inc()
    breaker.reported = True


def observe_circuit_open(subgraph: str) -> None:
    """A fetch to `subgraph` refused by its open breaker: marked on the fetch span."""
    active = ACTIVE.get()
    if active is None or active.tracer is None:
        return
    span = current_span()
    if span.is_recording():
        span.set_attribute("subgraph.circuit_open", True)


def observe_deduplicated_request() -> None:
    """A client operation answered by an identical one in flight."""
    active = ACTIVE.get()
    if active is None or active.metrics is None:
        return
    active.metrics.deduplicated_requests.inc()


def subscription_metrics() -> RouterMetrics | None:
    """The metrics of the request opening a subscription, kept by the subscription:
    its gauges move when it ends, long after that request's telemetry is gone."""
    active = ACTIVE.get()
    return None if active is None else active.metrics
