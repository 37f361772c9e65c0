"""Where subgraphs call back: `POST <path>/<id>` on the router's own listener
(`router.server.app`) or, when `subscription.mode.callback.listen` names another
address, on a listener of its own (Apollo suggests one reachable only from the
internal network). One side listener per process, kept across reloads while its
address and path stay the same; the subscriptions it serves are the process's
(`router.subscriptions.callback.CALLBACKS`), whatever generation opened them.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from aiohttp import web

from router.side_listener import serve_aside
from router.subscriptions.callback import CALLBACKS, CallbackAnswer

if TYPE_CHECKING:
    from router.config.model import RouterConfig

__all__ = [
    "answer_callback",
    "callback_id",
    "configure_callback_server",
    "side_callback_listen",
]

logger = logging.getLogger(__name__)


def callback_id(config: RouterConfig, path: str, *, own_listener: bool) -> str | None:
    """The subscription id when `path` is `<callback path>/<id>` of the endpoint
    served on the router's own listener (`own_listener`) or on the side one."""
    subscription = config.subscription
    callback = subscription.mode.callback
    if not subscription.enabled or callback is None:
        return None
    if own_listener and side_callback_listen(config) is not None:
        return None
    prefix = callback.path.rstrip("/") + "/"
    if not path.startswith(prefix) or path == config.supergraph.path:
        return None
    identifier = path[len(prefix) :]
    return identifier if identifier and "/" not in identifier else None


def side_callback_listen(config: RouterConfig) -> str | None:
    """The address of the callback endpoint's own listener (None: it is served on the
    router's, as by default)."""
    subscription = config.subscription
    callback = subscription.mode.callback
    if not subscription.enabled or callback is None or callback.listen is None:
        return None
    return None if callback.listen == config.supergraph.listen else callback.listen


def answer_callback(method: str, identifier: str, body: bytes) -> CallbackAnswer:
    return CALLBACKS.answer(method, identifier, body)


class _CallbackServer:
    def __init__(self, listen: str, config: RouterConfig) -> None:
        self.listen = listen
        self.config = config
        self._runner: web.AppRunner | None = None

    @property
    def path(self) -> str:
        callback = self.config.subscription.mode.callback
        return "" if callback is None else callback.path

    async def start(self) -> None:
        app = web.Application(client_max_size=self.config.limits.http_max_request_bytes)
        app.router.add_route("*", "/{tail:.*}", self._answer)
        self._runner, origin = await serve_aside(app, self.listen)
        logger.info("Subscription callbacks served at %s%s/<id>", origin, self.path)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _answer(self, request: web.Request) -> web.Response:
        identifier = callback_id(self.config, request.path, own_listener=False)
        if identifier is None:
            return web.Response(status=404)
        body = await request.read() if request.method == "POST" else b""
        answer = answer_callback(request.method, identifier, body)
        return web.Response(
            status=answer.status,
            body=answer.body or None,
            content_type="application/json" if answer.body else None,
            headers=dict(answer.headers),
        )


_current: _CallbackServer | None = None
_lock = asyncio.Lock()


async def configure_callback_server(config: RouterConfig) -> None:
    """Makes the process's side callback listener match `config` (none when the
    endpoint is on the router's own listener, or callback mode is off)."""
    global _current
    listen = side_callback_listen(config)
    async with _lock:
        if _current is not None and _current.listen == listen:
            _current.config = config
            return
        if _current is not None:
            await _current.stop()
            _current = None
        if listen is None:
            return
        server = _CallbackServer(listen, config)
        try:
            await server.start()
        except (OSError, ValueError) as exc:
            logger.error(
                "subscription.mode.callback.listen: cannot listen on %s: %s; "
                "subgraphs in callback mode cannot reach this router",
                listen,
                exc,
            )
            return
        _current = server
