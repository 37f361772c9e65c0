"""Subscriptions over HTTP: Server-Sent Events and Apollo's multipart subscriptions.

A request to the GraphQL endpoint whose Accept asks for `text/event-stream` (graphql-sse's
distinct-connections mode, https://github.com/enisdenjo/graphql-sse/blob/master/PROTOCOL.md)
or `multipart/mixed;subscriptionSpec="1.0"` (Apollo's,
https://www.apollographql.com/docs/graphos/routing/operations/subscriptions/multipart-protocol)
runs through the same stages as any request (`Pipeline.subscribe`); a subscription that
opens is then written here as a stream, outside the router stage's deadline:

- SSE: `event: next` with each event's body as `data`, then `event: complete`; a
  comment line (`:`) when nothing was sent for the heartbeat interval. A query or
  mutation is one `next` and `complete`.
- multipart: parts of `content-type: application/json` under boundary `graphql`, each
  event as `{"payload": <body>}`, a heartbeat `{}` when nothing was sent for the
  heartbeat interval, an ending in error as `{"payload": null, "errors": [...]}`, then
  the closing boundary.

The client's leaving ends its subscription (and the subgraph's, with the last client).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable, MutableMapping
from typing import Any, Literal

import orjson

__all__ = [
    "HEARTBEAT_SECONDS",
    "SUBSCRIPTION_STREAM",
    "StreamKind",
    "stream_kind",
    "write_single",
    "write_stream",
]

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
StreamKind = Literal["sse", "multipart"]

HEARTBEAT_SECONDS = 5.0  # Apollo Router's multipart heartbeat
# Set in the ASGI scope of a request answered by a subscription stream, so the HTTP
# protocol ends it on a graceful shutdown (router.server.http_protocol).
SUBSCRIPTION_STREAM = "router.subscription_stream"
_BOUNDARY = b"\r\n--graphql\r\ncontent-type: application/json\r\n\r\n"
_END = b"\r\n--graphql--\r\n"
_CONTENT_TYPES: dict[StreamKind, str] = {
    "sse": "text/event-stream; charset=utf-8",
    "multipart": 'multipart/mixed;boundary="graphql";subscriptionSpec="1.0"',
}


def stream_kind(accept: str | None) -> StreamKind | None:
    """Which streaming format the Accept header asks for, if any (SSE first)."""
    if not accept:
        return None
    lowered = accept.lower()
    if "text/event-stream" in lowered:
        return "sse"
    if "multipart/mixed" in lowered and "subscriptionspec" in lowered:
        return "multipart"
    return None


async def write_stream(
    kind: StreamKind,
    events: AsyncGenerator[dict[str, Any], None],
    headers: list[tuple[str, str]],
    receive: Receive,
    send: Send,
    heartbeat: float = HEARTBEAT_SECONDS,
) -> None:
    """Writes `events` as a `kind` stream until they end or the client leaves."""
    raw_headers = [
        (b"content-type", _CONTENT_TYPES[kind].encode()),
        (b"cache-control", b"no-cache"),
        *((n.encode("latin-1"), v.encode("latin-1")) for n, v in headers),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": raw_headers})
    pump = asyncio.ensure_future(_pump(kind, events, send, heartbeat))
    gone = asyncio.ensure_future(_disconnected(receive))
    try:
        await asyncio.wait({pump, gone}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (pump, gone):
            task.cancel()
        await asyncio.gather(pump, gone, return_exceptions=True)
        await events.aclose()
    if pump.done() and not pump.cancelled() and pump.exception() is None:
        with contextlib.suppress(Exception):
            await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _pump(
    kind: StreamKind,
    events: AsyncGenerator[dict[str, Any], None],
    send: Send,
    heartbeat: float,
) -> None:
    async def chunk(data: bytes) -> None:
        await send({"type": "http.response.body", "body": data, "more_body": True})

    if kind == "multipart":
        await chunk(_BOUNDARY + b"{}")  # headers out at once: the client knows it works
    # The next event is awaited in a task of its own, so a heartbeat never cancels it.
    waiting: asyncio.Task[dict[str, Any]] | None = None
    try:
        while True:
            if waiting is None:
                waiting = asyncio.ensure_future(_next(events))
            done, _ = await asyncio.wait({waiting}, timeout=heartbeat)
            if not done:
                # Keeps proxies from timing the stream out, and finds a client that
                # left without closing (the write fails).
                await chunk(_BOUNDARY + b"{}" if kind == "multipart" else b":\n\n")
                continue
            try:
                body = await waiting
            except StopAsyncIteration:
                break
            waiting = None
            if kind == "sse":
                await chunk(b"event: next\ndata: " + orjson.dumps(body) + b"\n\n")
            elif "data" in body:
                await chunk(_BOUNDARY + orjson.dumps({"payload": body}))
            else:  # the subscription ended in error
                errors = body.get("errors", [])
                await chunk(
                    _BOUNDARY + orjson.dumps({"payload": None, "errors": errors})
                )
        await chunk(b"event: complete\ndata:\n\n" if kind == "sse" else _END)
    finally:
        if waiting is not None:
            waiting.cancel()
            await asyncio.gather(waiting, return_exceptions=True)


async def _next(events: AsyncGenerator[dict[str, Any], None]) -> dict[str, Any]:
    return await events.__anext__()


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def write_single(
    kind: StreamKind, body: dict[str, Any], headers: list[tuple[str, str]], send: Send
) -> None:
    """One answer (a query or mutation) in the stream format the client asked for."""
    if kind == "sse":
        data = (
            b"event: next\ndata: "
            + orjson.dumps(body)
            + b"\n\nevent: complete\ndata:\n\n"
        )
    else:
        data = _BOUNDARY + orjson.dumps({"payload": body}) + _END
    raw_headers = [
        (b"content-type", _CONTENT_TYPES[kind].encode()),
        (b"content-length", str(len(data)).encode()),
        *((n.encode("latin-1"), v.encode("latin-1")) for n, v in headers),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": raw_headers})
    await send({"type": "http.response.body", "body": data})
