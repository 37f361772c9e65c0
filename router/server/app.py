"""The router's ASGI application: GraphQL over HTTP at `supergraph.path`, health checks.

HTTP only: method and path routing, Accept negotiation, body limits, status codes by
response media type (https://graphql.github.io/graphql-over-http/draft/). Each request
runs on the generation current when it started (`router.server.state`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

import orjson

from router.config import RouterConfig
from router.explorer import ExplorerAnswer, answer_explorer
from router.explorer.schema import api_schema_sdl
from router.plugins.chain import EMPTY_CHAIN
from router.plugins.context import RequestContext
from router.plugins.plugin import HttpResponse, error_codes_of
from router.server.errors import (
    BATCH_LIMIT_EXCEEDED,
    BATCHING_NOT_ENABLED,
    INTERNAL_SERVER_ERROR,
    INVALID_CONTENT_TYPE_HEADER,
    INVALID_GRAPHQL_REQUEST,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    SERVICE_UNAVAILABLE,
    RequestFailure,
    graphql_error,
)
from router.server.logs import configure_logging
from router.server.multipart import (
    MULTIPART_DEFER_CONTENT_TYPE,
    accepts_multipart_defer,
    first_part,
    later_parts,
)
from router.server.pipeline import Outcome
from router.server.reload import Reloader
from router.server.request import (
    GraphQLRequest,
    MediaType,
    check_content_type,
    decode_get,
    decode_post_body,
    negotiate,
    request_from_mapping,
)
from router.server.settings import ServeSettings
from router.server.source import SourceError, read_config
from router.server.state import Generation, StateHolder
from router.subscriptions.callback_server import callback_id
from router.subscriptions.http_stream import (
    SUBSCRIPTION_STREAM,
    StreamKind,
    stream_kind,
    write_single,
    write_stream,
)

__all__ = ["RouterApp", "app_from_environment"]

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_GRAPHQL_METHODS = "GET, POST"
# A refused body up to this size is read to its end before the 413 goes out.
_DRAIN_LIMIT = 64 * 1024 * 1024


class RouterApp:
    """ASGI app; the lifespan starts the reloader, which loads the first generation."""

    def __init__(self, settings: ServeSettings, initial: RouterConfig) -> None:
        self.settings = settings
        self.holder = StateHolder()
        self._initial = initial
        self._reloader: asyncio.Task[None] | None = None

    @property
    def config(self) -> RouterConfig:
        current = self.holder.current
        return current.config if current is not None else self._initial

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        elif scope["type"] == "http":
            try:
                await self._http(scope, receive, send)
            except _ClientGone:
                pass
            except Exception:
                logger.exception("unexpected failure in the HTTP layer")
                body = {
                    "data": None,
                    "errors": [
                        graphql_error(INTERNAL_SERVER_ERROR, "Internal server error")
                    ],
                }
                # Fails when the response had started; then there is nothing more to say.
                with contextlib.suppress(Exception):
                    await _send_json(send, 200, body)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """GraphQL over WebSocket at the GraphQL path (router.subscriptions); any
        other path is refused before the handshake."""
        if scope["path"] != self.config.supergraph.path:
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1008})
            return
        from router.subscriptions.websocket import serve_websocket

        legacy = self.config.subscription.legacy_websocket
        await serve_websocket(scope, receive, send, self.holder, legacy)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                reloader = Reloader(self.settings, self.holder)
                self._reloader = asyncio.get_running_loop().create_task(reloader.run())
                # uvicorn accepts connections once startup completes: a worker takes
                # no request before its first load has been tried.
                await reloader.first_attempt_done.wait()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._reloader is not None:
                    self._reloader.cancel()
                await self.holder.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        config = self.config
        path: str = scope["path"]
        on_health_listener = self._on_health_listener(scope)
        health = config.health_check
        if (
            health.enabled
            and path == health.path
            and (on_health_listener or self.settings.health_port is None)
        ):
            await self._health(scope, send)
        elif on_health_listener:
            await _send_failure(
                send,
                RequestFailure.of(NOT_FOUND, f"Not found: {path[:200]}", 404),
                MediaType.JSON,
            )
        elif path == config.supergraph.path and scope["method"] == "POST":
            await self._graphql(scope, receive, send, config)  # the hot path first
        elif _serves_invalidation(config, path):
            await self._invalidation(scope, receive, send, config)
        elif (callback := callback_id(config, path, own_listener=True)) is not None:
            await self._callback(callback, scope, receive, send, config)
        elif (explorer := self._explorer(scope, path, config)) is not None:
            await _send_bytes(
                send, explorer.status, explorer.body, None, explorer.headers
            )
        elif path == config.supergraph.path:
            await self._graphql(scope, receive, send, config)
        else:
            await _send_failure(
                send,
                RequestFailure.of(NOT_FOUND, f"Not found: {path[:200]}", 404),
                MediaType.JSON,
            )

    def _explorer(
        self, scope: Scope, path: str, config: RouterConfig
    ) -> ExplorerAnswer | None:
        """The explorer's page or files (router.explorer), or None."""

        def schema_sdl() -> bytes | None:
            current = self.holder.current
            return (
                None if current is None else api_schema_sdl(current.source.supergraph)
            )

        headers: dict[str, str] = {}
        for name, value in scope.get("headers", ()):  # the first value, as in plugins
            headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
        return answer_explorer(
            scope["method"],
            path,
            scope.get("query_string", b""),
            headers,
            config,
            schema_sdl,
        )

    async def _invalidation(
        self, scope: Scope, receive: Receive, send: Send, config: RouterConfig
    ) -> None:
        """The entity cache's invalidation endpoint, when it shares this listener."""
        from router.cache.invalidation import answer_invalidation

        request = await _side_request(scope, receive, send, config)
        if request is None:
            return
        headers, method, body = request
        current = self.holder.current
        status, answer = await answer_invalidation(
            None if current is None else current.entity_cache,
            method,
            headers.get("authorization"),
            body,
        )
        extra = (("allow", "POST"),) if status == 405 else ()
        await _send_bytes(send, status, answer, b"application/json", extra)

    async def _callback(
        self,
        identifier: str,
        scope: Scope,
        receive: Receive,
        send: Send,
        config: RouterConfig,
    ) -> None:
        """A subgraph's subscription callback, when it shares this listener."""
        from router.subscriptions.callback_server import answer_callback

        request = await _side_request(scope, receive, send, config)
        if request is None:
            return
        _, method, body = request
        answer = answer_callback(method, identifier, body)
        await _send_bytes(
            send,
            answer.status,
            answer.body,
            b"application/json" if answer.body else None,
            answer.headers,
        )

    def _on_health_listener(self, scope: Scope) -> bool:
        server = scope.get("server")
        return (
            self.settings.health_port is not None
            and server is not None
            and server[1] == self.settings.health_port
        )

    async def _health(self, scope: Scope, send: Send) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            await _send_json(send, 405, {"status": "DOWN"}, (("allow", "GET"),))
            return
        params = parse_qs(
            scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True
        )
        if "ready" in params and self.holder.current is None:
            await _send_json(send, 503, {"status": "DOWN"})
        else:
            await _send_json(send, 200, {"status": "UP"})

    async def _graphql(
        self, scope: Scope, receive: Receive, send: Send, config: RouterConfig
    ) -> None:
        """The router stage: the generation's plugin hooks around `_graphql_core`."""
        generation = self.holder.acquire()
        try:
            chain = generation.plugins if generation is not None else EMPTY_CHAIN
            if generation is not None:
                config = generation.config
            context = RequestContext.from_scope(scope)
            body_read = False

            async def core(ctx: RequestContext) -> HttpResponse:
                nonlocal body_read
                body_read = True
                return await self._graphql_core(scope, receive, ctx, generation, config)

            response = await chain.run_router(context, core)
            if not body_read and scope["method"] == "POST":
                # A plugin answered first: read the body, so the client still sending
                # it gets the answer rather than a reset connection.
                limit = config.limits.http_max_request_bytes
                await _drain(receive, max(0, _DRAIN_LIMIT - limit))
            response.headers.extend(context.response_headers)
            streamed = context.values.pop(_STREAMED, None)
            if streamed is not None and response.status == 200:
                if isinstance(streamed[1], AsyncGenerator):
                    scope[SUBSCRIPTION_STREAM] = True
                await _send_streamed(streamed, response, receive, send)
                return
            if streamed is not None and isinstance(streamed[1], AsyncGenerator):
                await streamed[1].aclose()  # a plugin answered in its place
            if response.stream is not None:
                # An incremental @defer answer (router.server.multipart).
                await _send_stream(send, receive, response)
                return
            await _send_bytes(
                send,
                response.status,
                response.body,
                None,
                tuple(response.headers),
            )
        finally:
            if generation is not None:
                self.holder.release(generation)

    async def _graphql_core(
        self,
        scope: Scope,
        receive: Receive,
        context: RequestContext,
        generation: Generation | None,
        config: RouterConfig,
    ) -> HttpResponse:
        headers = context.headers
        streaming = stream_kind(headers.get("accept"))
        multipart = accepts_multipart_defer(context.all_values("accept"))
        try:
            media = _JSON if streaming else negotiate(headers.get("accept"))
        except RequestFailure as failure:
            if not multipart:
                return _failure_response(failure, MediaType.JSON)
            # Only multipart: a deferred answer streams, any other is JSON (as Apollo).
            media = MediaType.JSON
        context.multipart_defer = multipart and streaming is None
        method: str = scope["method"]
        try:
            if method == "POST":
                payload = await self._read_post(headers, receive, config)
            elif method == "GET":
                payload = decode_get(scope.get("query_string", b""))
            else:
                raise RequestFailure.of(
                    METHOD_NOT_ALLOWED,
                    f"Method {method[:20]} is not allowed: use GET or POST",
                    405,
                    headers=(("allow", _GRAPHQL_METHODS),),
                )
        except RequestFailure as failure:
            return _failure_response(failure, media)
        if generation is None:
            return _failure_response(
                RequestFailure.of(
                    SERVICE_UNAVAILABLE, "The router has no supergraph loaded yet", 503
                ),
                media,
            )
        if isinstance(payload, GraphQLRequest) and streaming is not None:
            # SSE or multipart (router.subscriptions.http_stream): written by `_graphql`
            # once the router stage is done, so its deadline never cuts a subscription.
            result = await generation.pipeline.subscribe(
                payload, method=method, context=context
            )
            context.values[_STREAMED] = (streaming, result)
            return HttpResponse(200, [], b"")
        if isinstance(payload, GraphQLRequest):
            outcome = await generation.pipeline.run(
                payload, method=method, context=context
            )
            return _outcome_response(outcome, media)
        # A batch's answer is one JSON array: its entries cannot stream.
        context.multipart_defer = False
        return await self._batch(generation, payload, media, context)

    async def _read_post(
        self, headers: dict[str, str], receive: Receive, config: RouterConfig
    ) -> GraphQLRequest | list[Any]:
        encoding = headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            raise RequestFailure.of(
                INVALID_CONTENT_TYPE_HEADER,
                "Content-Encoding is not supported: send the body uncompressed",
                415,
            )
        check_content_type(headers.get("content-type"))
        body = await _read_body(headers, receive, config.limits.http_max_request_bytes)
        if not body.strip():
            raise RequestFailure.of(
                INVALID_GRAPHQL_REQUEST,
                "Invalid GraphQL request: the body is empty",
                400,
            )
        return decode_post_body(body)

    async def _batch(
        self,
        generation: Generation,
        items: list[Any],
        media: MediaType,
        context: RequestContext,
    ) -> HttpResponse:
        """A client batch (Apollo's `batch_http_link` mode): each item runs on its own,
        concurrently; the answers come back as one JSON array, in order."""
        batching = generation.config.batching
        try:
            if not batching.enabled:
                raise RequestFailure.of(
                    BATCHING_NOT_ENABLED, "batching not enabled", 400
                )
            if not items:
                raise RequestFailure.of(
                    INVALID_GRAPHQL_REQUEST, "Invalid GraphQL request: empty batch", 400
                )
            if batching.maximum_size is not None and len(items) > batching.maximum_size:
                raise RequestFailure.of(
                    BATCH_LIMIT_EXCEEDED,
                    f"Batch limits exceeded: you provided a batch with {len(items)} "
                    "entries, but the configured maximum router batch size is "
                    f"{batching.maximum_size}",
                    422,
                )
            requests = [request_from_mapping(item) for item in items]
        except RequestFailure as failure:
            return _failure_response(failure, media)
        outcomes = await asyncio.gather(
            *(
                generation.pipeline.run(r, method="POST", context=context)
                for r in requests
            )
        )
        # PORT_NOTE: Apollo Router takes the first answer's status for the batch; a batch
        # of independent operations gets 200 here and each entry speaks for itself.
        return HttpResponse(
            200,
            [("content-type", _content_type(media))],
            orjson.dumps([o.body for o in outcomes]),
            [code for o in outcomes for code in error_codes_of(o.body.get("errors"))],
        )


# `context.values` key: the SSE or multipart answer `_graphql` writes.
_STREAMED = "subscription.http"


async def _send_streamed(
    streamed: tuple[StreamKind, Outcome | AsyncGenerator[dict[str, Any], None]],
    response: HttpResponse,
    receive: Receive,
    send: Send,
) -> None:
    """A subscription's events as SSE or multipart; any other answer in that format
    when it was executed, or as a JSON error response when it was refused."""
    kind, result = streamed
    headers = [
        (name, value)
        for name, value in response.headers
        if name.lower() not in ("content-type", "content-length")
    ]
    if isinstance(result, AsyncGenerator):
        await write_stream(kind, result, headers, receive, send)
    elif result.well_formed and "data" in result.body:
        await write_single(kind, result.body, headers, send)
    else:
        failure = _outcome_response(result, MediaType.JSON)
        await _send_bytes(
            send,
            failure.status,
            failure.body,
            None,
            (*failure.headers, *headers),
        )


class _ClientGone(Exception):
    """The client disconnected while its body was being read."""


def _serves_invalidation(config: RouterConfig, path: str) -> bool:
    """Whether `path` is the entity cache's invalidation endpoint on the router's own
    listener (`preview_entity_cache.invalidation.listen` equal to `supergraph.listen`,
    as in Apollo Router's example)."""
    entity = config.preview_entity_cache
    endpoint = entity.invalidation
    return (
        entity.enabled
        and endpoint is not None
        and endpoint.path == path
        and endpoint.listen == config.supergraph.listen
    )


async def _side_request(
    scope: Scope, receive: Receive, send: Send, config: RouterConfig
) -> tuple[dict[str, str], str, bytes] | None:
    """Headers, method and body (a POST's, read under the body cap) of a request to an
    endpoint sharing the GraphQL listener; None once a failure has been answered."""
    headers: dict[str, str] = {}
    for name, value in scope.get("headers", ()):
        headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
    method = scope["method"]
    try:
        body = (
            await _read_body(headers, receive, config.limits.http_max_request_bytes)
            if method == "POST"
            else b""
        )
    except RequestFailure as failure:
        await _send_failure(send, failure, MediaType.JSON)
        return None
    return headers, method, body


async def _read_body(headers: dict[str, str], receive: Receive, limit: int) -> bytes:
    declared = headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        if int(declared) <= _DRAIN_LIMIT:
            await _drain(receive)
        raise _too_large()
    message = await receive()
    if message["type"] == "http.disconnect":
        raise _ClientGone
    first: bytes = message.get("body", b"")
    if not message.get("more_body", False) and len(first) <= limit:
        return first  # the usual case: the whole body in one message
    chunks: list[bytes] = [first]
    size = len(first)
    if size > limit:
        if size <= _DRAIN_LIMIT and message.get("more_body", False):
            await _drain(receive, size)
        raise _too_large()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            if size <= _DRAIN_LIMIT and message.get("more_body", False):
                await _drain(receive, size)
            raise _too_large()
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _too_large() -> RequestFailure:
    return RequestFailure.of(
        INVALID_GRAPHQL_REQUEST, "Request body payload too large", 413
    )


async def _drain(receive: Receive, size: int = 0) -> None:
    """Reads and drops the rest of a refused body, so the client, still sending, gets
    the 413 rather than a reset connection (up to `_DRAIN_LIMIT` bytes)."""
    while size <= _DRAIN_LIMIT:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        size += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


# Per media type, found by identity: reading `MediaType.JSON` through the class, or
# hashing a member, is a Python call on Python 3.11.
_JSON = MediaType.JSON
_CONTENT_TYPES = tuple((media, f"{media.value}; charset=utf-8") for media in MediaType)


def _content_type(media: MediaType) -> str:
    for member, content_type in _CONTENT_TYPES:
        if media is member:
            return content_type
    raise ValueError(f"no content type for {media}")


def _outcome_response(outcome: Outcome, media: MediaType) -> HttpResponse:
    if outcome.subsequent is not None:
        codes = error_codes_of(outcome.body.get("errors"))
        return HttpResponse(
            200,
            [
                ("content-type", MULTIPART_DEFER_CONTENT_TYPE),
                # Proxies that buffer (nginx) would hold the parts back (Apollo's).
                ("x-accel-buffering", "no"),
                *outcome.headers,
            ],
            first_part(outcome.body),
            codes,
            later_parts(outcome.subsequent, codes),
        )
    status = outcome.status
    if media is _JSON and outcome.well_formed:
        status = 200
    return HttpResponse(
        status,
        [("content-type", _content_type(media)), *outcome.headers],
        orjson.dumps(outcome.body),
        error_codes_of(outcome.body.get("errors")),
    )


def _failure_response(failure: RequestFailure, media: MediaType) -> HttpResponse:
    return _outcome_response(
        Outcome(
            {"errors": failure.errors},
            failure.status,
            failure.well_formed,
            failure.headers,
        ),
        media,
    )


async def _send_failure(send: Send, failure: RequestFailure, media: MediaType) -> None:
    response = _failure_response(failure, media)
    await _send_bytes(
        send, response.status, response.body, None, tuple(response.headers)
    )


async def _send_json(
    send: Send,
    status: int,
    body: dict[str, Any],
    headers: tuple[tuple[str, str], ...] = (),
) -> None:
    await _send_bytes(send, status, orjson.dumps(body), b"application/json", headers)


async def _send_bytes(
    send: Send,
    status: int,
    body: bytes,
    content_type: bytes | None,
    headers: tuple[tuple[str, str], ...] = (),
) -> None:
    """Sends one response; without `content_type`, `headers` carry it."""
    length = (b"content-length", str(len(body)).encode())
    raw = (
        [length] if content_type is None else [(b"content-type", content_type), length]
    )
    for name, value in headers:
        encoded = _HEADER_NAMES.get(name)
        if encoded is None:
            encoded = name.encode("latin-1")
        raw.append((encoded, value.encode("latin-1")))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def _send_stream(send: Send, receive: Receive, response: HttpResponse) -> None:
    """Sends a streamed response: `body`, then each chunk of `stream` as it comes,
    flushed at once. A client that goes away stops the stream (and the deferred parts
    still running behind it)."""
    stream = response.stream
    assert stream is not None
    raw = []
    for name, value in response.headers:
        encoded = _HEADER_NAMES.get(name)
        if encoded is None:
            encoded = name.encode("latin-1")
        raw.append((encoded, value.encode("latin-1")))

    async def pump() -> None:
        await send(
            {"type": "http.response.start", "status": response.status, "headers": raw}
        )
        await send(
            {"type": "http.response.body", "body": response.body, "more_body": True}
        )
        async for chunk in stream:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    loop = asyncio.get_running_loop()
    sending = loop.create_task(pump())
    gone = loop.create_task(_disconnected(receive))
    try:
        await asyncio.wait((sending, gone), return_when=asyncio.FIRST_COMPLETED)
        if not sending.done():
            sending.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sending
    finally:
        gone.cancel()
        sending.cancel()
        await stream.aclose()


async def _disconnected(receive: Receive) -> None:
    """Returns when the client has gone (the request body was read already)."""
    while (await receive())["type"] != "http.disconnect":
        pass


# The names nearly every response carries, encoded once.
_HEADER_NAMES = {
    name: name.encode("latin-1")
    for name in ("content-type", "x-request-id", "vary", "allow")
}


def app_from_environment() -> RouterApp:
    """The app of one `--workers` process (uvicorn's factory), from the parent's settings."""
    configure_logging()
    settings = ServeSettings.from_environment()
    try:
        initial, _ = read_config(settings)
    except SourceError:
        # The parent validated this file; it changed since. The reloader reports it.
        initial = RouterConfig()
    return RouterApp(settings, initial)
