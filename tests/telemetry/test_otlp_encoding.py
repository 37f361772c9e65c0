"""The router writes OTLP protobuf by hand: a collector must read every field of it as
`opentelemetry-proto` (the collector's own definitions) does."""

from __future__ import annotations

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from router.telemetry.otlp_encoding import (
    encode_export_request,
    encode_resource_and_scope,
    encode_span,
)

TRACE = bytes(range(1, 17))


def _value(value: AnyValue) -> object:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _value(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, kind) if kind else None


def _decode(spans: list[bytes]) -> ExportTraceServiceRequest:
    resource, scope = encode_resource_and_scope(
        {"service.name": "router", "deployment": "é-test"}, "pyfed-router", "1.0"
    )
    request = ExportTraceServiceRequest()
    request.ParseFromString(encode_export_request(resource, scope, spans))
    return request


def test_every_span_field_and_attribute_type_reads_back_as_written() -> None:
    attributes = {
        "text": "naïve ünïcode " * 20,  # a length past one varint byte
        "yes": True,
        "no": False,
        "count": 300,
        "negative": -5,
        "ratio": 0.25,
        "codes": ["A", "B"],
        "numbers": [1, 2],
    }
    span = encode_span(
        TRACE,
        0x0102030405060708,
        0x1112131415161718,
        "vendor=value",
        "fetch",
        3,
        1_700_000_000_000_000_000,
        1_700_000_000_123_456_789,
        attributes,
        [("exception", 1_700_000_000_100_000_000, {"exception.type": "KeyError"})],
        2,
        "SUBREQUEST_HTTP_ERROR",
        0x301,
    )
    (resource_spans,) = _decode([span]).resource_spans
    resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
    assert resource == {"service.name": "router", "deployment": "é-test"}
    (scope_spans,) = resource_spans.scope_spans
    assert (scope_spans.scope.name, scope_spans.scope.version) == (
        "pyfed-router",
        "1.0",
    )
    (decoded,) = scope_spans.spans
    assert decoded.trace_id == TRACE
    assert decoded.span_id.hex() == "0102030405060708"
    assert decoded.parent_span_id.hex() == "1112131415161718"
    assert decoded.trace_state == "vendor=value"
    assert (decoded.name, decoded.kind) == ("fetch", 3)
    assert decoded.start_time_unix_nano == 1_700_000_000_000_000_000
    assert decoded.end_time_unix_nano == 1_700_000_000_123_456_789
    assert {a.key: _value(a.value) for a in decoded.attributes} == attributes
    (event,) = decoded.events
    assert (event.name, event.time_unix_nano) == (
        "exception",
        1_700_000_000_100_000_000,
    )
    assert {a.key: _value(a.value) for a in event.attributes} == {
        "exception.type": "KeyError"
    }
    assert (decoded.status.code, decoded.status.message) == (
        2,
        "SUBREQUEST_HTTP_ERROR",
    )
    assert decoded.flags == 0x301


def test_a_root_span_without_parent_status_or_attributes_reads_back() -> None:
    spans = [
        encode_span(TRACE, n, None, "", "router", 2, 5, 6, {}, [], 0, "", 0x101)
        for n in (1, 2)
    ]
    decoded = _decode(spans).resource_spans[0].scope_spans[0].spans
    assert [s.span_id.hex() for s in decoded] == [f"{n:016x}" for n in (1, 2)]
    for span in decoded:
        assert span.parent_span_id == b""
        assert not span.HasField("status")
        assert list(span.attributes) == []


def test_repeated_attribute_values_encode_the_same_as_new_ones() -> None:
    """The encoder keeps (key, value) pairs it has seen: `True` and `1` stay apart."""
    first = encode_span(TRACE, 1, None, "", "x", 1, 0, 0, {"a": 1}, [], 0, "", 0)
    flag = encode_span(TRACE, 1, None, "", "x", 1, 0, 0, {"a": True}, [], 0, "", 0)
    again = encode_span(TRACE, 1, None, "", "x", 1, 0, 0, {"a": 1}, [], 0, "", 0)
    assert first == again != flag
    spans = _decode([first, flag]).resource_spans[0].scope_spans[0].spans
    assert [_value(s.attributes[0].value) for s in spans] == [1, True]
    assert [type(_value(s.attributes[0].value)) for s in spans] == [int, bool]


def test_a_repeated_attribute_set_encodes_as_when_first_seen() -> None:
    """Whole attribute sets are kept encoded: sets equal but for a value's type
    (`True` and `1`, `1.0`) stay apart, and a set holding a list is never kept."""
    sets = [
        {"subgraph.name": "products", "status": 1},
        {"subgraph.name": "products", "status": True},
        {"subgraph.name": "products", "status": 1.0},
        {"subgraph.name": "products", "codes": ["A"]},
        {"subgraph.name": "products", "codes": ["B"]},
    ]
    first = [
        encode_span(TRACE, 1, None, "", "fetch", 3, 0, 0, a, [], 0, "", 0) for a in sets
    ]
    again = [
        encode_span(TRACE, 1, None, "", "fetch", 3, 0, 0, a, [], 0, "", 0) for a in sets
    ]
    assert first == again
    spans = _decode(again).resource_spans[0].scope_spans[0].spans
    read = [{kv.key: _value(kv.value) for kv in s.attributes} for s in spans]
    assert read == [
        {"subgraph.name": "products", "status": 1},
        {"subgraph.name": "products", "status": True},
        {"subgraph.name": "products", "status": 1.0},
        {"subgraph.name": "products", "codes": ["A"]},
        {"subgraph.name": "products", "codes": ["B"]},
    ]
    assert [type(r.get("status")) for r in read[:3]] == [int, bool, float]


def test_the_request_id_reads_back_beside_the_other_attributes() -> None:
    ids = ["2f1e0c4a-9b7d-4c1e-8f00-123456789abc", "client-42", "ünï-" * 40]
    spans = [
        encode_span(
            TRACE,
            1,
            None,
            "",
            "router",
            2,
            0,
            0,
            {"url.path": "/graphql"},
            [],
            0,
            "",
            0,
            request_id,
        )
        for request_id in ids
    ]
    decoded = _decode(spans).resource_spans[0].scope_spans[0].spans
    assert [{kv.key: _value(kv.value) for kv in s.attributes} for s in decoded] == [
        {"url.path": "/graphql", "request.id": request_id} for request_id in ids
    ]
