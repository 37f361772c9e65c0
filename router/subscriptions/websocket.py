"""GraphQL over WebSocket for clients: the server side of `graphql-transport-ws`.

https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md, at the GraphQL
endpoint's path. `connection_init` must come within 10 s (else close 4408); its payload
is read as request headers (`{"headers": {...}}` or flat string entries, e.g.
`{"Authorization": "Bearer ..."}`), over those of the upgrade request, and goes through
the router stage's plugins (authentication, rate limits) once: a refusal closes the
socket with 4403 and a reason that starts with the refusal's error code. Each
`subscribe` then runs as one request would: the router stage again (rate limits count
each operation), then the pipeline (operation limits, authorization, planning). A
subscription's events go out as `next`, its end as `complete` (after a last `next`
holding only `errors` when it ended in error); a query or mutation is one `next` and
`complete`; a request refused before execution is one `error`. The client's `complete`
or its leaving ends its subscriptions, and with the last listener the subgraph's.

With `subscription.legacy_websocket: true` (ours), a client offering only `graphql-ws`
speaks subscriptions-transport-ws instead: `start`/`stop`, events as `data`, `ka`
keep-alives, `connection_error` before the 4403 close, one error object per `error`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, MutableMapping
from functools import partial
from typing import TYPE_CHECKING, Any

import orjson

from router.plugins.context import RequestContext
from router.plugins.plugin import HttpResponse
from router.server.errors import RequestFailure, graphql_error
from router.server.request import request_from_mapping
from router.subscriptions.codes import WEBSOCKET_MESSAGE_ERROR

if TYPE_CHECKING:
    from router.server.pipeline import Outcome
    from router.server.state import StateHolder

__all__ = ["LEGACY_SUBPROTOCOL", "SUBPROTOCOL", "serve_websocket"]

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

SUBPROTOCOL = "graphql-transport-ws"
LEGACY_SUBPROTOCOL = "graphql-ws"  # subscriptions-transport-ws
INIT_TIMEOUT = 10.0
LEGACY_KEEP_ALIVE = 15.0  # seconds between `ka` messages of the legacy protocol


class _Closed(Exception):
    """The socket is closed (by us or by the client)."""


class _Connection:
    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.scope = scope
        self.receive = receive
        self._send = send
        self._lock = asyncio.Lock()
        self.closed = False
        self.headers: dict[str, str] = {}
        self.acknowledged = False
        self.operations: dict[str, asyncio.Task[None]] = {}
        self.legacy = False  # subscriptions-transport-ws: start/data/stop, no ping

    @property
    def next_type(self) -> str:
        return "data" if self.legacy else "next"

    async def send(self, message: dict[str, Any]) -> None:
        async with self._lock:
            if self.closed:
                raise _Closed
            await self._send(
                {"type": "websocket.send", "text": orjson.dumps(message).decode()}
            )

    async def close(self, code: int, reason: str) -> None:
        async with self._lock:
            if self.closed:
                return
            self.closed = True
            # A close reason is at most 123 bytes.
            encoded = reason.encode()[:123].decode(errors="ignore")
            with contextlib.suppress(Exception):
                await self._send(
                    {"type": "websocket.close", "code": code, "reason": encoded}
                )

    def context(self) -> RequestContext:
        """A request context for one operation (or the init check): the upgrade
        request's headers under the connection_init payload's."""
        context = RequestContext.from_scope(self.scope)
        context.method = "POST"
        context.headers.update(self.headers)
        context.headers.setdefault("content-type", "application/json")
        extra = tuple(self.headers.items())
        context.header_values = (
            *(pair for pair in context.header_values if pair[0] not in self.headers),
            *extra,
        )
        return context


async def serve_websocket(
    scope: Scope,
    receive: Receive,
    send: Send,
    holder: StateHolder,
    legacy: bool = False,
) -> None:
    """Serves one WebSocket connection on the GraphQL path until it closes; `legacy`
    also accepts subscriptions-transport-ws (`graphql-ws`) when the client offers
    only that."""
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    offered = scope.get("subprotocols", ())
    if SUBPROTOCOL in offered:
        chosen = SUBPROTOCOL
    elif LEGACY_SUBPROTOCOL in offered and legacy:
        chosen = LEGACY_SUBPROTOCOL
    else:
        await send({"type": "websocket.close", "code": 4406})
        return
    await send({"type": "websocket.accept", "subprotocol": chosen})
    connection = _Connection(scope, receive, send)
    connection.legacy = chosen == LEGACY_SUBPROTOCOL
    keep_alive = None
    if connection.legacy:
        keep_alive = asyncio.get_running_loop().create_task(_keep_alive(connection))
    try:
        await _serve(connection, holder)
    except _Closed:
        pass
    finally:
        if keep_alive is not None:
            keep_alive.cancel()
        for task in connection.operations.values():
            task.cancel()
        if connection.operations:
            await asyncio.gather(
                *connection.operations.values(), return_exceptions=True
            )


async def _serve(connection: _Connection, holder: StateHolder) -> None:
    try:
        first = await asyncio.wait_for(_next_message(connection), INIT_TIMEOUT)
    except TimeoutError:
        await connection.close(4408, "Connection initialisation timeout")
        return
    if first is None:
        return
    if first.get("type") != "connection_init":
        await connection.close(4401, "Unauthorized")
        return
    if not await _initialise(connection, holder, first.get("payload")):
        return
    while True:
        message = await _next_message(connection)
        if message is None:
            return
        kind = message.get("type")
        if connection.legacy:
            kind = _LEGACY_CLIENT_TYPES.get(str(kind), kind)
        if kind == "connection_terminate":
            await connection.close(1000, "Normal Closure")
            return
        if kind == "ping":
            await connection.send({"type": "pong"})
        elif kind == "pong":
            continue
        elif kind == "connection_init":
            await connection.close(4429, "Too many initialisation requests")
            return
        elif kind == "subscribe":
            identifier = message.get("id")
            if not isinstance(identifier, str) or not identifier:
                await connection.close(4400, "Invalid message: subscribe needs an id")
                return
            if identifier in connection.operations:
                await connection.close(
                    4409, f"Subscriber for {identifier[:80]} already exists"
                )
                return
            task = asyncio.get_running_loop().create_task(
                _operation(connection, holder, identifier, message.get("payload"))
            )
            connection.operations[identifier] = task
            task.add_done_callback(partial(_forget, connection, identifier))
        elif kind == "complete":
            running = connection.operations.get(str(message.get("id")))
            if running is not None:
                running.cancel()
        else:
            await connection.close(
                4400, f"{WEBSOCKET_MESSAGE_ERROR}: unexpected message {str(kind)[:40]}"
            )
            return


# subscriptions-transport-ws's client messages, by their graphql-transport-ws names.
_LEGACY_CLIENT_TYPES = {"start": "subscribe", "stop": "complete"}


async def _keep_alive(connection: _Connection) -> None:
    """The legacy protocol's `ka`, once acknowledged, then every LEGACY_KEEP_ALIVE s."""
    with contextlib.suppress(_Closed):
        while True:
            if connection.acknowledged:
                await connection.send({"type": "ka"})
            await asyncio.sleep(LEGACY_KEEP_ALIVE if connection.acknowledged else 0.05)


def _forget(connection: _Connection, key: str, task: asyncio.Task[None]) -> None:
    if connection.operations.get(key) is task:
        del connection.operations[key]


async def _next_message(connection: _Connection) -> dict[str, Any] | None:
    """The next JSON message; None once the client left (or after closing on a
    message that is not one)."""
    while True:
        message = await connection.receive()
        kind = message["type"]
        if kind == "websocket.disconnect":
            connection.closed = True
            return None
        if kind != "websocket.receive":
            continue
        raw = message.get("text")
        if raw is None:
            raw = message.get("bytes") or b""
        try:
            decoded = orjson.loads(raw)
        except orjson.JSONDecodeError:
            decoded = None
        if not isinstance(decoded, dict):
            await connection.close(4400, "Invalid message: not a JSON object")
            return None
        return decoded


async def _initialise(
    connection: _Connection, holder: StateHolder, payload: Any
) -> bool:
    """Runs the router stage's plugins on the init payload's headers; acks, or closes
    with 4403 and the refusal's code."""
    connection.headers = _payload_headers(payload)
    generation = holder.acquire()
    if generation is None:
        await connection.close(4503, "SERVICE_UNAVAILABLE: no supergraph loaded yet")
        return False
    try:

        async def accept(_: RequestContext) -> HttpResponse:
            return HttpResponse(200, [], b"")

        response = await generation.plugins.run_router(connection.context(), accept)
    finally:
        holder.release(generation)
    if response.status >= 400:
        errors = _errors_of(response.body)
        code = errors[0].get("extensions", {}).get("code", "FORBIDDEN")
        message = errors[0].get("message", "Forbidden")
        if connection.legacy:
            # The legacy protocol says why in a message before closing.
            await connection.send({"type": "connection_error", "payload": errors[0]})
        await connection.close(4403, f"{code}: {message}")
        return False
    connection.acknowledged = True
    await connection.send({"type": "connection_ack"})
    return True


def _payload_headers(payload: Any) -> dict[str, str]:
    if not isinstance(payload, dict):
        return {}
    nested = payload.get("headers")
    source = nested if isinstance(nested, dict) else payload
    return {
        str(name).lower(): value
        for name, value in source.items()
        if isinstance(value, str)
    }


def _errors_of(body: bytes) -> list[dict[str, Any]]:
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError:
        decoded = None
    errors = decoded.get("errors") if isinstance(decoded, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return errors
    return [graphql_error("FORBIDDEN", "Forbidden")]


async def _operation(
    connection: _Connection, holder: StateHolder, identifier: str, payload: Any
) -> None:
    """One `subscribe`: its result or its events, then `complete`."""
    generation = holder.acquire()
    events: AsyncGenerator[dict[str, Any], None] | None = None
    try:
        if generation is None:
            await _error(
                connection,
                identifier,
                [
                    graphql_error(
                        "SERVICE_UNAVAILABLE", "The router has no supergraph loaded yet"
                    )
                ],
            )
            return
        try:
            request = request_from_mapping(payload)
        except RequestFailure as failure:
            await _error(connection, identifier, failure.errors)
            return
        answer: list[Outcome | AsyncGenerator[dict[str, Any], None]] = []

        async def core(ctx: RequestContext) -> HttpResponse:
            answer.append(
                await generation.pipeline.subscribe(request, method="POST", context=ctx)
            )
            return HttpResponse(200, [], b"")

        response = await generation.plugins.run_router(connection.context(), core)
        if not answer:
            await _error(connection, identifier, _errors_of(response.body))
            return
        result = answer[0]
        if isinstance(result, AsyncGenerator):
            events = result
            async for body in events:
                await connection.send(
                    {"id": identifier, "type": connection.next_type, "payload": body}
                )
        elif "data" in result.body:
            await connection.send(
                {"id": identifier, "type": connection.next_type, "payload": result.body}
            )
        else:
            await _error(connection, identifier, result.body.get("errors", []))
            return
        await connection.send({"id": identifier, "type": "complete"})
    except (_Closed, asyncio.CancelledError):
        pass
    except Exception:
        logger.exception("WebSocket operation failed")
        with contextlib.suppress(_Closed):
            await _error(
                connection,
                identifier,
                [graphql_error("INTERNAL_SERVER_ERROR", "Internal server error")],
            )
    finally:
        if events is not None:
            with contextlib.suppress(Exception):
                await events.aclose()
        if generation is not None:
            holder.release(generation)


async def _error(
    connection: _Connection, identifier: str, errors: list[dict[str, Any]]
) -> None:
    # The legacy protocol's error payload is one error.
    payload: Any = (errors[0] if errors else {}) if connection.legacy else errors
    await connection.send({"id": identifier, "type": "error", "payload": payload})
