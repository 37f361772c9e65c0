"""The golden signals in a Prometheus registry: latency, traffic, errors, saturation.

One registry per process, kept across config reloads so counters never go back. Names
are the issue's (`api_request_duration_seconds`, `api_requests_total`...). Operation names
and error codes pass through `BoundedLabel`, so no client can grow the label set.

`router serve --workers N` runs prometheus_client's multiprocess mode (see
`router.telemetry.multiprocess`): every worker writes its values to files in a shared
folder and a scrape answered by any worker sums them all.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from typing import Generic, TypeVar

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from router.cache.codes import PERSISTED_QUERY_CODES
from router.config.telemetry import DEFAULT_BUCKETS
from router.execution.codes import EXECUTION_CODES
from router.server.errors import SERVER_CODES
from router.subscriptions.codes import SUBSCRIPTION_CODES
from router.telemetry.labels import BoundedLabel
from router.telemetry.metric_values import (
    LoopCounter,
    LoopGauge,
    LoopHistogram,
    add,
    observe,
)

__all__ = [
    "ANONYMOUS",
    "CONTENT_TYPE_LATEST",
    "OTHER_OPERATION",
    "UNKNOWN_OPERATION",
    "LabelledChildren",
    "RouterMetrics",
    "process_metrics",
]

# Operation-name label values that are not names.
ANONYMOUS = "(anonymous)"
UNKNOWN_OPERATION = "(unknown)"  # refused before an operation was selected
OTHER_OPERATION = "(other)"  # past the distinct-name limit
MAX_OPERATION_NAMES = 200
MAX_ERROR_CODES = 100
# Codes the router itself puts on errors: always their own label value.
_ROUTER_CODES = (
    frozenset(SERVER_CODES)
    | frozenset(EXECUTION_CODES)
    | frozenset(PERSISTED_QUERY_CODES)
    | frozenset(SUBSCRIPTION_CODES)
    | {
        "REQUEST_RATE_LIMITED",
        "MAX_DEPTH_LIMIT",
        "MAX_HEIGHT_LIMIT",
        "MAX_ALIASES_LIMIT",
        "MAX_ROOT_FIELDS_LIMIT",
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "CSRF_ERROR",
        "PERSISTED_QUERY_NOT_FOUND",
    }
)

disable_created_metrics()  # type: ignore[no-untyped-call]

_Metric = TypeVar("_Metric", Counter, Histogram, Gauge)
_MAX_CHILDREN = 4096


class LabelledChildren(Generic[_Metric]):
    """`metric.labels(*values)`, kept per label values: prometheus_client checks and
    locks on every `labels` call, a few microseconds each, several times a request.
    At most `_MAX_CHILDREN` are kept (label values come bounded, or from a bounded
    label, all the same)."""

    __slots__ = ("_children", "_metric")
    _metric: _Metric
    _children: dict[tuple[str, ...], _Metric]

    def __init__(self, metric: _Metric) -> None:
        self._metric = metric
        self._children = {}

    def __call__(self, *values: str) -> _Metric:
        child = self._children.get(values)
        if child is None:
            child = self._metric.labels(*values)
            if len(self._children) < _MAX_CHILDREN:
                self._children[values] = child
        return child


class RouterMetrics:
    """The router's metric families, registered in `registry`."""

    def __init__(self, buckets: Iterable[float] = DEFAULT_BUCKETS) -> None:
        self.registry = CollectorRegistry()
        bounds = tuple(buckets)
        request = ("operation_name", "operation_type", "status_code")
        self.request_duration = LoopHistogram(
            "api_request_duration_seconds",
            "Time from the request's arrival to its response, by operation and status.",
            request,
            buckets=bounds,
            registry=self.registry,
        )
        self.requests = LoopCounter(
            "api_requests",
            "GraphQL requests answered, by operation and HTTP status.",
            request,
            registry=self.registry,
        )
        self.errors = LoopCounter(
            "api_errors",
            "GraphQL errors in responses, by extensions.code.",
            ("code",),
            registry=self.registry,
        )
        self.active_requests = LoopGauge(
            "api_active_requests",
            "Requests being served now.",
            registry=self.registry,
            multiprocess_mode="livesum",  # across --workers, of the live ones
        )
        self.rate_limit_hits = LoopCounter(
            "api_rate_limit_hits",
            "Requests refused by a rate limit (HTTP 429).",
            registry=self.registry,
        )
        self.upstream_latency = LoopHistogram(
            "api_upstream_latency_seconds",
            "Time of each subgraph request, by subgraph.",
            ("subgraph",),
            buckets=bounds,
            registry=self.registry,
        )
        self.upstream_errors = LoopCounter(
            "api_upstream_errors",
            "Subgraph requests that failed or answered errors, by subgraph and code.",
            ("subgraph", "code"),
            registry=self.registry,
        )
        self.upstream_requests = LoopCounter(
            "api_upstream_requests",
            "HTTP requests sent to each subgraph instance (every try of a fetch).",
            ("subgraph", "instance"),
            registry=self.registry,
        )
        self.upstream_retries = LoopCounter(
            "api_upstream_retries",
            "Subgraph fetches sent again, by subgraph and the failure that caused it "
            "(unreached, timeout, transport, http_5xx).",
            ("subgraph", "reason"),
            registry=self.registry,
        )
        self.upstream_deduplicated = LoopCounter(
            "api_upstream_deduplicated",
            "Subgraph fetches answered by an identical request already in flight.",
            ("subgraph",),
            registry=self.registry,
        )
        self.circuit_breaker_state = LoopGauge(
            "api_circuit_breaker_state",
            "Each subgraph's circuit breaker: 0 closed, 1 open, 2 half-open.",
            ("subgraph",),
            registry=self.registry,
            # Each worker has its own breakers: the scrape shows the highest.
            multiprocess_mode="livemax",
        )
        self.circuit_breaker_transitions = LoopCounter(
            "api_circuit_breaker_transitions",
            "Changes of state of each subgraph's circuit breaker, by the state entered "
            "(closed, open, half_open).",
            ("subgraph", "state"),
            registry=self.registry,
        )
        self.upstream_healthy = LoopGauge(
            "api_upstream_healthy_count",
            "Instances of each subgraph that may get fetches: passing their health "
            "checks and not ejected.",
            ("subgraph",),
            registry=self.registry,
            # Each worker checks on its own: the scrape shows the most pessimistic.
            multiprocess_mode="livemin",
        )
        self.upstream_ejections = LoopCounter(
            "api_upstream_ejections",
            "Instances ejected by outlier detection, by subgraph and instance URL.",
            ("subgraph", "instance"),
            registry=self.registry,
        )
        self.subscriptions_open = LoopGauge(
            "api_subscriptions_open",
            "Client subscriptions open now (WebSocket, SSE and multipart).",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.subscription_upstreams = LoopGauge(
            "api_subscription_upstreams",
            "Subscriptions open to each subgraph now (one WebSocket or callback "
            "subscription each, shared by the clients of identical subscriptions).",
            ("subgraph",),
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.deduplicated_requests = LoopCounter(
            "api_deduplicated_requests",
            "Client operations answered by an identical one already in flight.",
            registry=self.registry,
        )
        self.planning_duration = LoopHistogram(
            "api_query_planning_duration_seconds",
            "Time spent planning operations the plan cache did not hold.",
            buckets=bounds,
            registry=self.registry,
        )
        # `subgraph` and `type` are the entity cache's (empty for the other caches).
        cache = ("cache", "subgraph", "type")
        self.cache_hits = LoopCounter(
            "api_cache_hits",
            "Cache lookups that found an entry, by cache (entity cache: by subgraph "
            "and entity type, `root` for root fetches).",
            cache,
            registry=self.registry,
        )
        self.cache_misses = LoopCounter(
            "api_cache_misses",
            "Cache lookups that found nothing, by cache (entity cache: by subgraph "
            "and entity type, `root` for root fetches).",
            cache,
            registry=self.registry,
        )
        self.cache_size = LoopGauge(
            "api_cache_size_bytes",
            "Bytes of entries a cache holds in this process's memory, by cache.",
            ("cache",),
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.operation_label = BoundedLabel(MAX_OPERATION_NAMES, OTHER_OPERATION)
        self.code_label = BoundedLabel(MAX_ERROR_CODES, "OTHER", _ROUTER_CODES)
        # The children labelled on every request.
        self.request_duration_of = LabelledChildren(self.request_duration)
        self.requests_of = LabelledChildren(self.requests)
        self.upstream_latency_of = LabelledChildren(self.upstream_latency)
        self.upstream_requests_of = LabelledChildren(self.upstream_requests)
        self.upstream_deduplicated_of = LabelledChildren(self.upstream_deduplicated)
        self.cache_hits_of = LabelledChildren(self.cache_hits)
        self.cache_misses_of = LabelledChildren(self.cache_misses)

    def operation(self, name: str | None, operation_type: str | None) -> str:
        """The operation-name label of a request."""
        if operation_type is None:
            return UNKNOWN_OPERATION
        if name is None:
            return ANONYMOUS
        return self.operation_label(name)

    def observe_request(
        self,
        operation_name: str | None,
        operation_type: str | None,
        status: int,
        seconds: float,
        error_codes: Iterable[str],
    ) -> None:
        labels = (
            self.operation(operation_name, operation_type),
            operation_type or "",
            str(status),
        )
        observe(self.request_duration_of(*labels), seconds)
        add(self.requests_of(*labels))
        for code in error_codes:
            self.errors.labels(self.code_label(code)).inc()
        if status == 429:
            self.rate_limit_hits.inc()

    def observe_upstream(
        self, subgraph: str, seconds: float, error_codes: Iterable[str]
    ) -> None:
        observe(self.upstream_latency_of(subgraph), seconds)
        for code in error_codes:
            self.upstream_errors.labels(subgraph, self.code_label(code)).inc()

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format (every worker's, summed, under
        `--workers N`)."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            merged = CollectorRegistry()
            MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
            return generate_latest(merged)
        return generate_latest(self.registry)


_process_metrics: RouterMetrics | None = None
_lock = threading.Lock()


def process_metrics(buckets: Iterable[float] = DEFAULT_BUCKETS) -> RouterMetrics:
    """This process's metrics, made on first use (`buckets` of the first config win:
    a histogram cannot change its buckets without resetting its counts)."""
    global _process_metrics
    with _lock:
        if _process_metrics is None:
            _process_metrics = RouterMetrics(buckets)
        return _process_metrics
