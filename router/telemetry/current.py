"""The current span, read and made current without the OpenTelemetry API's layers.

`trace.get_current_span()` goes through four calls and an ABC `isinstance` check, and
`context.attach(trace.set_span_in_context(span))` through six and two copies of the
context; a traced request does each about ten times. OpenTelemetry's default runtime
context is one `ContextVar` holding an immutable `Context` mapping: these helpers read
and set that variable directly, so what they do stays visible to the API (and the API's
changes to them). Under another runtime context (`OTEL_PYTHON_CONTEXT`) they call the
API.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar, Token

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.context.contextvars_context import ContextVarsRuntimeContext
from opentelemetry.trace import INVALID_SPAN, Span
from opentelemetry.trace.propagation import _SPAN_KEY as SPAN_KEY

__all__ = [
    "CURRENT_CONTEXT",
    "SPAN_KEY",
    "current_span",
    "enter",
    "leave",
    "span_in",
]

logger = logging.getLogger(__name__)

_runtime = otel_context._RUNTIME_CONTEXT
# The runtime context's variable, None under another runtime context; the span is
# under SPAN_KEY (for spans.py's context manager, which inlines `enter`).
CURRENT_CONTEXT: ContextVar[Context] | None = (
    _runtime._current_context if type(_runtime) is ContextVarsRuntimeContext else None
)


def current_span() -> Span:
    """`trace.get_current_span()`: the current span, else the invalid span.

    Only `set_span_in_context` writes under the API's private span key, always a
    `Span`, so no type check is needed."""
    if CURRENT_CONTEXT is None:
        return trace.get_current_span()
    span = CURRENT_CONTEXT.get().get(SPAN_KEY)
    return INVALID_SPAN if span is None else span  # type: ignore[return-value]


def span_in(context: Context) -> Span:
    """`trace.get_current_span(context)`: the span `context` holds, else the invalid
    span."""
    span = context.get(SPAN_KEY)
    return INVALID_SPAN if span is None else span  # type: ignore[return-value]


def enter(span: Span, context: Context | None = None) -> Token[Context]:
    """`context.attach(trace.set_span_in_context(span, context))`: `span` becomes
    current, in `context` (the current one when None); `leave` undoes it."""
    if CURRENT_CONTEXT is None:
        return otel_context.attach(trace.set_span_in_context(span, context))
    entered = Context(CURRENT_CONTEXT.get() if context is None else context)
    dict.__setitem__(entered, SPAN_KEY, span)  # Context forbids item assignment
    return CURRENT_CONTEXT.set(entered)


def leave(token: Token[Context]) -> None:
    """`context.detach(token)`: what was current before `enter` is again (a token
    from another context is logged, as the API does, not raised)."""
    if CURRENT_CONTEXT is None:
        otel_context.detach(token)
        return
    try:
        CURRENT_CONTEXT.reset(token)
    except (ValueError, RuntimeError):  # another context's token; used already
        logger.exception("Failed to detach context")
