"""uvicorn's httptools protocol with a cap on the size of a request's head, and an
answer to a client that half-closes mid-body.

httptools buffers a request line and headers of any size before the app sees them: a
client sending a 100 MB header holds 100 MB of the router's memory, per connection. Apollo
Router (hyper) refuses heads past about 400 KiB, Node past 16 KiB; we refuse past
`MAX_HEAD_BYTES` with 431 and a coded GraphQL error, and close the connection.

Closing a socket with unread input makes the kernel send a reset, which can destroy the
431 before the client reads it; so after refusing, the connection half-closes and drops
whatever still arrives for up to `_LINGER_SECONDS` before it closes.

A client that half-closes (shuts down its sending side) before its body's
Content-Length has arrived can send nothing more: waiting for the rest would hold
the request until the router's deadline. It gets 400 with a coded error at once, and
the connection closes (the app reading the body sees the client gone). A client that
half-closes after a whole request still gets its answer (uvicorn would close at
once and drop it), then the connection closes, unless the answer is a stream already
under way (a subscription over SSE or multipart: chunked, never ending by itself),
whose client has then left; one that half-closes between requests or mid-head is
closed, as before.

On a graceful shutdown, a subscription streamed over HTTP ends at once (it would
otherwise hold the shutdown until `timeout_graceful_shutdown`); WebSockets are closed
by uvicorn itself.
"""

from __future__ import annotations

from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import (
    HttpToolsProtocol,
    RequestResponseCycle,
)

from router.server.errors import INVALID_GRAPHQL_REQUEST, graphql_error
from router.subscriptions.http_stream import SUBSCRIPTION_STREAM

__all__ = ["MAX_HEAD_BYTES", "CappedHttpToolsProtocol"]

# Apollo Router's default for `limits.http1_max_request_buf_size`.
MAX_HEAD_BYTES = 400 * 1024
_LINGER_SECONDS = 2.0

_BODY = orjson.dumps(
    {
        "errors": [
            graphql_error(
                INVALID_GRAPHQL_REQUEST,
                f"Request header fields too large: the request line and headers "
                f"must fit in {MAX_HEAD_BYTES // 1024} KiB",
            )
        ]
    }
)
_REFUSAL = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: application/json\r\n"
    b"content-length: " + str(len(_BODY)).encode() + b"\r\n"
    b"connection: close\r\n\r\n" + _BODY
)


_TRUNCATED_BODY = orjson.dumps(
    {
        "errors": [
            graphql_error(
                INVALID_GRAPHQL_REQUEST,
                "Invalid GraphQL request: the client closed its side of the "
                "connection before the body's Content-Length had arrived",
            )
        ]
    }
)
_TRUNCATED = (
    b"HTTP/1.1 400 Bad Request\r\n"
    b"content-type: application/json\r\n"
    b"content-length: " + str(len(_TRUNCATED_BODY)).encode() + b"\r\n"
    b"connection: close\r\n\r\n" + _TRUNCATED_BODY
)


class CappedHttpToolsProtocol(HttpToolsProtocol):
    """Counts the bytes received while a request's head is incomplete.

    A chunk that completes the head is not counted (it may carry body bytes too), nor one
    that completes an earlier pipelined request, so at most `MAX_HEAD_BYTES` plus one read
    are ever buffered for a head.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True
        self._head_bytes = 0
        self._refused = False
        self._completed = 0

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        counting = self._in_head
        completed = self._completed
        super().data_received(data)
        if not counting or not self._in_head or self.transport.is_closing():
            return
        if self._completed != completed:
            # The chunk ended one request and began the next (pipelining): how much of
            # it is the new head is unknown, so, like a chunk that ends a head, it is
            # not counted.
            return
        self._head_bytes += len(data)
        if self._head_bytes > MAX_HEAD_BYTES:
            self._refuse()

    # asyncio.Protocol's `eof_received` may return True (keep the transport open for
    # writing); uvicorn's annotation narrows it to None.
    def eof_received(self) -> bool | None:  # type: ignore[override]
        """The client will send nothing more (see the module's docstring)."""
        cycle = self.cycle
        if self._refused or cycle is None or cycle.response_complete:
            return None  # between requests: close
        if not self._in_head:
            # Headers in, body not complete: it never will be.
            if not cycle.response_started:
                self.transport.write(_TRUNCATED)
            return None  # close: the app reading the body sees a disconnect
        if cycle.response_started and cycle.chunked_encoding:
            # A stream (a subscription over SSE or multipart) never ends by itself:
            # its client closing is its leaving (the app sees a disconnect).
            return None
        # A whole request whose answer is on its way: answer, then close.
        cycle.keep_alive = False
        return True

    def shutdown(self) -> None:
        """Graceful shutdown: a subscription streamed over HTTP (SSE or multipart)
        never completes by itself, so it ends now (the app sees its client gone)
        rather than holding the shutdown until its deadline."""
        cycle = self.cycle
        if (
            cycle is not None
            and not cycle.response_complete
            and cycle.scope.get(SUBSCRIPTION_STREAM)
        ):
            # Closing the connection (after what is buffered) is the client's leaving
            # for the app, and takes it off the connections uvicorn waits for.
            self.transport.close()
            return
        super().shutdown()

    def _refuse(self) -> None:
        self._refused = True
        self.transport.write(_REFUSAL)
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(_LINGER_SECONDS, self.transport.close)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = 0

    def on_headers_complete(self) -> None:
        self._in_head = False
        existing = self.cycle
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is not existing and type(cycle) is RequestResponseCycle:
            # uvicorn builds its cycle by name in the method above; the subclass adds
            # no state of its own, only `send`.
            cycle.__class__ = _OneWriteCycle

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._completed += 1
        self._in_head = True
        self._head_bytes = 0


class _OneWriteCycle(RequestResponseCycle):
    """uvicorn's request cycle, writing a response of known length in one system call.

    uvicorn writes a response's head when the app sends `http.response.start` and its
    body at `http.response.body`: two writes, so two syscalls and two TCP segments for
    a small answer. Here the head of a response with a Content-Length is held until the
    body comes (the router sends both in one step, with no await between), then both
    go out in one vectored write. Streams (chunked) and HEAD answers write the head at
    once, as uvicorn does.
    """

    _held: bytes | None = None

    async def send(self, message: Any) -> None:
        if (
            message["type"] == "http.response.start"
            and not self.response_started
            and not self.flow.write_paused
        ):
            # No await inside: uvicorn only waits when writing is paused.
            transport = self.transport
            collected = _Collected()
            self.transport = collected  # type: ignore[assignment]
            try:
                await super().send(message)
            finally:
                self.transport = transport
            if not collected.parts:
                return  # disconnected: nothing was written
            if self.chunked_encoding or self.scope["method"] == "HEAD":
                transport.write(b"".join(collected.parts))
            else:
                self._held = b"".join(collected.parts)
            return
        head = self._held
        if head is None:
            await super().send(message)
            return
        self._held = None
        transport = self.transport
        self.transport = _Prefixed(transport, head)  # type: ignore[assignment]
        try:
            await super().send(message)
        finally:
            self.transport = transport


class _Collected:
    """Stands for the transport while uvicorn writes a response's head."""

    __slots__ = ("parts",)

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.parts.append(data)


class _Prefixed:
    """Stands for the transport while uvicorn writes a body: the held head goes first,
    in the same write."""

    __slots__ = ("head", "transport")

    def __init__(self, transport: Any, head: bytes) -> None:
        self.transport = transport
        self.head = head

    def write(self, data: bytes) -> None:
        head, self.head = self.head, b""
        self.transport.writelines((head, data) if head else (data,))

    def close(self) -> None:
        if self.head:
            self.transport.write(self.head)
            self.head = b""
        self.transport.close()

    def is_closing(self) -> bool:
        return bool(self.transport.is_closing())
