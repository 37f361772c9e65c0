"""`telemetry`: tracing, metrics and access-log exporters, in Apollo Router's keys.

https://www.apollographql.com/docs/graphos/routing/observability/telemetry. What takes
effect: `exporters.tracing.{common, otlp, propagation}`, `exporters.metrics.{common,
prometheus}` and `exporters.logging.stdout`. `instrumentation` and `apollo` (Apollo's
custom instruments and GraphOS reporting) are accepted and reported as inactive.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from router.config.duration import Duration
from router.config.usage import UsageConfig

__all__ = [
    "LoggingStdoutConfig",
    "MetricsCommonConfig",
    "OtlpConfig",
    "PrometheusConfig",
    "PropagationConfig",
    "TelemetryConfig",
    "TracingCommonConfig",
]

# The golden-signal latency buckets: 10 ms to 10 s.
DEFAULT_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

ResourceValue = str | int | float | bool


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TracingCommonConfig(_Strict):
    """`exporters.tracing.common`: who the spans are from, and which are kept.

    `sampler` is a ratio in [0, 1] or `always_on`/`always_off` (Apollo's values).
    With `parent_based_sampler` (Apollo's default, true), a request whose incoming trace
    context says sampled (or not) is kept (or dropped) whatever the ratio.
    """

    service_name: str = "router"
    service_namespace: str | None = None
    sampler: float | Literal["always_on", "always_off"] = 1.0
    parent_based_sampler: bool = True
    resource: dict[str, ResourceValue] = {}

    @field_validator("sampler")
    @classmethod
    def _ratio(cls, value: float | str) -> float | str:
        if isinstance(value, float | int) and not 0.0 <= value <= 1.0:
            raise ValueError("must be between 0 and 1, or always_on / always_off")
        return value

    @property
    def ratio(self) -> float:
        if self.sampler == "always_on":
            return 1.0
        if self.sampler == "always_off":
            return 0.0
        return float(self.sampler)


class _BatchProcessor(_Strict):
    """`exporters.tracing.otlp.batch_processor` (Apollo's keys and defaults)."""

    scheduled_delay: Duration = 5.0
    max_queue_size: int = Field(default=2048, ge=1)
    max_export_batch_size: int = Field(default=512, ge=1)
    max_export_timeout: Duration = 30.0
    max_concurrent_exports: int = Field(default=1, ge=1)


class _OtlpTransport(_Strict):
    headers: dict[str, str] = {}


class OtlpConfig(_Strict):
    """`exporters.tracing.otlp`: export spans to an OpenTelemetry collector.

    `endpoint: default` means `http://127.0.0.1:4317` (grpc) or `:4318` (http), as in
    Apollo Router; for `http`, an endpoint without a path gets `/v1/traces`.
    """

    enabled: bool = False
    endpoint: str = "default"
    protocol: Literal["grpc", "http"] = "grpc"
    grpc: _OtlpTransport = _OtlpTransport()
    http: _OtlpTransport = _OtlpTransport()
    batch_processor: _BatchProcessor = _BatchProcessor()

    @property
    def traces_endpoint(self) -> str:
        if self.endpoint == "default":
            port = 4317 if self.protocol == "grpc" else 4318
            endpoint = f"http://127.0.0.1:{port}"
        else:
            endpoint = self.endpoint
        if "://" not in endpoint:
            endpoint = f"http://{endpoint}"
        if self.protocol == "http" and urlsplit(endpoint).path in ("", "/"):
            endpoint = endpoint.rstrip("/") + "/v1/traces"
        return endpoint

    @property
    def headers(self) -> dict[str, str]:
        return dict(self.grpc.headers if self.protocol == "grpc" else self.http.headers)


class _PropagationRequest(_Strict):
    header_name: str
    format: Literal["trace_context", "jaeger", "zipkin"] = "trace_context"


class PropagationConfig(_Strict):
    """`exporters.tracing.propagation`: which trace-context headers are read and written.

    W3C `traceparent` and `baggage` are on by default. `zipkin` is B3 (single and
    multi-header); `jaeger` is `uber-trace-id`. `datadog` and `aws_xray` are accepted
    and inactive.
    """

    trace_context: bool = True
    baggage: bool = True
    zipkin: bool = False
    jaeger: bool = False
    datadog: bool = False
    aws_xray: bool = False
    request: _PropagationRequest | None = None


class _Tracing(_Strict):
    common: TracingCommonConfig = TracingCommonConfig()
    otlp: OtlpConfig = OtlpConfig()
    propagation: PropagationConfig = PropagationConfig()
    # Apollo's other tracing exporters: accepted, inactive.
    zipkin: dict[str, Any] | None = None
    jaeger: dict[str, Any] | None = None
    datadog: dict[str, Any] | None = None
    response_trace_id: dict[str, Any] | None = None


class MetricsCommonConfig(_Strict):
    """`exporters.metrics.common`: histogram buckets (seconds) and the service name."""

    service_name: str = "router"
    service_namespace: str | None = None
    resource: dict[str, ResourceValue] = {}
    buckets: tuple[float, ...] = DEFAULT_BUCKETS
    views: list[Any] | None = None

    @field_validator("buckets")
    @classmethod
    def _increasing(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if not value or any(b <= a for a, b in pairwise(value)):
            raise ValueError("must be a non-empty list of increasing numbers")
        return value


class PrometheusConfig(_Strict):
    """`exporters.metrics.prometheus`: a scrape endpoint on a listener of its own."""

    enabled: bool = False
    # Apollo Router's defaults.
    listen: str = "127.0.0.1:9090"
    path: str = "/metrics"

    @model_validator(mode="after")
    def _path_is_absolute(self) -> PrometheusConfig:
        if not self.path.startswith("/"):
            raise ValueError("path: must start with '/'")
        return self


class _Metrics(_Strict):
    common: MetricsCommonConfig = MetricsCommonConfig()
    prometheus: PrometheusConfig = PrometheusConfig()
    otlp: dict[str, Any] | None = None


class LoggingStdoutConfig(_Strict):
    """`exporters.logging.stdout`: one access-log line per request on stdout."""

    enabled: bool = False
    format: Literal["json", "text"] = "json"
    tty_format: Literal["json", "text"] | None = None
    rate_limit: dict[str, Any] | None = None


class _Logging(_Strict):
    common: dict[str, Any] | None = None
    stdout: LoggingStdoutConfig = LoggingStdoutConfig()


class _Exporters(_Strict):
    tracing: _Tracing = _Tracing()
    metrics: _Metrics = _Metrics()
    logging: _Logging = _Logging()


class TelemetryConfig(_Strict):
    """`telemetry`."""

    exporters: _Exporters = _Exporters()
    usage: UsageConfig = UsageConfig()
    instrumentation: dict[str, Any] | None = None
    apollo: dict[str, Any] | None = None

    @property
    def tracing_enabled(self) -> bool:
        return self.exporters.tracing.otlp.enabled

    def inactive_keys(self) -> list[str]:
        """Keys given that no code applies (logged once at start-up)."""
        names = [
            f"telemetry.{name}"
            for name in ("instrumentation", "apollo")
            if getattr(self, name) is not None
        ]
        tracing = self.exporters.tracing
        names += [
            f"telemetry.exporters.tracing.{name}"
            for name in ("zipkin", "jaeger", "datadog", "response_trace_id")
            if getattr(tracing, name) is not None
        ]
        names += [
            f"telemetry.exporters.tracing.propagation.{name}"
            for name in ("datadog", "aws_xray", "request")
            if getattr(tracing.propagation, name)
        ]
        if self.exporters.metrics.otlp is not None:
            names.append("telemetry.exporters.metrics.otlp")
        return names
