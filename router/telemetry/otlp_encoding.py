"""OTLP's protobuf wire format for our spans, written directly as bytes.

https://github.com/open-telemetry/opentelemetry-proto/blob/main/opentelemetry/proto/trace/v1/trace.proto
The OpenTelemetry SDK builds `opentelemetry-proto` message objects span by span and
serialises them in its export thread, which took more of a traced request's time than
the request itself. A span here is encoded once, when it ends, into the bytes of one
`ScopeSpans.spans` entry; an export joins those bytes under the resource and scope
encoded once at start-up. Attribute keys repeat on every span and are encoded once.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping

from opentelemetry.util.types import AnyValue

__all__ = [
    "AttributeValue",
    "encode_attributes",
    "encode_export_request",
    "encode_resource_and_scope",
    "encode_span",
    "length_delimited",
]

AttributeValue = AnyValue

_FIXED64 = struct.Struct("<Q")
_DOUBLE = struct.Struct("<d")
_KEYS: dict[str, bytes] = {}
_MAX_KEYS = 4096  # attribute names are a small fixed set; bounded all the same


_SMALL = [bytes((i,)) for i in range(0x80)]
# Span attributes repeat from span to span (`subgraph.name: products`, a status 200):
# each (key, value) seen is kept encoded, up to a bound past which the lot is dropped
# (the values that change every request, such as request ids, refill it slowly).
_PAIRS: dict[tuple[str, object, type], bytes] = {}
_MAX_PAIRS = 4096
_SCALARS = frozenset((str, bool, int, float))


def _varint(value: int) -> bytes:
    if value < 0x80:
        return _SMALL[value]
    if value < 0x4000:  # a span's or an attribute's length, mostly
        return bytes(((value & 0x7F) | 0x80, value >> 7))
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def length_delimited(tag: bytes, payload: bytes) -> bytes:
    """Field `tag` (its key byte(s)) holding `payload` (a message, string or bytes)."""
    return tag + _varint(len(payload)) + payload


def _text(tag: bytes, text: str) -> bytes:
    return length_delimited(tag, text.encode())


def _any_value(value: AttributeValue) -> bytes:
    """An `AnyValue` message."""
    # bool before int: True is an int too.
    if isinstance(value, str):
        return _text(b"\x0a", value)
    if isinstance(value, bool):
        return b"\x10\x01" if value else b"\x10\x00"
    if isinstance(value, int):
        return b"\x18" + _varint(value & 0xFFFFFFFFFFFFFFFF)  # int64, two's complement
    if isinstance(value, float):
        return b"\x21" + _DOUBLE.pack(value)
    if value is None:
        return b""
    if isinstance(value, bytes):
        return length_delimited(b"\x3a", value)
    if isinstance(value, Mapping):
        return length_delimited(b"\x32", encode_attributes(b"\x0a", value))
    values = b"".join(length_delimited(b"\x0a", _any_value(v)) for v in value)
    return length_delimited(b"\x2a", values)  # ArrayValue


def _key(key: str) -> bytes:
    """`KeyValue.key`, encoded once per attribute name."""
    encoded = _KEYS.get(key)
    if encoded is None:
        encoded = _text(b"\x0a", key)
        if len(_KEYS) < _MAX_KEYS:
            _KEYS[key] = encoded
    return encoded


def encode_attributes(tag: bytes, attributes: Mapping[str, AttributeValue]) -> bytes:
    """Repeated `KeyValue` field `tag` for each attribute."""
    return b"".join(
        length_delimited(tag, _key(k) + length_delimited(b"\x12", _any_value(v)))
        for k, v in attributes.items()
    )


def _encode_attribute(key: str, value: AttributeValue) -> bytes:
    """One `Span.attributes` entry (field 9)."""
    return length_delimited(
        b"\x4a", _key(key) + length_delimited(b"\x12", _any_value(value))
    )


def _attribute(key: str, value: AttributeValue) -> bytes:
    """`_encode_attribute`, found in `_PAIRS` or kept there when `value` is a scalar."""
    try:  # the type is in the key: True == 1, but they encode apart
        encoded = _PAIRS.get((key, value, type(value)))
    except TypeError:  # unhashable: a list or a mapping
        return _encode_attribute(key, value)
    if encoded is None:
        encoded = _encode_attribute(key, value)
        if type(value) in _SCALARS:
            if len(_PAIRS) >= _MAX_PAIRS:
                _PAIRS.clear()
            _PAIRS[(key, value, type(value))] = encoded
    return encoded


# A span's whole attribute set, encoded: spans of one kind repeat theirs from request to
# request (a fetch's subgraph, operation and status), so one lookup finds all of them.
# Only sets of scalars are kept, whose types are part of the key, and only short ones.
_BLOCKS: dict[tuple[object, ...], bytes] = {}
_MAX_BLOCKS = 4096
_MAX_BLOCK_SIZE = 1024


def _attributes(
    attributes: Mapping[str, AttributeValue],
    key: tuple[object, ...] | None,
    types: tuple[type, ...],
) -> bytes:
    """`attributes` encoded, when `_BLOCKS` has no entry under `key` (None: a value is
    unhashable); kept there when all of them are scalars."""
    block = b"".join([_attribute(k, v) for k, v in attributes.items()])
    if key is not None and len(block) <= _MAX_BLOCK_SIZE and _SCALARS.issuperset(types):
        if len(_BLOCKS) >= _MAX_BLOCKS:
            _BLOCKS.clear()
        _BLOCKS[key] = block
    return block


# `request.id`, new on every request, is written as a prefix kept per value length (the
# field's key, lengths and attribute name) followed by the value's bytes.
_REQUEST_ID = "request.id"
_REQUEST_ID_PREFIXES: dict[int, bytes] = {}


def _request_id_prefix(size: int) -> bytes:
    """The prefix of a `request.id` value of `size` bytes, made and kept."""
    prefix = _encode_attribute(_REQUEST_ID, "-" * size)[:-size]
    if len(_REQUEST_ID_PREFIXES) < _MAX_KEYS:
        _REQUEST_ID_PREFIXES[size] = prefix
    return prefix


# Protobuf fields may come in any order: the fixed-width ones are packed together.
_IDS = struct.Struct(">2s16s2sQ")  # trace_id (1), span_id (2)
_IDS_PARENT = struct.Struct(">2s16s2sQ2sQ")  # and parent_span_id (4)
# start (7) and end (8) time, fixed64; flags (16, key 0x85 0x01), fixed32.
_TIMES_FLAGS = struct.Struct("<BQBQHI")
_NAMES: dict[tuple[str, int], bytes] = {}
_STATUSES: dict[tuple[int, str], bytes] = {}
_MAX_NAMES = 1024


def encode_span(
    trace_id: bytes,
    span_id: int,
    parent_span_id: int | None,
    trace_state: str,
    name: str,
    kind: int,
    start_ns: int,
    end_ns: int,
    attributes: Mapping[str, AttributeValue],
    events: Iterable[tuple[str, int, Mapping[str, AttributeValue]]],
    status_code: int,
    status_message: str,
    flags: int,
    request_id: str = "",
) -> bytes:
    """One `Span` as a `ScopeSpans.spans` field (key and length included).

    `kind` and `status_code` are OTLP's enum numbers (SpanKind: 1 internal, 2 server,
    3 client; StatusCode: 0 unset, 2 error); `flags` is `Span.flags` (the W3C trace
    flags and whether the parent is remote); `request_id`, when given, is written as
    the `request.id` attribute.
    """
    if parent_span_id is None:
        ids = _IDS.pack(b"\x0a\x10", trace_id, b"\x12\x08", span_id)
    else:
        ids = _IDS_PARENT.pack(
            b"\x0a\x10", trace_id, b"\x12\x08", span_id, b"\x22\x08", parent_span_id
        )
    named = _NAMES.get((name, kind))
    if named is None:
        named = _text(b"\x2a", name) + b"\x30" + _varint(kind)
        if len(_NAMES) < _MAX_NAMES:
            _NAMES[(name, kind)] = named
    parts = [
        ids,
        named,
        _TIMES_FLAGS.pack(0x39, start_ns, 0x41, end_ns, 0x0185, flags),
    ]
    if attributes:
        types = tuple(map(type, attributes.values()))
        key = (tuple(attributes.items()), types)
        try:
            block = _BLOCKS.get(key)
        except TypeError:  # an unhashable value: never kept
            block = _attributes(attributes, None, types)
        parts.append(_attributes(attributes, key, types) if block is None else block)
    if request_id:
        raw = request_id.encode()
        size = len(raw)
        parts.append(_REQUEST_ID_PREFIXES.get(size) or _request_id_prefix(size))
        parts.append(raw)
    if trace_state:
        parts.append(_text(b"\x1a", trace_state))
    for event_name, time_ns, event_attributes in events:
        event = b"\x09" + _FIXED64.pack(time_ns) + _text(b"\x12", event_name)
        if event_attributes:
            event += encode_attributes(b"\x1a", event_attributes)
        parts.append(length_delimited(b"\x5a", event))
    if status_code:
        status = _STATUSES.get((status_code, status_message))
        if status is None:
            message = _text(b"\x12", status_message) if status_message else b""
            status = length_delimited(b"\x7a", message + b"\x18" + _varint(status_code))
            if len(_STATUSES) < _MAX_NAMES:
                _STATUSES[(status_code, status_message)] = status
        parts.append(status)
    body = b"".join(parts)
    return b"\x12" + _varint(len(body)) + body


def encode_resource_and_scope(
    resource: Mapping[str, AttributeValue], scope_name: str, scope_version: str
) -> tuple[bytes, bytes]:
    """`ResourceSpans.resource` and `ScopeSpans.scope`, as fields, encoded once."""
    resource_field = length_delimited(b"\x0a", encode_attributes(b"\x0a", resource))
    scope = _text(b"\x0a", scope_name)
    if scope_version:
        scope += _text(b"\x12", scope_version)
    return resource_field, length_delimited(b"\x0a", scope)


def encode_export_request(
    resource_field: bytes, scope_field: bytes, spans: Iterable[bytes]
) -> bytes:
    """An `ExportTraceServiceRequest` holding `spans` (each from `encode_span`)."""
    spans = list(spans)
    scope_length = len(scope_field) + sum(map(len, spans))
    scope_key = b"\x12" + _varint(scope_length)
    resource_length = len(resource_field) + len(scope_key) + scope_length
    # One join: the batch's spans are copied once, not once per enclosing message.
    return b"".join(
        [
            b"\x0a",
            _varint(resource_length),
            resource_field,
            scope_key,
            scope_field,
            *spans,
        ]
    )
