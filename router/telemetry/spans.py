"""The router's own spans: OpenTelemetry API spans with plain fields, encoded at export.

The SDK's span validates and copies attributes into locked bounded mappings, runs span
processors, and is turned into protobuf objects later in an export thread whose Python
work holds the GIL against the event loop. Ours is a `opentelemetry.trace.Span` (so the
API's context, `get_current_span` and the propagators work unchanged) holding plain
fields; `end()` hands the ended span to a sink (the batch exporter), which writes its
OTLP bytes (`encode_spans`, `otlp_encoding`) with the rest of its batch, off the request's
path: encoding a batch in one go keeps the encoder's code and caches warm. Sampling is
decided once per request, at the root span, as the SDK's
`ParentBased(TraceIdRatioBased(ratio))` (or the bare ratio sampler) decides; children of
a recording span record.
"""

from __future__ import annotations

import random
import time
import traceback
from collections.abc import Callable, Mapping
from types import TracebackType

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import (
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
    TraceState,
)
from opentelemetry.util import types

from router.telemetry.current import (
    CURRENT_CONTEXT,
    SPAN_KEY,
    current_span,
    enter,
    leave,
    span_in,
)
from router.telemetry.otlp_encoding import AttributeValue, encode_span

__all__ = [
    "RecordingSpan",
    "SpanSink",
    "Tracer",
    "UnsampledSpan",
    "encode_spans",
]

SpanSink = Callable[["RecordingSpan"], None]

_KINDS = {  # OTLP's numbers
    SpanKind.INTERNAL: 1,
    SpanKind.SERVER: 2,
    SpanKind.CLIENT: 3,
    SpanKind.PRODUCER: 4,
    SpanKind.CONSUMER: 5,
}
_SAMPLED = TraceFlags(TraceFlags.SAMPLED)
_EMPTY_STATE = TraceState()
# Span.flags: bits 0-7 the W3C trace flags; bit 8 "bit 9 is known"; bit 9 remote parent.
_FLAGS_LOCAL_PARENT = 0x100 | TraceFlags.SAMPLED
_FLAGS_REMOTE_PARENT = 0x300 | TraceFlags.SAMPLED
_STATUS_CODES = {StatusCode.UNSET: 0, StatusCode.OK: 1, StatusCode.ERROR: 2}
_UNSAMPLED = TraceFlags(TraceFlags.DEFAULT)
_TRACE_ID_LIMIT = (1 << 64) - 1  # TraceIdRatioBased compares the low 64 bits
_getrandbits = random.getrandbits
_time_ns = time.time_ns


def _kind_number(kind: SpanKind) -> int:
    """OTLP's number for `kind` (identity checks: hashing an Enum runs Python code)."""
    if kind is SpanKind.INTERNAL:
        return 1
    if kind is SpanKind.SERVER:
        return 2
    if kind is SpanKind.CLIENT:
        return 3
    return _KINDS[kind]


def _new_id(bits: int) -> int:
    value = _getrandbits(bits)
    while not value:  # all-zero ids are invalid
        value = _getrandbits(bits)
    return value


class _Identity:
    """A span's `SpanContext` and W3C `traceparent` header value, each made the first
    time it is asked for (`_FLAGS`: sampled or not)."""

    _FLAGS: TraceFlags
    _context: SpanContext | None
    _trace_id: int
    _span_id: int
    _trace_state: TraceState
    _traceparent: str

    def get_span_context(self) -> SpanContext:
        if self._context is None:
            self._context = SpanContext(
                self._trace_id,
                self._span_id,
                is_remote=False,
                trace_flags=self._FLAGS,
                trace_state=self._trace_state,
            )
        return self._context

    def traceparent(self) -> str:
        if not self._traceparent:
            flags = "01" if self._FLAGS.sampled else "00"
            self._traceparent = f"00-{self._trace_id:032x}-{self._span_id:016x}-{flags}"
        return self._traceparent


class RecordingSpan(_Identity, trace.Span):
    """A sampled span of ours; see the module docstring."""

    _FLAGS = _SAMPLED

    __slots__ = (
        "_attributes",
        "_context",
        "_end_ns",
        "_ended",
        "_events",
        "_flags",
        "_kind",
        "_name",
        "_parent_span_id",
        "_request_id",
        "_sink",
        "_span_id",
        "_start_ns",
        "_state_header",
        "_status_code",
        "_status_message",
        "_trace_bytes",
        "_trace_id",
        "_trace_state",
        "_traceparent",
    )

    def __init__(
        self,
        sink: SpanSink,
        name: str,
        kind: int,
        trace_id: int,
        trace_bytes: bytes,
        trace_state: TraceState,
        state_header: str,
        parent_span_id: int | None,
        flags: int,
        attributes: dict[str, AttributeValue] | None,
        request_id: str,
    ) -> None:
        """`kind` is OTLP's number; `attributes` becomes the span's (not copied);
        `request_id` (or "") is exported as its `request.id` attribute."""
        self._sink = sink
        self._name = name
        self._kind = kind
        self._trace_id = trace_id
        self._trace_bytes = trace_bytes
        self._trace_state = trace_state
        self._state_header = state_header
        self._span_id = _new_id(64)
        self._parent_span_id = parent_span_id
        self._flags = flags
        self._attributes = {} if attributes is None else attributes
        self._request_id = request_id
        self._events: list[tuple[str, int, Mapping[str, AttributeValue]]] | None = None
        self._status_code = 0
        self._status_message = ""
        self._context: SpanContext | None = None
        self._traceparent = ""
        self._ended = False
        self._end_ns = 0
        self._start_ns = _time_ns()

    @property
    def state_header(self) -> str:
        return self._state_header

    def is_recording(self) -> bool:
        return not self._ended

    def set_attribute(self, key: str, value: types.AttributeValue) -> None:
        if not self._ended:
            self._attributes[key] = value

    def set_attributes(self, attributes: Mapping[str, types.AttributeValue]) -> None:
        if not self._ended:
            self._attributes.update(attributes)

    def add_event(
        self,
        name: str,
        attributes: types.Attributes = None,
        timestamp: int | None = None,
    ) -> None:
        if not self._ended:
            if self._events is None:
                self._events = []
            self._events.append((name, timestamp or _time_ns(), dict(attributes or {})))

    def update_name(self, name: str) -> None:
        if not self._ended:
            self._name = name

    def set_status(
        self, status: Status | StatusCode, description: str | None = None
    ) -> None:
        if self._ended:
            return
        if isinstance(status, Status):
            code, description = status.status_code, status.description
        else:
            code = status
        # As the SDK: OK is final, and only an error keeps a description.
        if self._status_code == 1:
            return
        self._status_code = _STATUS_CODES[code]
        self._status_message = (description or "") if code is StatusCode.ERROR else ""

    def record_exception(
        self,
        exception: BaseException,
        attributes: types.Attributes = None,
        timestamp: int | None = None,
        escaped: bool = False,
    ) -> None:
        recorded: dict[str, AttributeValue] = {
            "exception.type": type(exception).__qualname__,
            "exception.message": str(exception),
            "exception.stacktrace": "".join(traceback.format_exception(exception)),
            "exception.escaped": str(escaped),
        }
        recorded.update(attributes or {})
        self.add_event("exception", recorded, timestamp)

    def end(self, end_time: int | None = None) -> None:
        if self._ended:
            return
        self._ended = True
        self._end_ns = end_time or _time_ns()
        self._sink(self)


class UnsampledSpan(_Identity, NonRecordingSpan):
    """The root span of a request not sampled: `NonRecordingSpan` of the same ids, whose
    `SpanContext` is made only if asked for (nothing under an unsampled root asks but
    the access log), and whose `traceparent` is written once for all its fetches."""

    _FLAGS = _UNSAMPLED

    def __init__(self, trace_id: int, span_id: int, trace_state: TraceState) -> None:
        self._context: SpanContext | None = None  # type: ignore[assignment]
        self._trace_id = trace_id
        self._span_id = span_id
        self._trace_state = trace_state
        self._traceparent = ""

    @property
    def state_header(self) -> str:
        """Its `tracestate` header value ("" for none)."""
        state = self._trace_state
        return "" if state is _EMPTY_STATE or not state else state.to_header()

    def __repr__(self) -> str:
        return f"UnsampledSpan({self.get_span_context()!r})"


def encode_spans(spans: list[RecordingSpan]) -> list[bytes]:
    """Ended spans as OTLP protobuf (`ScopeSpans.spans` fields): the exporter's
    encoder, one loop over a batch."""
    return [
        encode_span(
            s._trace_bytes,
            s._span_id,
            s._parent_span_id,
            s._state_header,
            s._name,
            s._kind,
            s._start_ns,
            s._end_ns,
            s._attributes,
            s._events or (),
            s._status_code,
            s._status_message,
            s._flags,
            s._request_id,
        )
        for s in spans
    ]


class _CurrentSpan:
    """`Tracer.start_as_current_span`'s context manager: a class, not a generator."""

    __slots__ = ("_record", "_span", "_token")

    def __init__(self, span: trace.Span, record: bool) -> None:
        self._span = span
        self._record = record
        self._token: object = None

    def __enter__(self) -> trace.Span:
        span = self._span
        if CURRENT_CONTEXT is None:
            self._token = enter(span)
        else:  # `enter`, inlined: three of these a traced request
            entered = Context(CURRENT_CONTEXT.get())
            dict.__setitem__(entered, SPAN_KEY, span)
            self._token = CURRENT_CONTEXT.set(entered)
        return span

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        leave(self._token)  # type: ignore[arg-type]
        span = self._span
        if exc is not None and self._record and span.is_recording():
            span.record_exception(exc, escaped=True)
            span.set_status(Status(StatusCode.ERROR, f"{exc_type.__name__}: {exc}"))  # type: ignore[union-attr]
        span.end()


class Tracer:
    """Starts the router's spans: the root from a sampling decision, children from
    their parent (the current span unless a context is given)."""

    def __init__(self, ratio: float, parent_based: bool, sink: SpanSink) -> None:
        self._ratio = ratio
        self._bound = round(ratio * (_TRACE_ID_LIMIT + 1))
        self._parent_based = parent_based
        self._sink = sink

    def start_span(
        self,
        name: str,
        context: Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: dict[str, AttributeValue] | None = None,
        request_id: str = "",
    ) -> trace.Span:
        """A child of the span `context` holds (the current one when None), else a
        root; `request_id` becomes its `request.id` attribute (kept apart from
        `attributes`, which repeat from request to request and are encoded once)."""
        parent = current_span() if context is None else span_in(context)
        if type(parent) is RecordingSpan:
            if parent._ended:
                return NonRecordingSpan(parent.get_span_context())
            return self._child(parent, name, _kind_number(kind), attributes, request_id)
        return self._start_root(
            name, kind, attributes, parent.get_span_context(), request_id
        )

    def _sampled(self, trace_id: int, parent: SpanContext) -> bool:
        """`ParentBased(TraceIdRatioBased(ratio))`'s decision, or the ratio's alone."""
        if self._parent_based and parent.is_valid:
            return parent.trace_flags.sampled
        if self._ratio >= 1.0:
            return True
        return trace_id & _TRACE_ID_LIMIT < self._bound

    def _start_root(
        self,
        name: str,
        kind: SpanKind,
        attributes: dict[str, AttributeValue] | None,
        parent: SpanContext,
        request_id: str,
    ) -> trace.Span:
        if parent.is_valid:
            trace_id = parent.trace_id
            parent_span_id: int | None = parent.span_id
            trace_state = parent.trace_state
        else:
            trace_id = _new_id(128)
            parent_span_id = None
            trace_state = _EMPTY_STATE
        if not self._sampled(trace_id, parent):
            return UnsampledSpan(trace_id, _new_id(64), trace_state)
        return RecordingSpan(
            self._sink,
            name,
            _kind_number(kind),
            trace_id,
            trace_id.to_bytes(16, "big"),
            trace_state,
            "" if trace_state is _EMPTY_STATE else trace_state.to_header(),
            parent_span_id,
            _FLAGS_REMOTE_PARENT if parent.is_remote else _FLAGS_LOCAL_PARENT,
            attributes,
            request_id,
        )

    def start_child_as_current(
        self,
        parent: RecordingSpan,
        name: str,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: dict[str, AttributeValue] | None = None,
        record_exception: bool = True,
        request_id: str = "",
    ) -> _CurrentSpan:
        """`start_as_current_span` under `parent`, a recording span the caller holds
        (the current one, already looked up)."""
        span = self._child(parent, name, _kind_number(kind), attributes, request_id)
        return _CurrentSpan(span, record_exception)

    def record_child(
        self,
        parent: RecordingSpan,
        name: str,
        attributes: dict[str, AttributeValue] | None = None,
    ) -> None:
        """An internal span under `parent` that starts and ends now: a stage whose
        work was done already (a plan-cache hit). Never current, since nothing runs
        under it."""
        span = self._child(parent, name, 1, attributes, "")
        span.end(span._start_ns)

    def _child(
        self,
        parent: RecordingSpan,
        name: str,
        kind: int,
        attributes: dict[str, AttributeValue] | None,
        request_id: str,
    ) -> RecordingSpan:
        """A span of ``parent``'s trace, its child (`kind`: OTLP's number)."""
        return RecordingSpan(
            self._sink,
            name,
            kind,
            parent._trace_id,
            parent._trace_bytes,
            parent._trace_state,
            parent._state_header,
            parent._span_id,
            _FLAGS_LOCAL_PARENT,
            attributes,
            request_id,
        )

    def start_as_current_span(
        self,
        name: str,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: dict[str, AttributeValue] | None = None,
        record_exception: bool = True,
    ) -> _CurrentSpan:
        """A child of the current span, current while the block runs, ended after it
        (an exception escaping the block is recorded on it unless told otherwise)."""
        return _CurrentSpan(
            self.start_span(name, kind=kind, attributes=attributes), record_exception
        )
