"""One subscription to a subgraph over WebSocket, shared by every listener of it.

The router speaks the client side of either subprotocol Apollo Router speaks:
`graphql-transport-ws` (the graphql-ws library's: connection_init/ack, subscribe, next,
error, complete, ping/pong; https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md)
or the legacy `graphql-ws` of subscriptions-transport-ws (start, data, error, complete,
stop, ka). One connection carries one subscription, as in Apollo Router.

Each `next` payload goes to every listener at once (`Listener.deliver` never waits).
The subscription ends when the subgraph completes it (listeners end without errors),
refuses it (its errors), or the connection fails or closes first (a coded error naming
the subgraph) and `reconnect_attempts` new connections fail too (Apollo's
`max_reconnect_attempts`: the listeners stay, events resume on the new connection);
when the last listener leaves, the router completes it on the subgraph and closes the
connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp
import orjson

from router.config.subscription import WsProtocol
from router.execution.subgraph_errors import root_errors
from router.subscriptions.codes import (
    SUBSCRIPTION_SUBGRAPH_CLOSED,
    SUBSCRIPTION_SUBGRAPH_UNREACHABLE,
    WEBSOCKET_MESSAGE_ERROR,
)
from router.subscriptions.listener import Listener

if TYPE_CHECKING:
    from router.telemetry.metrics import RouterMetrics

__all__ = ["SUBPROTOCOLS", "Upstream", "UpstreamKey", "UpstreamTarget"]

logger = logging.getLogger(__name__)

SUBPROTOCOLS: dict[WsProtocol, str] = {
    "graphql_transport_ws": "graphql-transport-ws",
    "graphql_ws": "graphql-ws",
}
_ID = "1"  # one subscription per connection


@dataclass(frozen=True, slots=True)
class UpstreamKey:
    """What makes two subscriptions the same one (deduplication): the subgraph, the
    operation sent, its variables and the headers sent with it."""

    subgraph: str
    operation: str
    operation_name: str | None
    variables: bytes  # canonical JSON (sorted keys)
    headers: tuple[tuple[str, str], ...]  # without per-request ones (request id...)
    # What the connection opens with: the first client's headers, all of them.
    sent_headers: dict[str, str] = field(compare=False, hash=False)


@dataclass(frozen=True, slots=True)
class UpstreamTarget:
    """Where and how to reach the subgraph: its WebSocket URL, subprotocol, ping
    interval (None: no pings) and the deadline of the connection handshake."""

    url: str
    protocol: WsProtocol
    heartbeat: float | None
    connect_timeout: float
    # A dropped or unreachable connection is tried again this many times (after
    # `reconnect_delay` seconds each), the listeners waiting meanwhile.
    reconnect_attempts: int = 0
    reconnect_delay: float = 1.0


class Upstream:
    """The subgraph subscription of `key`, running from `start()` until it ends or its
    last listener leaves; `on_done` is called once, when it is over."""

    def __init__(
        self,
        key: UpstreamKey,
        target: UpstreamTarget,
        session: aiohttp.ClientSession,
        on_done: Callable[[Upstream], None],
    ) -> None:
        self.key = key
        self.target = target
        self._session = session
        self._on_done = on_done
        self.listeners: set[Listener] = set()
        self._task: asyncio.Task[None] | None = None
        self._established = False  # the current connection got as far as subscribing
        self.over = False
        self.metrics: RouterMetrics | None = None  # its gauge, when exported

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def add(self, listener: Listener) -> None:
        self.listeners.add(listener)

    def remove(self, listener: Listener) -> None:
        """`listener` leaves; the last one to leave ends the subgraph subscription."""
        self.listeners.discard(listener)
        if not self.listeners and self._task is not None and not self._task.done():
            self.over = True  # ending: a new listener needs a new upstream
            self._task.cancel()

    async def _run(self) -> None:
        errors: tuple[dict[str, Any], ...] = ()
        target = self.target
        attempts = 0
        try:
            while True:
                errors = await self._subscribe()
                if self._established:
                    attempts = 0  # a new drop earns a new set of attempts
                if not _reconnectable(errors) or attempts >= target.reconnect_attempts:
                    break
                attempts += 1
                logger.info(
                    "subscription to %s dropped; reconnecting (attempt %d of %d)",
                    self.key.subgraph,
                    attempts,
                    target.reconnect_attempts,
                )
                await asyncio.sleep(target.reconnect_delay)
        except asyncio.CancelledError:
            pass  # the last listener left; the connection is closed
        except Exception:
            logger.exception("subscription to %s failed", self.key.subgraph)
            errors = (self._error(SUBSCRIPTION_SUBGRAPH_CLOSED, "failed"),)
        finally:
            self.over = True
            for listener in list(self.listeners):
                listener.end(errors)
            self.listeners.clear()
            self._on_done(self)

    async def _subscribe(self) -> tuple[dict[str, Any], ...]:
        """Runs the subscription; the errors it ended with (none: completed)."""
        self._established = False
        target = self.target
        legacy = target.protocol == "graphql_ws"
        try:
            ws = await asyncio.wait_for(
                self._session.ws_connect(
                    target.url,
                    protocols=(SUBPROTOCOLS[target.protocol],),
                    headers=self.key.sent_headers,
                    autoping=True,
                    max_msg_size=0,
                ),
                target.connect_timeout,
            )
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            return (
                self._error(
                    SUBSCRIPTION_SUBGRAPH_UNREACHABLE, f"cannot be reached ({error})"
                ),
            )
        pinger: asyncio.Task[None] | None = None
        try:
            await _send(ws, {"type": "connection_init"})
            try:
                acked = await asyncio.wait_for(
                    self._acknowledged(ws), target.connect_timeout
                )
            except TimeoutError:
                acked = False
            if not acked:
                return (
                    self._error(
                        SUBSCRIPTION_SUBGRAPH_UNREACHABLE,
                        "did not acknowledge connection_init",
                    ),
                )
            payload: dict[str, Any] = {"query": self.key.operation}
            variables = orjson.loads(self.key.variables)
            if variables:
                payload["variables"] = variables
            if self.key.operation_name is not None:
                payload["operationName"] = self.key.operation_name
            start = "start" if legacy else "subscribe"
            await _send(ws, {"id": _ID, "type": start, "payload": payload})
            self._established = True
            if target.heartbeat is not None and not legacy:
                pinger = asyncio.get_running_loop().create_task(
                    _ping(ws, target.heartbeat)
                )
            return await self._relay(ws, legacy)
        finally:
            if pinger is not None:
                pinger.cancel()
            if not ws.closed:
                with contextlib.suppress(Exception):
                    # Cancelled or not, the subgraph learns the subscription is over.
                    stop = "stop" if legacy else "complete"
                    await asyncio.shield(_close(ws, stop))

    async def _acknowledged(self, ws: aiohttp.ClientWebSocketResponse) -> bool:
        async for message in ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                return False
            kind = _json(message.data).get("type")
            if kind == "connection_ack":
                return True
            if kind == "ping":
                await _send(ws, {"type": "pong"})
            elif kind != "ka":
                return False
        return False

    async def _relay(
        self, ws: aiohttp.ClientWebSocketResponse, legacy: bool
    ) -> tuple[dict[str, Any], ...]:
        next_type = "data" if legacy else "next"
        async for message in ws:
            if message.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                break
            data = _json(message.data)
            kind = data.get("type")
            if kind == next_type and data.get("id") == _ID:
                event = data.get("payload")
                if not isinstance(event, dict):
                    return (
                        self._error(WEBSOCKET_MESSAGE_ERROR, "sent a malformed event"),
                    )
                for listener in list(self.listeners):
                    listener.deliver(event)
            elif kind == "ping":
                await _send(ws, {"type": "pong"})
            elif kind == "complete" and data.get("id") == _ID:
                return ()
            elif kind == "error" and data.get("id") == _ID:
                raw = data.get("payload")
                errors = root_errors(
                    raw if isinstance(raw, list) else [raw], self.key.subgraph, []
                )
                return tuple(errors)
            elif kind in ("pong", "ka", "connection_ack"):
                continue
            else:
                return (
                    self._error(
                        WEBSOCKET_MESSAGE_ERROR, f"sent an unexpected message {kind!r}"
                    ),
                )
        return (self._error(SUBSCRIPTION_SUBGRAPH_CLOSED, "closed the connection"),)

    def _error(self, code: str, what: str) -> dict[str, Any]:
        subgraph = self.key.subgraph
        return {
            "message": f"The subscription to subgraph '{subgraph}' ended: it {what}.",
            "extensions": {"code": code, "serviceName": subgraph},
        }


def _reconnectable(errors: tuple[dict[str, Any], ...]) -> bool:
    """A connection that dropped or could not open (not a completion, nor the
    subgraph's refusal)."""
    return any(
        error.get("extensions", {}).get("code")
        in (SUBSCRIPTION_SUBGRAPH_CLOSED, SUBSCRIPTION_SUBGRAPH_UNREACHABLE)
        for error in errors
    )


def _json(raw: str | bytes) -> Mapping[str, Any]:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


async def _send(ws: aiohttp.ClientWebSocketResponse, message: dict[str, Any]) -> None:
    """A text frame, as both subprotocols require."""
    await ws.send_str(orjson.dumps(message).decode())


async def _ping(ws: aiohttp.ClientWebSocketResponse, interval: float) -> None:
    while not ws.closed:
        await asyncio.sleep(interval)
        await _send(ws, {"type": "ping"})


async def _close(ws: aiohttp.ClientWebSocketResponse, stop: str) -> None:
    await _send(ws, {"id": _ID, "type": stop})
    await asyncio.wait_for(ws.close(), 2.0)
