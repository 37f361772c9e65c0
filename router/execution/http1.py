"""A small HTTP/1.1 client for plain-HTTP subgraphs: keep-alive pools on httptools.

Why not aiohttp here: a subgraph fetch is one POST of a ready JSON body and one JSON
answer, and aiohttp's general machinery (request and response objects, header
multidicts, stream readers, payload writers) cost about 0.2 ms of Python per fetch,
a third of the router's time on the gateway benchmark. This client writes one
precomputed request head plus the body, lets httptools (the parser uvicorn uses) split
the answer, and keeps each connection for the next request. ``https`` subgraphs still go
through aiohttp (``router.execution.subgraph_client``).

What it handles: Content-Length and chunked bodies, and bodies that end with the
connection; the content codings it advertises (``router.execution.content_coding``:
gzip, deflate, br with the brotli package); a cap on the decoded body; ``Connection: close`` answers; idle connections dropped after
``KEEPALIVE_SECONDS``. A pooled connection found closed before its request is written is
replaced; one that fails while the request is being written is reported as
``StaleConnection`` so the caller can send once more (the subgraph never saw it).
Every failure that the subgraph cannot have seen (``Unsent``: no connection, or the
first write failed) is told apart from one after the request left, so that a caller
may send it elsewhere whatever the operation.
"""

from __future__ import annotations

import asyncio
import select
import socket
from dataclasses import dataclass

import httptools

from router.execution.content_coding import (
    ACCEPT_ENCODING,
    Decoder,
    InvalidCoding,
    decoder_for,
)

__all__ = [
    "KEEPALIVE_SECONDS",
    "PROBE_AFTER_SECONDS",
    "BodyTooLarge",
    "ConnectFailed",
    "Disconnected",
    "HttpFailure",
    "InvalidResponse",
    "NotWritten",
    "Origin",
    "Pools",
    "RawResponse",
    "StaleConnection",
    "Unsent",
]

# Idle connections are dropped before a typical server closes them (uvicorn after 5 s,
# Node after 5 s), so a request rarely lands on a closing socket.
KEEPALIVE_SECONDS = 4.0
# Timers may fire this early (uvloop's clock counts milliseconds).
_CLOCK_SLACK = 0.001
# A connection idle longer than this is polled before reuse: a close the server sent
# while the event loop was busy is then seen before the request is written. (Busier
# connections are reused sooner than any server times them out.)
PROBE_AFTER_SECONDS = 0.01


class HttpFailure(Exception):
    """No response: the connection could not be made, broke, or spoke no HTTP."""


class Unsent(HttpFailure):
    """No byte of the request reached the subgraph."""


class ConnectFailed(Unsent):
    def __init__(self, host: str, port: int, error: OSError) -> None:
        super().__init__(f"cannot connect to {host}:{port} ({error.strerror or error})")


class Disconnected(HttpFailure):
    def __init__(self) -> None:
        super().__init__("the subgraph closed the connection")


class StaleConnection(Unsent):
    """A kept-alive connection closed while the request was being written."""

    def __init__(self) -> None:
        super().__init__("Can not write request body: the connection closed")


class NotWritten(Unsent):
    """A new connection failed on the request's first write (the peer reset it)."""

    def __init__(self) -> None:
        super().__init__("the subgraph closed the connection before the request")


class InvalidResponse(HttpFailure):
    pass


class BodyTooLarge(Exception):
    """The (decoded) body grew past the cap; ``status`` is the response's,
    ``inflated`` whether it was compressed."""

    def __init__(self, status: int, inflated: bool = False) -> None:
        super().__init__(status)
        self.status = status
        self.inflated = inflated


@dataclass(frozen=True, slots=True)
class RawResponse:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True, slots=True)
class Origin:
    """Where plain-HTTP requests go: a pool key, and the start of every request head."""

    host: str
    port: int
    head: bytes  # request line, Host and the fixed headers, each ending in CRLF

    @classmethod
    def of(cls, host: str, port: int, target: str, fixed: dict[str, str]) -> Origin:
        authority = f"[{host}]" if ":" in host else host
        if port != 80:
            authority = f"{authority}:{port}"
        lines = [f"POST {target} HTTP/1.1", f"host: {authority}"]
        lines += [f"{name}: {value}" for name, value in fixed.items()]
        lines.append(f"accept-encoding: {ACCEPT_ENCODING}")
        return cls(host, port, ("\r\n".join(lines) + "\r\n").encode("latin-1"))


class Pools:
    """Keep-alive connections per origin, for one event loop.

    Response deadlines share one timer: requests whose deadlines arrive in order (all
    of them when every subgraph has the same timeout) wait in one queue, and the timer
    is set for the oldest; a deadline earlier than the last one queued gets a timer of
    its own. (An ``asyncio.timeout`` per request costs a timer and a task cancellation
    scope each, a quarter of a fetch's CPU.)
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._idle: dict[tuple[str, int], list[_Connection]] = {}
        self._sweeper: asyncio.TimerHandle | None = None
        self._closed = False
        # Connections awaiting a response, oldest first, with their deadlines.
        self._waiting: dict[_Connection, float] = {}
        self._last_deadline = 0.0
        self._expiry: asyncio.TimerHandle | None = None
        self._expiry_at = 0.0

    async def post(
        self,
        origin: Origin,
        headers: bytes,
        body: bytes,
        max_body: int,
        deadline: float,
    ) -> RawResponse:
        """Sends one POST: ``headers`` are extra header lines (each ending in CRLF).

        ``deadline`` (the loop's clock) bounds connecting and waiting for the response:
        past it, TimeoutError. Raises ``HttpFailure`` subclasses and ``BodyTooLarge``;
        a request cancelled or failed mid-way closes its connection, never returning it
        to the pool.
        """
        request = b"".join(
            (
                origin.head,
                headers,
                b"content-length: ",
                str(len(body)).encode(),
                b"\r\n\r\n",
                body,
            )
        )
        key = (origin.host, origin.port)
        connection = self._reuse(key)
        reused = connection is not None
        if connection is None:
            async with asyncio.timeout_at(deadline):
                connection = await self._connect(origin)
        transport = connection.transport
        assert transport is not None
        done = False
        try:
            waiter = connection.start(max_body)
            transport.write(request)
            if transport.is_closing():
                # The write failed at once (the peer had reset the connection): the
                # subgraph never saw the request.
                waiter.cancel()
                raise StaleConnection() if reused else NotWritten()
            self._watch(connection, deadline)
            try:
                response = await waiter
            finally:
                self._unwatch(connection)
            done = True
        finally:
            if not done:
                connection.close()
        if connection.keep_alive and not self._closed:
            connection.idle_since = self._loop.time()
            self._idle.setdefault(key, []).append(connection)
            if self._sweeper is None:
                self._schedule_sweep()
        else:
            connection.close()
        return response

    def _watch(self, connection: _Connection, deadline: float) -> None:
        waiting = self._waiting
        if waiting and deadline < self._last_deadline:
            # Out of order (a shorter timeout, or a request that waited its turn).
            connection.timer = self._loop.call_at(deadline, connection.expire)
            return
        self._last_deadline = deadline
        waiting[connection] = deadline
        # The timer is never later than the oldest deadline queued.
        if self._expiry is None or deadline < self._expiry_at:
            if self._expiry is not None:
                self._expiry.cancel()
            self._expiry = self._loop.call_at(deadline, self._expire)
            self._expiry_at = deadline

    def _unwatch(self, connection: _Connection) -> None:
        if connection.timer is not None:
            connection.timer.cancel()
            connection.timer = None
        else:
            self._waiting.pop(connection, None)

    def _expire(self) -> None:
        """Fails the responses past their deadline; the timer moves to the next one."""
        self._expiry = None
        now = self._loop.time()
        waiting = self._waiting
        while waiting:
            connection, deadline = next(iter(waiting.items()))
            if deadline > now + _CLOCK_SLACK:
                self._expiry = self._loop.call_at(deadline, self._expire)
                self._expiry_at = deadline
                return
            del waiting[connection]
            connection.expire()

    def close(self) -> None:
        self._closed = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()

    def _reuse(self, key: tuple[str, int]) -> _Connection | None:
        idle = self._idle.get(key)
        if not idle:
            return None
        # Newest first: the connections least likely to have timed out at the server.
        now = self._loop.time()
        while idle:
            connection = idle.pop()
            idle_for = now - connection.idle_since
            if (
                connection.lost
                or idle_for > KEEPALIVE_SECONDS
                or (idle_for > PROBE_AFTER_SECONDS and connection.dropped())
            ):
                connection.close()
                continue
            return connection
        return None

    async def _connect(self, origin: Origin) -> _Connection:
        try:
            _, connection = await self._loop.create_connection(
                _Connection, origin.host, origin.port
            )
        except OSError as error:
            raise ConnectFailed(origin.host, origin.port, error) from None
        return connection

    def _schedule_sweep(self) -> None:
        self._sweeper = self._loop.call_later(KEEPALIVE_SECONDS, self._sweep)

    def _sweep(self) -> None:
        """Closes connections idle past the keep-alive time (they would not be reused)."""
        self._sweeper = None
        oldest_allowed = self._loop.time() - KEEPALIVE_SECONDS
        for key, connections in list(self._idle.items()):
            kept = []
            for connection in connections:
                if connection.lost or connection.idle_since < oldest_allowed:
                    connection.close()
                else:
                    kept.append(connection)
            if kept:
                self._idle[key] = kept
            else:
                del self._idle[key]
        if self._idle and not self._closed:
            self._schedule_sweep()


class _Connection(asyncio.Protocol):
    """One connection: at most one request in flight, its response parsed as it comes."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.lost = False
        self.keep_alive = False
        self.idle_since = 0.0
        self.timer: asyncio.TimerHandle | None = None
        self._fd = -1
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[RawResponse] | None = None
        self._max_body = 0
        self._reason = bytearray()
        self._headers: list[tuple[str, str]] = []
        self._chunks: list[bytes] = []
        self._size = 0
        self._status = 0
        self._decoder: Decoder | None = None
        self._until_eof = False
        self._received = False

    def start(self, max_body: int) -> asyncio.Future[RawResponse]:
        self._waiter = asyncio.get_running_loop().create_future()
        self._max_body = max_body
        self._reason.clear()
        self._headers = []
        self._chunks = []
        self._size = 0
        self._status = 0
        self._decoder = None
        self._until_eof = False
        self._received = False
        self.keep_alive = False
        return self._waiter

    def close(self) -> None:
        self.lost = True
        if self.transport is not None:
            self.transport.close()

    def expire(self) -> None:
        """The response did not come in time: TimeoutError, and the connection closes."""
        self._fail(TimeoutError())

    def dropped(self) -> bool:
        """Whether an idle connection has something to read: the server's close (or
        bytes nobody asked for), which the event loop has not delivered yet."""
        poller = select.poll()
        try:
            poller.register(self._fd, select.POLLIN)
            return bool(poller.poll(0))
        except (OSError, ValueError):
            return True

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("socket")
        if sock is not None:
            self._fd = sock.fileno()
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        if self._waiter is None or self._waiter.done():
            # Bytes nobody asked for: the connection's state is unknown.
            self.close()
            return
        self._received = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            # A callback's own exception arrives wrapped, as the error's context.
            refused = error.__context__
            if isinstance(refused, _Refused):
                self._fail(refused.error)
            else:
                self._fail(InvalidResponse(f"invalid HTTP response ({error})"))

    def eof_received(self) -> bool:
        self.lost = True
        if self._until_eof and self._waiter is not None and not self._waiter.done():
            self.on_message_complete()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self._until_eof and exc is None:
            self.eof_received()
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(Disconnected())

    # httptools callbacks

    def on_message_begin(self) -> None:
        if self._waiter is None or self._waiter.done():
            raise _Refused(InvalidResponse("more than one response to one request"))

    def on_status(self, status: bytes) -> None:
        self._reason += status

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        parser = self._parser
        self._status = status = parser.get_status_code()
        length = None
        chunked = False
        for name, value in self._headers:
            lowered = name.lower()
            if lowered == "content-length":
                length = value
            elif lowered == "transfer-encoding":
                chunked = "chunked" in value.lower()
            elif lowered == "content-encoding":
                self._decoder = decoder_for(value)
        if length is not None:
            if (
                self._decoder is None
                and length.isdigit()
                and int(length) > self._max_body
            ):
                raise _Refused(BodyTooLarge(status))
        elif not chunked and status >= 200 and status not in (204, 304):
            self._until_eof = True

    def on_body(self, body: bytes) -> None:
        decoder = self._decoder
        if decoder is not None:
            try:
                body = decoder.decompress(body, self._max_body - self._size + 1)
            except InvalidCoding as error:
                raise _Refused(InvalidResponse(str(error))) from None
        self._size += len(body)
        if self._size > self._max_body:
            raise _Refused(BodyTooLarge(self._status, decoder is not None))
        self._chunks.append(body)

    def on_message_complete(self) -> None:
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        if self._status < 200:
            # An interim answer (100 Continue, 103 Early Hints): the real one follows.
            self._reason.clear()
            self._headers = []
            return
        if self._decoder is not None:
            tail = self._decoder.flush()
            self._size += len(tail)
            if self._size > self._max_body:
                self._fail(BodyTooLarge(self._status, True))
                return
            self._chunks.append(tail)
        self.keep_alive = (
            not self.lost and not self._until_eof and self._parser.should_keep_alive()
        )
        waiter.set_result(
            RawResponse(
                self._status,
                self._reason.decode("latin-1"),
                self._headers,
                self._chunks[0] if len(self._chunks) == 1 else b"".join(self._chunks),
            )
        )

    def _fail(self, error: Exception) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)
        self.close()


class _Refused(Exception):
    """Raised inside a parser callback to stop parsing with ``error``."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error
