"""Header rules against trace propagation, end to end: with tracing on, each subgraph
gets its fetch span's trace context even when a `headers` rule propagates the client's
trace headers (telemetry owns them, as in Apollo Router); with tracing off the rules
pass them on untouched."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest
from telemetry_harness import OtlpReceiver, ReceivedSpan, RecordingProxy, Router

JOIN = """query TopWithReviews {
  topProducts(first: 2) { name reviews { body author { name } } }
}"""
ONE = "{ topProducts(first: 1) { name } }"

PROPAGATE_ALL = """
headers:
  all:
    request:
      - propagate: { matching: ".*" }
"""
PROPAGATE_TRACEPARENT = """
headers:
  all:
    request:
      - propagate: { named: traceparent }
"""


def _tracing_yaml(endpoint: str, propagation: str = "") -> str:
    return f"""
telemetry:
  exporters:
    tracing:
      common:
        service_name: router-under-test
        sampler: 1.0
      otlp:
        enabled: true
        endpoint: {endpoint}
        protocol: grpc
        batch_processor:
          scheduled_delay: 50ms
          max_export_timeout: 1s
{propagation}"""


def _fetches(
    receiver: OtlpReceiver, trace_id: str, count: int
) -> dict[str, ReceivedSpan]:
    """The trace's fetch spans by subgraph name, once `count` have been exported."""

    def of_trace(spans: list[ReceivedSpan]) -> list[ReceivedSpan]:
        return [s for s in spans if s.trace_id == trace_id and s.name == "fetch"]

    spans = of_trace(receiver.wait_for(lambda s: len(of_trace(s)) >= count))
    assert len(spans) == count, spans
    return {str(s.attributes["subgraph.name"]): s for s in spans}


@pytest.mark.parametrize("rule", [PROPAGATE_ALL, PROPAGATE_TRACEPARENT])
def test_every_subgraph_gets_its_fetch_span_context_despite_a_propagate_rule(
    rule: str,
    session_receiver: OtlpReceiver,
    proxies: dict[str, RecordingProxy],
    shared_router: Callable[[str], Router],
) -> None:
    router = shared_router(_tracing_yaml(session_receiver.endpoint) + rule)
    trace_id, client_span = secrets.token_hex(16), secrets.token_hex(8)
    reply = router.post(
        {"query": JOIN},
        headers={
            "traceparent": f"00-{trace_id}-{client_span}-01",
            "tracestate": "vendor=abc",
            "x-custom": "kept",
        },
    )
    assert reply.status == 200, reply.body
    fetches = _fetches(session_receiver, trace_id, 3)
    assert sorted(fetches) == ["products", "reviews", "users"]
    for name, fetch in fetches.items():
        assert fetch.span_id != client_span
        (received,) = proxies[name].requests
        # One value, ours: not the client's, not the two joined.
        assert received["traceparent"] == f"00-{trace_id}-{fetch.span_id}-01", name
        assert received["tracestate"] == "vendor=abc", name
        if rule is PROPAGATE_ALL:
            assert received["x-custom"] == "kept", name


def test_a_rule_naming_a_propagation_header_is_reported_at_load(
    session_receiver: OtlpReceiver, shared_router: Callable[[str], Router]
) -> None:
    router = shared_router(
        _tracing_yaml(session_receiver.endpoint) + PROPAGATE_TRACEPARENT
    )
    assert router.post({"query": ONE}).status == 200
    assert (
        "headers.all.request[0]: 'traceparent' is written by telemetry"
        in router.stderr()
    )


def test_a_client_b3_header_does_not_reach_subgraphs_when_zipkin_propagation_is_on(
    session_receiver: OtlpReceiver,
    proxies: dict[str, RecordingProxy],
    shared_router: Callable[[str], Router],
) -> None:
    propagation = "      propagation:\n        zipkin: true\n"
    router = shared_router(
        _tracing_yaml(session_receiver.endpoint, propagation) + PROPAGATE_ALL
    )
    trace_id, client_span = secrets.token_hex(16), secrets.token_hex(8)
    # The single-header form, which a B3 reader prefers to the multi-header one.
    reply = router.post(
        {"query": ONE},
        headers={"b3": f"{trace_id}-{client_span}-1", "x-b3-flags": "1"},
    )
    assert reply.status == 200, reply.body
    fetch = _fetches(session_receiver, trace_id, 1)["products"]
    (received,) = proxies["products"].requests
    assert "b3" not in received
    assert "x-b3-flags" not in received
    assert received["x-b3-traceid"] == trace_id
    assert received["x-b3-spanid"] == fetch.span_id
    assert received["traceparent"] == f"00-{trace_id}-{fetch.span_id}-01"


def test_without_tracing_a_propagate_rule_passes_the_client_trace_context_on(
    proxies: dict[str, RecordingProxy], shared_router: Callable[[str], Router]
) -> None:
    router = shared_router(PROPAGATE_ALL)
    traceparent = f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"
    reply = router.post({"query": ONE}, headers={"traceparent": traceparent})
    assert reply.status == 200, reply.body
    (received,) = proxies["products"].requests
    assert received["traceparent"] == traceparent


def test_a_matching_rule_sends_the_request_id_once(
    proxies: dict[str, RecordingProxy], shared_router: Callable[[str], Router]
) -> None:
    router = shared_router(PROPAGATE_ALL)
    reply = router.post({"query": ONE}, headers={"x-request-id": "client-request-7"})
    assert reply.status == 200, reply.body
    (received,) = proxies["products"].requests
    # Telemetry's copy and the rule's are one value, not "id, id".
    assert received["x-request-id"] == "client-request-7"


PROPAGATE_REQUEST_ID = """
headers:
  all:
    request:
      - propagate: { named: X-Request-ID }
"""


@pytest.mark.parametrize("rule", [PROPAGATE_REQUEST_ID, PROPAGATE_ALL])
def test_a_request_id_the_router_refused_is_not_passed_on_raw_by_a_rule(
    rule: str,
    proxies: dict[str, RecordingProxy],
    shared_router: Callable[[str], Router],
) -> None:
    """Telemetry replaces a client X-Request-ID that is not a sane token (too long,
    padded, non-ASCII) with a UUID; a header rule must send the subgraph that UUID,
    the id the client was answered with and the logs carry, not the raw value."""
    router = shared_router(rule)
    raw = "x" * 300
    reply = router.post({"query": ONE}, headers={"x-request-id": raw})
    assert reply.status == 200, reply.body
    answered = reply.headers["x-request-id"]
    assert answered != raw and len(answered) == 36
    (received,) = proxies["products"].requests
    assert received["x-request-id"] == answered
