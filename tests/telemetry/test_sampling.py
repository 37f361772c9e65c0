"""The router's tracer samples as OpenTelemetry's SDK samplers would: the SDK's
`ParentBased(TraceIdRatioBased(ratio))` (or the bare ratio sampler with
`parent_based_sampler: false`) is the oracle, over random trace ids and client
trace contexts."""

from __future__ import annotations

import random

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    Sampler,
    TraceIdRatioBased,
)
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from router.config.load import parse_config
from router.telemetry.current import enter, leave
from router.telemetry.spans import RecordingSpan, Tracer
from router.telemetry.tracing import Tracing

UNSAMPLED = """
telemetry:
  exporters:
    tracing:
      common: {sampler: 0.0}
      otlp: {enabled: true, protocol: http, endpoint: http://127.0.0.1:9}
"""


def _parent(trace_id: int, sampled: bool | None) -> trace.Span | None:
    if sampled is None:
        return None
    return NonRecordingSpan(
        SpanContext(
            trace_id,
            random.getrandbits(64) or 1,
            is_remote=True,
            trace_flags=TraceFlags(TraceFlags.SAMPLED if sampled else 0),
        )
    )


@pytest.mark.parametrize("ratio", [0.0, 0.1, 0.5, 1.0])
@pytest.mark.parametrize("parent_based", [True, False])
def test_sampling_decisions_match_the_sdk_samplers(
    ratio: float, parent_based: bool
) -> None:
    rng = random.Random(19)
    sdk: Sampler = TraceIdRatioBased(ratio)
    if parent_based:
        sdk = ParentBased(sdk)
    tracer = Tracer(ratio, parent_based, lambda span: None)
    for _ in range(500):
        trace_id = rng.getrandbits(128) or 1
        parent = _parent(trace_id, rng.choice([None, True, False]))
        context = trace.set_span_in_context(parent) if parent is not None else None
        span = tracer.start_span("router", context=context)
        expected = sdk.should_sample(context, trace_id, "router").decision
        if parent is None:
            continue  # a new trace id: the SDK's is drawn by it, compared below
        assert isinstance(span, RecordingSpan) == (
            expected is Decision.RECORD_AND_SAMPLE
        ), (trace_id, parent.get_span_context().trace_flags)
        assert span.get_span_context().trace_id == trace_id


def test_a_new_trace_is_sampled_by_its_own_id_at_the_configured_ratio() -> None:
    tracer = Tracer(0.25, True, lambda span: None)
    sdk = TraceIdRatioBased(0.25)
    spans = [tracer.start_span("router") for _ in range(2000)]
    for span in spans:
        trace_id = span.get_span_context().trace_id
        expected = sdk.should_sample(None, trace_id, "router").decision
        assert isinstance(span, RecordingSpan) == (
            expected is Decision.RECORD_AND_SAMPLE
        )
    recorded = sum(isinstance(span, RecordingSpan) for span in spans)
    assert 350 < recorded < 650


def test_children_of_a_recording_span_record_and_share_its_trace() -> None:
    ended: list[bytes] = []
    tracer = Tracer(1.0, True, ended.append)
    root = tracer.start_span("router")
    with tracer.start_as_current_span("execution", record_exception=False):
        pass  # no current root: a new trace
    child = tracer.start_span("execution", context=trace.set_span_in_context(root))
    assert isinstance(child, RecordingSpan)
    assert child.get_span_context().trace_id == root.get_span_context().trace_id
    child.end()
    root.end()
    root.end()  # ending twice exports once
    assert len(ended) == 3
    assert not root.is_recording()


@pytest.mark.parametrize("client_state", ["", "vendor=abc,other=1"])
@pytest.mark.parametrize("client_parent", [True, False])
def test_an_unsampled_request_propagates_what_the_w3c_propagator_writes(
    client_state: str, client_parent: bool
) -> None:
    """The unsampled root's cached traceparent and tracestate, sent to every subgraph,
    are those OpenTelemetry's W3C propagator writes for its span context."""
    config = parse_config(UNSAMPLED).telemetry
    tracing = Tracing(config)
    headers: dict[str, str] = {}
    if client_parent:
        trace_id = random.getrandbits(128) or 1
        headers["traceparent"] = f"00-{trace_id:032x}-{'1' * 16}-00"
        if client_state:
            headers["tracestate"] = client_state
    span = tracing.tracer.start_span(
        "router", context=tracing.extract(headers), kind=trace.SpanKind.SERVER
    )
    assert not span.is_recording()
    expected: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(
        expected, context=trace.set_span_in_context(span)
    )
    assert expected["traceparent"].endswith("-00")
    for _ in range(2):  # the second fetch gets the cached value
        sent: dict[str, str] = {}
        tracing.inject(sent, baggage=False, span=span)
        assert sent == expected
        token = enter(span)
        try:
            sent = {}
            tracing.inject(sent, baggage=False)
        finally:
            leave(token)
        assert sent == expected
    assert ("tracestate" in expected) == bool(client_parent and client_state)
