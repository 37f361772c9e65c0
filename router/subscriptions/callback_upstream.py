"""One subscription to a subgraph over Apollo's HTTP callback protocol, shared by every
listener of it (deduplication, as for a WebSocket: router.subscriptions.hub).

The router registers an id and its verifier (router.subscriptions.callback), then POSTs
the subscription to the subgraph's routing URL with `Accept:
application/json;callbackSpec=1.0` and `extensions.subscription = {callbackUrl,
subscriptionId, verifier, heartbeatIntervalMs}`. The subgraph `check`s the callback
URL before it answers `{"data": null}`; from then on its `next` messages go to every
listener (`Listener.deliver` never waits), its `complete` ends them (with its errors,
if any).

With heartbeats on (`heartbeatIntervalMs` > 0), a subscription that hears nothing from
its subgraph (no `check`, no `next`) for twice the interval ends with
SUBSCRIPTION_HEARTBEAT_MISSED: the subgraph is gone or cannot reach the router. When
the last listener leaves, the id is forgotten, so the subgraph's next message gets 404
and it stops (the protocol has no way for the router to call it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
import orjson

from router.execution.subgraph_errors import root_errors
from router.subscriptions.callback import CALLBACKS, CallbackRegistry
from router.subscriptions.codes import (
    SUBSCRIPTION_HEARTBEAT_MISSED,
    SUBSCRIPTION_SUBGRAPH_CLOSED,
    SUBSCRIPTION_SUBGRAPH_UNREACHABLE,
)

if TYPE_CHECKING:
    from router.subscriptions.listener import Listener
    from router.subscriptions.upstream import UpstreamKey
    from router.telemetry.metrics import RouterMetrics

__all__ = ["CALLBACK_ACCEPT", "CallbackTarget", "CallbackUpstream"]

logger = logging.getLogger(__name__)

CALLBACK_ACCEPT = "application/json;callbackSpec=1.0"


@dataclass(frozen=True, slots=True)
class CallbackTarget:
    """Where the subscription is sent (the subgraph's routing URL), where the subgraph
    calls back (`public_url`, the id appended), the heartbeat asked for (None: none)
    and the deadline of the subscription request."""

    url: str
    public_url: str
    heartbeat: float | None
    timeout: float


class CallbackUpstream:
    """The subgraph subscription of `key` in callback mode, from `start()` until the
    subgraph completes it, misses its heartbeat, or the last listener leaves;
    `on_done` is called once, when it is over."""

    def __init__(
        self,
        key: UpstreamKey,
        target: CallbackTarget,
        session: aiohttp.ClientSession,
        on_done: Callable[[CallbackUpstream], None],
        registry: CallbackRegistry = CALLBACKS,
    ) -> None:
        self.key = key
        self.target = target
        self._session = session
        self._on_done = on_done
        self._registry = registry
        self.listeners: set[Listener] = set()
        self._task: asyncio.Task[None] | None = None
        self._ended = asyncio.Event()
        self._end_errors: tuple[dict[str, Any], ...] = ()
        self._heard_at = 0.0  # loop time of the subgraph's last message
        self.over = False
        self.metrics: RouterMetrics | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def add(self, listener: Listener) -> None:
        self.listeners.add(listener)

    def remove(self, listener: Listener) -> None:
        """`listener` leaves; the last one to leave ends the subscription."""
        self.listeners.discard(listener)
        if not self.listeners and self._task is not None and not self._task.done():
            self.over = True
            self._task.cancel()

    # CallbackReceiver: what the callback endpoint hands over.

    def on_check(self) -> None:
        self._heard_at = asyncio.get_running_loop().time()

    def on_next(self, payload: dict[str, Any]) -> None:
        self._heard_at = asyncio.get_running_loop().time()
        if self._ended.is_set():
            return
        for listener in list(self.listeners):
            listener.deliver(payload)

    def on_complete(self, errors: list[Any] | None) -> None:
        if self._ended.is_set():
            return
        if errors:
            self._end_errors = tuple(root_errors(errors, self.key.subgraph, []))
        self._ended.set()

    async def _run(self) -> None:
        identifier, verifier = self._registry.open(self)
        errors: tuple[dict[str, Any], ...] = ()
        try:
            self._heard_at = asyncio.get_running_loop().time()
            refused = await self._subscribe(identifier, verifier)
            errors = refused if refused is not None else await self._until_the_end()
        except asyncio.CancelledError:
            pass  # the last listener left
        except Exception:
            logger.exception("callback subscription to %s failed", self.key.subgraph)
            errors = (self._error(SUBSCRIPTION_SUBGRAPH_CLOSED, "failed"),)
        finally:
            self._registry.close(identifier)
            self.over = True
            for listener in list(self.listeners):
                listener.end(errors)
            self.listeners.clear()
            self._on_done(self)

    async def _subscribe(
        self, identifier: str, verifier: str
    ) -> tuple[dict[str, Any], ...] | None:
        """Sends the subscription; None once the subgraph accepted it, else the
        errors it ends with."""
        target = self.target
        body: dict[str, Any] = {"query": self.key.operation}
        variables = orjson.loads(self.key.variables)
        if variables:
            body["variables"] = variables
        if self.key.operation_name is not None:
            body["operationName"] = self.key.operation_name
        heartbeat_ms = 0 if target.heartbeat is None else round(target.heartbeat * 1000)
        body["extensions"] = {
            "subscription": {
                "callbackUrl": f"{target.public_url}/{identifier}",
                "subscriptionId": identifier,
                "verifier": verifier,
                "heartbeatIntervalMs": heartbeat_ms,
            }
        }
        headers = {
            **self.key.sent_headers,
            "content-type": "application/json",
            "accept": CALLBACK_ACCEPT,
        }
        try:
            async with self._session.post(
                target.url,
                data=orjson.dumps(body),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=target.timeout),
            ) as response:
                status = response.status
                raw = await response.read()
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            return (
                self._error(
                    SUBSCRIPTION_SUBGRAPH_UNREACHABLE, f"cannot be reached ({error})"
                ),
            )
        try:
            answer = orjson.loads(raw)
        except orjson.JSONDecodeError:
            answer = None
        if isinstance(answer, dict) and answer.get("errors"):
            return tuple(root_errors(answer["errors"], self.key.subgraph, []))
        if not 200 <= status < 300 or not isinstance(answer, dict):
            return (
                self._error(
                    SUBSCRIPTION_SUBGRAPH_UNREACHABLE,
                    f"refused the callback subscription (HTTP {status})",
                ),
            )
        return None

    async def _until_the_end(self) -> tuple[dict[str, Any], ...]:
        """Waits for `complete`, or for a missed heartbeat."""
        heartbeat = self.target.heartbeat
        if heartbeat is None:
            await self._ended.wait()
            return self._end_errors
        loop = asyncio.get_running_loop()
        while True:
            remaining = self._heard_at + 2 * heartbeat - loop.time()
            if remaining <= 0:
                return (
                    self._error(
                        SUBSCRIPTION_HEARTBEAT_MISSED,
                        f"sent no heartbeat for {2 * heartbeat:g} s",
                    ),
                )
            try:
                await asyncio.wait_for(self._ended.wait(), remaining)
            except TimeoutError:
                continue
            return self._end_errors

    def _error(self, code: str, what: str) -> dict[str, Any]:
        subgraph = self.key.subgraph
        return {
            "message": f"The subscription to subgraph '{subgraph}' ended: it {what}.",
            "extensions": {"code": code, "serviceName": subgraph},
        }
