"""Tracing end to end: client trace context -> router spans -> OTLP receiver, and each
subgraph request carrying its fetch span's context."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable

import pytest
from telemetry_harness import OtlpReceiver, ReceivedSpan, RecordingProxy, Router

JOIN = """query TopWithReviews {
  topProducts(first: 2) { name reviews { body author { name } } }
}"""
STAGES = ("parse", "validate", "query_planning", "execution")


def _tracing_yaml(endpoint: str, protocol: str, propagation: str = "") -> str:
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
        protocol: {protocol}
        batch_processor:
          scheduled_delay: 50ms
          max_export_timeout: 1s
{propagation}"""


@pytest.fixture
def traced(
    session_receiver: OtlpReceiver, shared_router: Callable[[str], Router]
) -> Router:
    """The shared router exporting to the session's gRPC receiver."""
    return shared_router(_tracing_yaml(session_receiver.endpoint, "grpc"))


def _traceparent(trace_id: str, flags: str = "01") -> dict[str, str]:
    return {"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-{flags}"}


def _urls(proxies: dict[str, RecordingProxy]) -> dict[str, str]:
    return {name: proxy.url for name, proxy in proxies.items()}


def _complete(spans: list[ReceivedSpan]) -> bool:
    names = [s.name for s in spans]
    return "router" in names and names.count("fetch") >= 3


def _of_trace(
    spans: list[ReceivedSpan], trace_id: str, name: str | None = None
) -> list[ReceivedSpan]:
    return [
        s for s in spans if s.trace_id == trace_id and (name is None or s.name == name)
    ]


def _completes(trace_id: str) -> Callable[[list[ReceivedSpan]], bool]:
    return lambda spans: _complete(_of_trace(spans, trace_id))


def test_client_trace_reaches_every_subgraph_through_the_router_span_tree(
    session_receiver: OtlpReceiver,
    proxies: dict[str, RecordingProxy],
    traced: Router,
) -> None:
    trace_id, client_span = secrets.token_hex(16), secrets.token_hex(8)
    reply = traced.post(
        {"query": JOIN},
        headers={
            "traceparent": f"00-{trace_id}-{client_span}-01",
            "x-request-id": "client-request-42",
        },
    )
    assert reply.status == 200, reply.body
    assert reply.json()["data"]["topProducts"][0]["reviews"][0]["author"]["name"]
    assert reply.headers["x-request-id"] == "client-request-42"

    spans = _of_trace(session_receiver.wait_for(_completes(trace_id)), trace_id)
    assert _complete(spans), [s.name for s in spans]
    assert {s.service_name for s in spans} == {"router-under-test"}
    by_name: dict[str, list[ReceivedSpan]] = {}
    for span in spans:
        by_name.setdefault(span.name, []).append(span)
    (root,) = by_name["router"]
    assert root.parent_span_id == client_span
    assert root.attributes["http.request.method"] == "POST"
    assert root.attributes["http.response.status_code"] == 200
    assert root.attributes["graphql.operation.name"] == "TopWithReviews"
    assert root.attributes["graphql.operation.type"] == "query"
    assert root.attributes["request.id"] == "client-request-42"
    for stage in STAGES:
        (span,) = by_name[stage]
        assert span.parent_span_id == root.span_id, stage
    assert by_name["query_planning"][0].attributes["query_planning.cache"] == "miss"
    (execution,) = by_name["execution"]
    fetches = {s.attributes["subgraph.name"]: s for s in by_name["fetch"]}
    assert sorted(fetches) == ["products", "reviews", "users"]
    for name, fetch in fetches.items():
        assert fetch.parent_span_id == execution.span_id
        assert fetch.attributes["http.response.status_code"] == 200
        (received,) = proxies[name].requests
        assert received["traceparent"] == f"00-{trace_id}-{fetch.span_id}-01", name
        assert received["x-request-id"] == "client-request-42"


def test_a_repeated_operation_is_a_plan_cache_hit_in_its_span(
    session_receiver: OtlpReceiver, traced: Router
) -> None:
    # A new operation name: a new plan-cache key on the shared router.
    query = f"query Repeat{secrets.token_hex(4)} {{ topProducts(first: 1) {{ name }} }}"
    first, second = secrets.token_hex(16), secrets.token_hex(16)
    for trace_id in (first, second):
        assert (
            traced.post({"query": query}, headers=_traceparent(trace_id)).status == 200
        )
    spans = session_receiver.wait_for(
        lambda s: all(_of_trace(s, t, "router") for t in (first, second))
    )
    cache = [
        _of_trace(spans, t, "query_planning")[0].attributes["query_planning.cache"]
        for t in (first, second)
    ]
    assert cache == ["miss", "hit"]
    # The hit's span, recorded without being made current, hangs off the router span.
    (root,) = _of_trace(spans, second, "router")
    (hit,) = _of_trace(spans, second, "query_planning")
    assert hit.parent_span_id == root.span_id


def test_http_protobuf_export_adds_the_traces_path(
    proxies: dict[str, RecordingProxy], start_router: Callable[..., Router]
) -> None:
    receiver = OtlpReceiver("http")
    try:
        router = start_router(_urls(proxies), _tracing_yaml(receiver.endpoint, "http"))
        assert router.post({"query": JOIN}).status == 200
        spans = receiver.wait_for(_complete)
        assert _complete(spans)
        assert len({s.trace_id for s in spans}) == 1
    finally:
        receiver.stop()


def test_exports_wait_for_full_batches_until_the_scheduled_delay(
    proxies: dict[str, RecordingProxy], start_router: Callable[..., Router]
) -> None:
    # A slow collector: the spans of the requests answered while one export waits
    # must join the next full batch, not go out at once as a small export of their own.
    receiver = OtlpReceiver("http", answer_after=0.5)
    try:
        batch = """
          max_export_batch_size: 8
          scheduled_delay: 60s"""
        router = start_router(
            _urls(proxies),
            _tracing_yaml(receiver.endpoint, "http").replace(
                "\n          scheduled_delay: 50ms", batch
            ),
        )
        for _ in range(12):  # four spans each (six for the first: parse, validate)
            reply = router.post({"query": "{ topProducts(first: 1) { name } }"})
            assert reply.status == 200
        spans = receiver.wait_for(lambda s: len(s) >= 48, timeout=20)
        assert len(spans) >= 48  # six full batches; the rest waits for more
        time.sleep(1.0)  # an export of what is left would have arrived by now
        assert set(receiver.export_sizes) == {8}, receiver.export_sizes
    finally:
        receiver.stop()


def test_b3_and_jaeger_propagation_when_configured(
    session_receiver: OtlpReceiver,
    proxies: dict[str, RecordingProxy],
    start_router: Callable[..., Router],
) -> None:
    receiver = session_receiver
    propagation = """      propagation:
        zipkin: true
        jaeger: true
"""
    router = start_router(
        _urls(proxies), _tracing_yaml(receiver.endpoint, "grpc", propagation)
    )
    trace_id, client_span = secrets.token_hex(16), secrets.token_hex(8)
    reply = router.post(
        {"query": "{ topProducts(first: 1) { name } }"},
        headers={
            "x-b3-traceid": trace_id,
            "x-b3-spanid": client_span,
            "x-b3-sampled": "1",
        },
    )
    assert reply.status == 200
    spans = receiver.wait_for(lambda s: bool(_of_trace(s, trace_id, "fetch")))
    (root,) = _of_trace(spans, trace_id, "router")
    assert (root.trace_id, root.parent_span_id) == (trace_id, client_span)
    (fetch,) = _of_trace(spans, trace_id, "fetch")
    (received,) = proxies["products"].requests
    assert received["x-b3-traceid"] == trace_id
    assert received["x-b3-spanid"] == fetch.span_id
    assert received["uber-trace-id"].startswith(f"{trace_id}:{fetch.span_id}:")
    assert received["traceparent"] == f"00-{trace_id}-{fetch.span_id}-01"


def test_an_unreachable_collector_neither_fails_nor_slows_requests(
    proxies: dict[str, RecordingProxy], start_router: Callable[..., Router]
) -> None:
    # A port nobody listens on: the exporter fails in its own thread.
    closed = OtlpReceiver("http")
    endpoint = closed.endpoint
    closed.stop()
    router = start_router(_urls(proxies), _tracing_yaml(endpoint, "http"))
    for _ in range(5):
        started = time.monotonic()
        reply = router.post({"query": JOIN})
        assert reply.status == 200
        assert "errors" not in reply.json()
        # Exports run beside requests: one held by the exporter's retries (backing off
        # for tens of seconds) would take far longer than this generous bound.
        assert time.monotonic() - started < 10.0
    # The exporter logs each retry ("... while exporting spans batch, retrying"), then
    # "Failed to export spans" once it gives up: either shows the failure was logged.
    deadline = time.monotonic() + 30
    while not re.search(r"export(ing)? spans", router.stderr(), re.IGNORECASE):
        assert time.monotonic() < deadline, "no failed export was logged"
        assert router.process.poll() is None, router.stderr()
        time.sleep(0.1)
    assert router.process.poll() is None


def test_a_client_decision_not_to_sample_is_kept_and_passed_on(
    session_receiver: OtlpReceiver,
    proxies: dict[str, RecordingProxy],
    traced: Router,
) -> None:
    unsampled, sampled = secrets.token_hex(16), secrets.token_hex(16)
    query = {"query": "{ topProducts(first: 1) { name } }"}
    assert traced.post(query, headers=_traceparent(unsampled, "00")).status == 200
    (received,) = proxies["products"].requests
    version, sent_trace, _, flags = received["traceparent"].split("-")
    assert (version, sent_trace, flags) == ("00", unsampled, "00")
    # A sampled request afterwards is exported; the unsampled one never is.
    assert traced.post(query, headers=_traceparent(sampled)).status == 200
    spans = session_receiver.wait_for(lambda s: bool(_of_trace(s, sampled, "router")))
    assert _of_trace(spans, sampled, "router")
    assert not _of_trace(spans, unsampled)


def test_client_baggage_reaches_the_subgraphs_with_the_fetch_span_context(
    proxies: dict[str, RecordingProxy], traced: Router
) -> None:
    query = {"query": "{ topProducts(first: 1) { name } }"}
    reply = traced.post(query, headers={"baggage": "tenant=acme,plan=gold"})
    assert reply.status == 200, reply.body
    (received,) = proxies["products"].requests
    assert sorted(received["baggage"].split(",")) == ["plan=gold", "tenant=acme"]
    assert received["traceparent"].endswith("-01")
    # Without the client's baggage the subgraph gets none.
    proxies["products"].requests.clear()
    assert traced.post(query).status == 200
    (received,) = proxies["products"].requests
    assert "baggage" not in received
    assert received["traceparent"].endswith("-01")
