"""`telemetry` in router.yaml: Apollo Router's keys, defaults, and errors naming the key."""

from __future__ import annotations

import pytest

from router.config import ConfigError, parse_config


def _telemetry(text: str) -> str:
    return "telemetry:\n  exporters:\n" + text


def test_defaults_trace_nothing_and_serve_no_metrics() -> None:
    telemetry = parse_config("").telemetry
    assert not telemetry.tracing_enabled
    assert not telemetry.exporters.metrics.prometheus.enabled
    assert not telemetry.exporters.logging.stdout.enabled
    propagation = telemetry.exporters.tracing.propagation
    assert (propagation.trace_context, propagation.baggage) == (True, True)
    assert (propagation.zipkin, propagation.jaeger) == (False, False)


@pytest.mark.parametrize(
    ("otlp", "endpoint"),
    [
        ("{enabled: true}", "http://127.0.0.1:4317"),
        ("{enabled: true, protocol: http}", "http://127.0.0.1:4318/v1/traces"),
        (
            "{enabled: true, protocol: http, endpoint: 'http://c:4318'}",
            "http://c:4318/v1/traces",
        ),
        (
            "{enabled: true, protocol: http, endpoint: 'http://c:4318/custom'}",
            "http://c:4318/custom",
        ),
        (
            "{enabled: true, endpoint: 'otel-collector:4317'}",
            "http://otel-collector:4317",
        ),
    ],
)
def test_otlp_endpoints_as_apollo_router_reads_them(otlp: str, endpoint: str) -> None:
    config = parse_config(_telemetry(f"    tracing:\n      otlp: {otlp}\n"))
    assert config.telemetry.exporters.tracing.otlp.traces_endpoint == endpoint


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "    tracing:\n      common: {sampler: 1.5}\n",
            "telemetry.exporters.tracing.common.sampler: must be between 0 and 1",
        ),
        (
            "    tracing:\n      otlp: {protocol: udp}\n",
            "telemetry.exporters.tracing.otlp.protocol:",
        ),
        (
            "    metrics:\n      prometheus: {path: metrics}\n",
            "telemetry.exporters.metrics.prometheus: path: must start with '/'",
        ),
        (
            "    metrics:\n      common: {buckets: [1, 0.5]}\n",
            "telemetry.exporters.metrics.common.buckets: must be a non-empty list",
        ),
        (
            "    tracing:\n      bogus: 1\n",
            "telemetry.exporters.tracing.bogus: unknown key",
        ),
        (
            "    tracing:\n      otlp: {batch_processor: {scheduled_delay: 5}}\n",
            "telemetry.exporters.tracing.otlp.batch_processor.scheduled_delay: "
            "a duration needs a unit",
        ),
    ],
)
def test_bad_telemetry_keys_are_refused_naming_the_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(_telemetry(text))
    assert message in str(error.value)


def test_accepted_but_inactive_telemetry_keys_are_reported() -> None:
    config = parse_config(
        "telemetry:\n  instrumentation: {spans: {mode: spec_compliant}}\n"
        "  exporters:\n    tracing:\n      propagation: {datadog: true}\n"
    )
    assert config.inactive_keys() == [
        "telemetry.instrumentation",
        "telemetry.exporters.tracing.propagation.datadog",
    ]


def test_expose_query_plan_is_a_switch() -> None:
    on = parse_config("plugins:\n  experimental.expose_query_plan: true\n")
    assert on.inactive_keys() == []
    with pytest.raises(ConfigError) as error:
        parse_config("plugins:\n  experimental.expose_query_plan: sometimes\n")
    assert "plugins: experimental.expose_query_plan: must be true or false" in str(
        error.value
    )
