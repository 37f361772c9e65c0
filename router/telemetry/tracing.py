"""The tracer of one loaded config: sampler, resource, OTLP export, propagators.

https://www.apollographql.com/docs/graphos/routing/observability/telemetry/trace-exporters/otlp.
Spans are ours (`spans`): each encodes itself to OTLP protobuf when it ends and joins a
batch that a task on the event loop sends to the collector (`otlp_export`). A collector
that is down costs log lines, never a failed or slower request.

A Tracing per config, not OpenTelemetry's global provider, so that a reloaded config gets
a new sampler and exporter and the old one is flushed and closed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, MutableMapping

from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.context import Context
from opentelemetry.propagators import textmap
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.sdk.resources import Resource
from opentelemetry.trace import Span

from router.config.telemetry import PropagationConfig, TelemetryConfig
from router.telemetry.current import current_span
from router.telemetry.otlp_encoding import encode_resource_and_scope
from router.telemetry.otlp_export import OtlpBatchExporter
from router.telemetry.spans import RecordingSpan, Tracer, UnsampledSpan, encode_spans

__all__ = ["Tracing", "build_propagator"]

logger = logging.getLogger(__name__)

INSTRUMENTATION_NAME = "pyfed-router"
SHUTDOWN_TIMEOUT = 2.0  # seconds


class Tracing:
    """What the telemetry plugin traces with; `None` of it exists when OTLP is off."""

    def __init__(self, config: TelemetryConfig) -> None:
        tracing = config.exporters.tracing
        common = tracing.common
        attributes: dict[str, str | int | float | bool] = dict(common.resource)
        attributes["service.name"] = common.service_name
        if common.service_namespace:
            attributes["service.namespace"] = common.service_namespace
        # The SDK's resource: its telemetry.sdk.* attributes and OTEL_RESOURCE_ATTRIBUTES.
        resource = Resource.create(attributes).attributes
        self.exporter = OtlpBatchExporter(
            tracing.otlp,
            *encode_resource_and_scope(resource, INSTRUMENTATION_NAME, ""),
            encode_spans,
        )
        self.tracer = Tracer(
            common.ratio, common.parent_based_sampler, self.exporter.add
        )
        propagation = tracing.propagation
        self.propagator = build_propagator(propagation)
        # W3C trace context alone (and baggage): a recording span writes its own
        # traceparent, kept as a string, instead of the propagator's generic path.
        self._w3c_only = propagation.trace_context and not (
            propagation.zipkin or propagation.jaeger
        )
        self._baggage = W3CBaggagePropagator() if propagation.baggage else None

    def start(self) -> None:
        """Starts exporting (on the running loop)."""
        self.exporter.start()

    def extract(self, headers: Mapping[str, str]) -> Context:
        """The parent context the client's trace headers name (empty when none);
        `headers` names are lower-case."""
        if self._w3c_only and "traceparent" not in headers and "baggage" not in headers:
            return Context()  # what the propagators would find: nothing
        return self.propagator.extract(headers)

    def inject(
        self,
        headers: MutableMapping[str, str],
        baggage: bool = True,
        span: Span | None = None,
    ) -> None:
        """Writes the current span's context into `headers` (a subgraph request's);
        `baggage=False` when the context can hold none, to skip looking for it; `span`
        is the current span when the caller holds it already."""
        if span is None:
            span = current_span()
        if not self._w3c_only:
            self.propagator.inject(headers)
            return
        if type(span) is RecordingSpan or type(span) is UnsampledSpan:
            headers["traceparent"] = span.traceparent()
            state = span.state_header
            if state:
                headers["tracestate"] = state
        else:  # another span's: what TraceContextTextMapPropagator writes
            context = span.get_span_context()
            if context.is_valid:
                headers["traceparent"] = (
                    f"00-{context.trace_id:032x}-{context.span_id:016x}-"
                    f"{context.trace_flags:02x}"
                )
                if context.trace_state:
                    headers["tracestate"] = context.trace_state.to_header()
        if baggage and self._baggage is not None:
            self._baggage.inject(headers)

    async def shutdown(self, timeout: float = SHUTDOWN_TIMEOUT) -> None:
        """Exports queued spans and closes the exporter, waiting `timeout` seconds at
        most: a collector that is down must not hold up a reload or an exit."""
        try:
            await asyncio.wait_for(self.exporter.shutdown(), timeout)
        except TimeoutError:
            logger.warning(
                "telemetry: the trace exporter did not flush within %g s; "
                "dropping the spans still queued",
                timeout,
            )


def build_propagator(config: PropagationConfig) -> textmap.TextMapPropagator:
    """W3C trace context and baggage (defaults), B3 (`zipkin`) and Jaeger when asked.

    Extraction tries each in order and the last one that finds a context wins, so a
    request carrying both `traceparent` and B3 headers is parented by the W3C one.
    """
    propagators: list[textmap.TextMapPropagator] = []
    if config.jaeger:
        from opentelemetry.propagators.jaeger import JaegerPropagator

        propagators.append(JaegerPropagator())
    if config.zipkin:
        from opentelemetry.propagators.b3 import B3MultiFormat

        propagators.append(B3MultiFormat())
    if config.baggage:
        from opentelemetry.baggage.propagation import W3CBaggagePropagator

        propagators.append(W3CBaggagePropagator())
    if config.trace_context:
        from opentelemetry.trace.propagation.tracecontext import (
            TraceContextTextMapPropagator,
        )

        propagators.append(TraceContextTextMapPropagator())
    return CompositePropagator(propagators)
