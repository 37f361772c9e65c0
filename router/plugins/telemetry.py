"""Telemetry as a plugin: correlation ids, the request and fetch spans, golden-signal
metrics, the access log, and query plan exposure.

Outermost in `PLUGIN_ORDER`, so its router hook sees every answer of the GraphQL
endpoint, the short-circuit ones of inner plugins too (a CORS refusal, a 401, a 429).

- Correlation id: `X-Request-ID` from the client when it is a sane token (printable, at
  most 128 characters), else a new UUID; sent to every subgraph, echoed on the
  response, put on the spans and the access-log line.
- Tracing (`telemetry.exporters.tracing.otlp.enabled`): a `router` server span whose
  parent is the client's trace context; the stages add `parse`, `validate`,
  `query_planning` and `execution` under it (`router.telemetry.active`), and this hook
  adds one `fetch` client span per subgraph request, whose context the subgraph gets.
  Those headers (`propagation_headers`) are telemetry's: header rules leave them alone.
- Metrics (`telemetry.exporters.metrics.prometheus.enabled`): `router.telemetry.metrics`.
- Access log (`telemetry.exporters.logging.stdout.enabled`): one line per request.
- Query plans (`plugins: {experimental.expose_query_plan: true}`, Apollo Router's key):
  `Apollo-Expose-Query-Plan: true` adds the plan to `extensions.apolloQueryPlan`,
  `dry-run` answers with the plan without executing it. Also honoured whenever the
  explorer is on (`supergraph.explorer`): its page shows the plans, so they are no
  secret from whoever can load it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from typing import TYPE_CHECKING, Any

import orjson
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from router.config import explorer_enabled
from router.execution.codes import SUBREQUEST_HTTP_ERROR
from router.execution.subgraph_client import SubgraphRequestError
from router.plugins.plugin import (
    HttpResponse,
    Plugin,
    RouterNext,
    SubgraphNext,
    SubgraphRequest,
    error_codes_of,
)
from router.telemetry.access_log import AccessLog
from router.telemetry.active import ACTIVE, ActiveTelemetry
from router.telemetry.current import current_span, enter, leave
from router.telemetry.metric_values import add
from router.telemetry.metrics import RouterMetrics, process_metrics
from router.telemetry.metrics_server import configure_metrics_server
from router.telemetry.plan_exposure import EXPOSE_QUERY_PLAN, expose_mode
from router.telemetry.spans import RecordingSpan
from router.telemetry.tracing import Tracing, build_propagator

if TYPE_CHECKING:
    from router.config import RouterConfig
    from router.execution.subgraph_client import SubgraphResponse
    from router.plugins.context import RequestContext
    from router.telemetry.otlp_encoding import AttributeValue

__all__ = ["TelemetryPlugin", "build", "propagation_headers"]

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "x-request-id"
# Stateless, so one serves every fetch without a span.
_NO_FETCH_SPAN = contextlib.nullcontext()
_MAX_REQUEST_ID = 128
_SUBGRAPHS_KEY = "telemetry.subgraphs"
_PLUGINS_KEY = "experimental.expose_query_plan"


def build(config: RouterConfig) -> TelemetryPlugin:
    """Always on: correlation ids cost nothing and every request gets one."""
    return TelemetryPlugin(config)


def propagation_headers(config: RouterConfig) -> frozenset[str]:
    """The subgraph request headers telemetry owns (lower-case): with tracing on, the
    trace-context headers of the configured propagators, written from each fetch span,
    and the B3 headers a B3 reader would prefer to ours (single `b3`, which wins over
    the multi-header form, and the multi-header extras); none with tracing off.

    A header rule that copied the client's `traceparent` over ours would hang the
    subgraph's spans off the client's span instead of the fetch span; as in Apollo
    Router, propagation headers belong to telemetry, not to `headers` rules.
    """
    if not config.telemetry.tracing_enabled:
        return frozenset()
    propagation = config.telemetry.exporters.tracing.propagation
    names = {name.lower() for name in build_propagator(propagation).fields}
    if propagation.zipkin:
        names |= {"b3", "x-b3-parentspanid", "x-b3-flags"}
    return frozenset(names)


class TelemetryPlugin(Plugin):
    name = "telemetry"

    def __init__(self, config: RouterConfig) -> None:
        telemetry = config.telemetry
        exporters = telemetry.exporters
        self._tracing = Tracing(telemetry) if telemetry.tracing_enabled else None
        self._otlp = exporters.tracing.otlp
        self._sampler = exporters.tracing.common.sampler
        prometheus = exporters.metrics.prometheus
        self._prometheus = prometheus
        self._metrics: RouterMetrics | None = (
            process_metrics(exporters.metrics.common.buckets)
            if prometheus.enabled
            else None
        )
        stdout = exporters.logging.stdout
        self._log = AccessLog(stdout.format) if stdout.enabled else None
        plugins: Any = config.plugins
        self._expose_plans = explorer_enabled(config) or bool(
            isinstance(plugins, dict) and plugins.get(_PLUGINS_KEY) is True
        )
        tracer = self._tracing.tracer if self._tracing is not None else None
        self._active = (
            ActiveTelemetry(tracer, self._metrics)
            if tracer is not None or self._metrics is not None
            else None
        )

    async def startup(self) -> None:
        if self._tracing is not None:
            self._tracing.start()
            logger.info(
                "tracing: exporting spans to %s over OTLP/%s (sampler %s)",
                self._otlp.traces_endpoint,
                self._otlp.protocol,
                self._sampler,
            )
        await configure_metrics_server(
            self._prometheus.listen if self._metrics is not None else None,
            self._prometheus.path,
            self._metrics,
        )

    async def shutdown(self) -> None:
        if self._tracing is not None:
            await self._tracing.shutdown()

    async def router(
        self, context: RequestContext, call_next: RouterNext
    ) -> HttpResponse:
        # The client's id, else a UUID in its canonical 8-4-4-4-12 form.
        context.request_id = (
            _client_request_id(context.headers.get(REQUEST_ID_HEADER))
            or _new_request_id()
        )
        if self._expose_plans:
            mode = expose_mode(context.headers.get("apollo-expose-query-plan"))
            if mode is not None:
                context.values[EXPOSE_QUERY_PLAN] = mode
        context.values[_SUBGRAPHS_KEY] = []
        active_token = ACTIVE.set(self._active) if self._active is not None else None
        span = None
        span_token = None
        if self._tracing is not None:
            parent = self._tracing.extract(context.headers)
            span = self._tracing.tracer.start_span(
                "router",
                context=parent,
                kind=SpanKind.SERVER,
                attributes={
                    "http.request.method": context.method,
                    "url.path": context.path,
                    "client.address": context.client_address or "",
                },
                request_id=context.request_id,
            )
            span_token = enter(span, parent)
        metrics = self._metrics
        if metrics is not None:
            add(metrics.active_requests)
        started = time.perf_counter()
        status = 500
        response: HttpResponse | None = None

        def finish() -> None:
            """Metrics, the span's end and the log line: when the answer is complete
            (a streamed `@defer` answer: when its stream ends)."""
            seconds = time.perf_counter() - started
            if response is None:
                codes = []
            elif response.error_codes is not None:
                codes = response.error_codes
            else:
                codes = _error_codes(response.body)
            if metrics is not None:
                add(metrics.active_requests, -1)
                metrics.observe_request(
                    context.operation_name,
                    context.operation_type,
                    status,
                    seconds,
                    codes,
                )
            if span is not None:
                _finish_router_span(span, context, status, codes)
            if self._log is not None:
                trace_id = (
                    None
                    if span is None
                    else trace.format_trace_id(span.get_span_context().trace_id)
                )
                self._log.write(
                    {
                        "method": context.method,
                        "path": context.path,
                        "status": status,
                        "duration_ms": round(seconds * 1000, 3),
                        "operation_name": context.operation_name,
                        "operation_type": context.operation_type,
                        "subgraphs": context.values.get(_SUBGRAPHS_KEY, []),
                        "client_address": context.client_address,
                        "request_id": context.request_id,
                        "trace_id": trace_id,
                        "error_codes": codes,
                    }
                )

        streamed = False
        try:
            response = await call_next(context)
            status = response.status
            response.headers.append((REQUEST_ID_HEADER, context.request_id))
            streamed = response.when_finished(finish)
            return response
        finally:
            if not streamed:
                finish()
            # The context variables go back now, in the task that set them (a stream
            # is sent from another task; the parts it waits for copied them already).
            if span_token is not None:
                leave(span_token)
            if active_token is not None:
                ACTIVE.reset(active_token)

    async def subgraph(
        self,
        context: RequestContext,
        request: SubgraphRequest,
        call_next: SubgraphNext,
    ) -> SubgraphResponse:
        _set_header(request.headers, REQUEST_ID_HEADER, context.request_id)
        called = context.values.get(_SUBGRAPHS_KEY)
        if isinstance(called, list) and request.subgraph not in called:
            called.append(request.subgraph)
        span_scope: contextlib.AbstractContextManager[Any] = _NO_FETCH_SPAN
        parent = None
        # Unsampled requests pass their context on without a fetch span of their own.
        if self._tracing is not None:
            parent = current_span()
            if type(parent) is RecordingSpan and parent.is_recording():
                attributes: dict[str, AttributeValue] = {
                    "subgraph.name": request.subgraph,
                    "graphql.operation.name": str(
                        request.payload.get("operationName", "")
                    ),
                }
                span_scope = self._tracing.tracer.start_child_as_current(
                    parent,
                    "fetch",
                    kind=SpanKind.CLIENT,
                    attributes=attributes,
                    record_exception=False,
                    request_id=context.request_id,
                )
        started = time.perf_counter()
        codes: list[str] = []
        with span_scope as span:
            if self._tracing is not None:
                carrier: dict[str, str] = {}
                # Baggage only ever comes from the client's `baggage` header.
                self._tracing.inject(
                    carrier,
                    baggage="baggage" in context.headers,
                    span=parent if span is None else span,
                )
                for name, value in carrier.items():
                    _set_header(request.headers, name, value)
            try:
                response = await call_next(context, request)
            except SubgraphRequestError as error:
                codes.append(error.code)
                if span is not None:
                    if error.status is not None:
                        span.set_attribute("http.response.status_code", error.status)
                    span.set_status(Status(StatusCode.ERROR, error.message))
                raise
            else:
                if not 200 <= response.status < 300:
                    codes.append(SUBREQUEST_HTTP_ERROR)
                codes += error_codes_of(response.body.get("errors"))
                if span is not None:
                    span.set_attribute("http.response.status_code", response.status)
                    if codes:
                        span.set_status(Status(StatusCode.ERROR, codes[0]))
                return response
            finally:
                if self._metrics is not None:
                    self._metrics.observe_upstream(
                        request.subgraph, time.perf_counter() - started, codes
                    )


def _new_request_id() -> str:
    """A random (version 4) UUID in its canonical form, without building a UUID object:
    half the cost of `str(uuid.uuid4())`, on every request. The random bytes come from
    `os.urandom` 4 KiB at a time (`_RandomBytes`): one system call per 256 ids."""
    raw = _RANDOM.take(16)
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class _RandomBytes:
    """`os.urandom` read ahead; a forked child drops what its parent read, so no two
    processes hand out the same bytes."""

    __slots__ = ("_buffer", "_offset")

    def __init__(self) -> None:
        self._buffer = b""
        self._offset = 0

    def take(self, size: int) -> bytearray:
        offset = self._offset
        if offset + size > len(self._buffer):
            self._buffer = os.urandom(4096)
            offset = 0
        self._offset = offset + size
        return bytearray(self._buffer[offset : offset + size])

    def forget(self) -> None:
        self._buffer = b""
        self._offset = 0


_RANDOM = _RandomBytes()
os.register_at_fork(after_in_child=_RANDOM.forget)


def _client_request_id(value: str | None) -> str | None:
    if not value or len(value) > _MAX_REQUEST_ID:
        return None
    if not value.isprintable() or not value.isascii() or value.strip() != value:
        return None
    return value


def _set_header(headers: dict[str, str], name: str, value: str) -> None:
    """Sets `name`, replacing any spelling of it (the client merges case-insensitively,
    and two spellings would go out as two headers)."""
    lowered = name.lower()
    for key in [k for k in headers if k.lower() == lowered]:
        del headers[key]
    headers[name] = value


def _finish_router_span(
    span: trace.Span, context: RequestContext, status: int, codes: list[str]
) -> None:
    if type(span) is not RecordingSpan:  # unsampled: nothing to record
        span.end()
        return
    finished: dict[str, AttributeValue] = {"http.response.status_code": status}
    if context.operation_name is not None:
        finished["graphql.operation.name"] = context.operation_name
    if context.operation_type is not None:
        finished["graphql.operation.type"] = context.operation_type
    if codes:
        finished["graphql.error.codes"] = sorted(set(codes))
    span.set_attributes(finished)
    if status >= 500:
        span.set_status(Status(StatusCode.ERROR, f"HTTP {status}"))
    span.end()


def _error_codes(body: bytes) -> list[str]:
    """The `extensions.code` of each error in a response body (a batch's too)."""
    if b'"errors"' not in body:
        return []
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError:
        return []
    items = decoded if isinstance(decoded, list) else [decoded]
    codes: list[str] = []
    for item in items:
        if isinstance(item, dict):
            codes += error_codes_of(item.get("errors"))
    return codes
