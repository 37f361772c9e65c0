"""The tracer of one loaded config: sampler, resource, OTLP export, propagators.

https://www.apollographql.com/docs/graphos/routing/observability/telemetry/trace-exporters/otlp.
Spans go to the collector through a `BatchSpanProcessor`: a request only appends to a
queue, a background thread exports. A collector that is down costs log lines (the
exporter's own, with retries), never a failed or slower request.

The provider is ours, not OpenTelemetry's global one, so that a reloaded config gets a
new sampler and exporter and the old provider is flushed and shut down.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Mapping, MutableMapping

from opentelemetry.context import Context
from opentelemetry.propagators import textmap
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    ParentBased,
    Sampler,
    TraceIdRatioBased,
)
from opentelemetry.trace import Tracer

from router.config.telemetry import OtlpConfig, PropagationConfig, TelemetryConfig

__all__ = ["Tracing", "build_exporter", "build_propagator", "build_sampler"]

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
        self.provider = TracerProvider(
            sampler=build_sampler(common.ratio, common.parent_based_sampler),
            resource=Resource.create(attributes),
            # Flushed by `shutdown`, with a deadline; an exit hook would have none.
            shutdown_on_exit=False,
        )
        self.exporter = build_exporter(tracing.otlp)
        batch = tracing.otlp.batch_processor
        self.provider.add_span_processor(
            BatchSpanProcessor(
                self.exporter,
                max_queue_size=batch.max_queue_size,
                schedule_delay_millis=batch.scheduled_delay * 1000,
                max_export_batch_size=min(
                    batch.max_export_batch_size, batch.max_queue_size
                ),
                export_timeout_millis=batch.max_export_timeout * 1000,
            )
        )
        self.tracer: Tracer = self.provider.get_tracer(INSTRUMENTATION_NAME)
        self.propagator = build_propagator(tracing.propagation)

    def extract(self, headers: Mapping[str, str]) -> Context:
        """The parent context the client's trace headers name (empty when none)."""
        return self.propagator.extract(headers)

    def inject(self, headers: MutableMapping[str, str]) -> None:
        """Writes the current span's context into `headers` (a subgraph request's)."""
        self.propagator.inject(headers)

    async def shutdown(self, timeout: float = SHUTDOWN_TIMEOUT) -> None:
        """Flushes queued spans and stops the export thread, waiting `timeout` seconds
        at most: a collector that is down must not hold up a reload or an exit.

        A daemon thread of our own, not `asyncio.to_thread`: the loop's executor is
        joined when the process exits, which would wait for the export after all.
        """
        loop = asyncio.get_running_loop()
        done = loop.create_future()

        def finished() -> None:
            if not done.done():
                done.set_result(None)

        def shut() -> None:
            try:
                self.provider.shutdown()
            finally:
                loop.call_soon_threadsafe(finished)

        threading.Thread(target=shut, name="otel-shutdown", daemon=True).start()
        try:
            await asyncio.wait_for(done, timeout)
        except TimeoutError:
            logger.warning(
                "telemetry: the trace exporter did not flush within %g s; "
                "dropping the spans still queued",
                timeout,
            )


def build_sampler(ratio: float, parent_based: bool) -> Sampler:
    if ratio >= 1.0:
        root: Sampler = ALWAYS_ON
    elif ratio <= 0.0:
        root = ALWAYS_OFF
    else:
        root = TraceIdRatioBased(ratio)
    return ParentBased(root) if parent_based else root


def build_exporter(otlp: OtlpConfig) -> SpanExporter:
    """The OTLP span exporter for `otlp.protocol` (imported on demand: grpc is heavy)."""
    endpoint = otlp.traces_endpoint
    headers = otlp.headers or None
    # One export (retries included) never outlives the batch processor's deadline.
    timeout = otlp.batch_processor.max_export_timeout
    if otlp.protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
            OTLPSpanExporter as GrpcExporter,
        )

        return GrpcExporter(
            endpoint=endpoint,
            insecure=endpoint.startswith("http://"),
            headers=headers,
            timeout=timeout,
        )
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
        OTLPSpanExporter as HttpExporter,
    )

    return HttpExporter(endpoint=endpoint, headers=headers, timeout=timeout)


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
