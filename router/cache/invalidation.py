"""The entity cache's invalidation endpoint: `POST <path>`, on a listener of its own or
on the router's (`router.server.app`, when `listen` is `supergraph.listen`).

`preview_entity_cache.invalidation.{listen, path}`, with Apollo Router's body
(https://www.apollographql.com/docs/router/configuration/entity-caching#invalidation):

```json
[{"kind": "subgraph", "subgraph": "products"},
 {"kind": "type", "subgraph": "products", "type": "Product"},
 {"kind": "entity", "subgraph": "products", "type": "Product", "key": {"upc": "1"}}]
```

The `Authorization` header must be the `invalidation.shared_key` of every subgraph the
body names (PORT_NOTE: Apollo accepts a key valid for any one of them). The answer is
HTTP 202 `{"count": <entries deleted>}`; refusals are coded errors. One server per
process, kept across reloads while its address stays the same, acting on the entity
cache of the generation currently serving. With the in-memory store and `--workers N`,
a request reaches one worker's cache only (use Redis to share entries).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import orjson
from aiohttp import web

from router.cache.codes import INVALIDATION_INVALID_REQUEST, INVALIDATION_UNAUTHORIZED
from router.cache.entity_cache import EntityCache, Invalidation
from router.plugins.plugin import error_body
from router.side_listener import serve_aside
from router.store.store import StoreUnavailable

__all__ = [
    "InvalidationError",
    "answer_invalidation",
    "configure_invalidation_server",
    "parse_invalidation",
]

logger = logging.getLogger(__name__)

CurrentCache = Callable[[], EntityCache | None]


_FIELDS = {
    "subgraph": ("kind", "subgraph"),
    "type": ("kind", "subgraph", "type"),
    "entity": ("kind", "subgraph", "type", "key"),
}


class InvalidationError(ValueError):
    """The body is not an invalidation request; the message says where."""


def parse_invalidation(body: bytes) -> list[Invalidation]:
    try:
        items = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidationError(f"the body is not JSON: {exc}") from exc
    if type(items) is not list or not items:
        raise InvalidationError("expected a non-empty JSON list of invalidations")
    parsed: list[Invalidation] = []
    for index, item in enumerate(items):
        where = f"[{index}]"
        if type(item) is not dict:
            raise InvalidationError(f"{where}: expected an object")
        kind = item.get("kind")
        fields = _FIELDS.get(kind) if type(kind) is str else None
        if fields is None:
            raise InvalidationError(
                f"{where}.kind: expected subgraph, type or entity (got {kind!r})"
            )
        unknown = sorted(set(item) - set(fields))
        if unknown:
            raise InvalidationError(f"{where}: unknown field {unknown[0]!r}")
        for name in fields[1:3]:
            if type(item.get(name)) is not str or not item[name]:
                raise InvalidationError(f"{where}.{name}: expected a non-empty string")
        key = item.get("key")
        if kind == "entity" and (type(key) is not dict or not key):
            raise InvalidationError(f"{where}.key: expected the key fields' values")
        parsed.append(Invalidation(item["subgraph"], item.get("type"), key))
    return parsed


class InvalidationServer:
    """An aiohttp server answering `POST path` for `current()`'s cache."""

    def __init__(self, listen: str, path: str, current: CurrentCache) -> None:
        self.listen = listen
        self.path = path
        self.current = current
        self._runner: web.AppRunner | None = None
        self.address: str | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", self.path, self._invalidate)
        self._runner, origin = await serve_aside(app, self.listen)
        self.address = origin + self.path
        logger.info("Entity cache invalidation served at %s", self.address)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _invalidate(self, request: web.Request) -> web.Response:
        status, body = await answer_invalidation(
            self.current(),
            request.method,
            request.headers.get("authorization"),
            await request.read() if request.method == "POST" else b"",
        )
        headers = {"allow": "POST"} if status == 405 else {}
        return web.Response(
            status=status, body=body, content_type="application/json", headers=headers
        )


async def answer_invalidation(
    cache: EntityCache | None, method: str, authorization: str | None, body: bytes
) -> tuple[int, bytes]:
    """The status and JSON body answering one request to the endpoint."""
    if method != "POST":
        return 405, b""
    if cache is None:
        return 503, _errors_json("The entity cache is not enabled")
    if authorization is None:
        return _unauthorized()
    try:
        items = parse_invalidation(body)
    except InvalidationError as exc:
        return 400, orjson.dumps(
            error_body(
                INVALIDATION_INVALID_REQUEST, f"Invalid invalidation request: {exc}"
            )
        )
    if not all(cache.may_invalidate(item.subgraph, authorization) for item in items):
        return _unauthorized()
    try:
        count = await cache.invalidate(items)
    except StoreUnavailable as exc:
        return 503, _errors_json(f"Redis unavailable: {exc}")
    logger.info(
        "entity cache: %d entries invalidated (%s)",
        count,
        ", ".join(_describe(item) for item in items),
    )
    return 202, orjson.dumps({"count": count})


def _describe(item: Invalidation) -> str:
    if item.type is None:
        return f"subgraph {item.subgraph}"
    if item.key is None:
        return f"type {item.subgraph}.{item.type}"
    return f"entity {item.subgraph}.{item.type}"


def _unauthorized() -> tuple[int, bytes]:
    return 401, orjson.dumps(
        error_body(INVALIDATION_UNAUTHORIZED, "Missing or invalid authorization header")
    )


def _errors_json(message: str) -> bytes:
    return orjson.dumps({"errors": [{"message": message}]})


_current: InvalidationServer | None = None
_lock = asyncio.Lock()


async def configure_invalidation_server(
    listen: str | None, path: str, current: CurrentCache
) -> None:
    """Makes the process's invalidation endpoint match the config (None: none)."""
    global _current
    async with _lock:
        if _current is not None and (_current.listen, _current.path) == (listen, path):
            _current.current = current
            return
        if _current is not None:
            await _current.stop()
            _current = None
        if listen is None:
            return
        server = InvalidationServer(listen, path, current)
        try:
            await server.start()
        except (OSError, ValueError) as exc:
            logger.error(
                "preview_entity_cache.invalidation.listen: cannot listen on %s: %s; "
                "serving without the invalidation endpoint",
                listen,
                exc,
            )
            return
        _current = server
