"""The HTTP client the executor sends subgraph requests through.

Plain-HTTP subgraphs go through ``router.execution.http1``: keep-alive pools on
httptools, one precomputed request head per subgraph, the body encoded and decoded with
orjson. ``https`` subgraphs go through one ``aiohttp.ClientSession`` per process. Either
way: a concurrency limit per subgraph, a deadline per request, the request body
compressed when the endpoint says so, compressed answers inflated by the same decoders
(``router.execution.content_coding``) under a cap on the decoded response size, and
every failure mapped to one error code (STYLE.md "client").

``post`` sends to a subgraph's one configured endpoint. ``fetch`` and ``decode`` are its
two halves, for ``router.traffic``, which picks among a subgraph's instances, retries
and shares answers: ``fetch`` returns the raw reply (which identical requests may
share), ``decode`` turns it into each caller's own response tree.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson
from multidict import CIMultiDict, CIMultiDictProxy

from router.execution.codes import (
    GATEWAY_TIMEOUT,
    SUBREQUEST_HTTP_ERROR,
    SUBREQUEST_MALFORMED_RESPONSE,
)
from router.execution.content_coding import (
    ACCEPT_ENCODING,
    InvalidCoding,
    compress,
    decoder_for,
)
from router.execution.http1 import (
    KEEPALIVE_SECONDS,
    BodyTooLarge,
    HttpFailure,
    Origin,
    Pools,
    StaleConnection,
    Unsent,
)

__all__ = [
    "SubgraphClient",
    "SubgraphEndpoint",
    "SubgraphReply",
    "SubgraphRequestError",
    "SubgraphResponse",
    "decode_reply",
]

_CHUNK = 64 * 1024
_REQUEST_HEADERS = {
    "content-type": "application/json",
    "accept": "application/graphql-response+json, application/json",
}
# Headers that describe one connection or one body: never copied from the caller's set
# (a propagated client Content-Length would corrupt the subgraph request).
_NOT_FORWARDED = frozenset(
    {
        "connection",
        "content-encoding",
        "content-length",
        "host",
        "keep-alive",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# The client's own headers on plain-HTTP requests; a caller's spelling is dropped.
# Accept-Encoding lists only what the client decodes.
_OWN_HEADERS = _NOT_FORWARDED | _REQUEST_HEADERS.keys() | {"accept-encoding"}
# aiohttp's requests: the same, with Accept-Encoding written out (its session does not
# decompress: `_read_capped` does, under the cap).
_AIOHTTP_HEADERS = {**_REQUEST_HEADERS, "accept-encoding": ACCEPT_ENCODING}
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_UNSAFE_VALUE = re.compile(r"[\r\n\0]")
# Caller header names seen to be valid tokens that the client does not set itself.
_SENDABLE_NAMES: set[str] = set()


@dataclass(frozen=True, slots=True)
class SubgraphEndpoint:
    """Where a subgraph lives and the limits its requests run under.

    ``timeout`` (seconds) covers the whole request: waiting for a free slot, connecting,
    sending and reading the body. ``max_connections`` caps concurrent requests to this
    subgraph (and so its share of the keep-alive pool). ``compression`` (gzip, deflate,
    br) compresses request bodies, sent with Content-Encoding.
    """

    name: str
    url: str
    timeout: float = 30.0
    max_response_bytes: int = 50 * 1024 * 1024
    max_connections: int = 100
    compression: str | None = None


@dataclass(frozen=True, slots=True)
class SubgraphResponse:
    """A decoded GraphQL response: ``body`` is a JSON object with ``data`` or ``errors``.

    ``status`` may be non-2xx when the subgraph sent a GraphQL body with an error status;
    the executor then keeps the body's data and errors and adds an HTTP error of its own.
    """

    status: int
    headers: Mapping[str, str]
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SubgraphReply:
    """An HTTP answer as it came, not yet decoded (``decode_reply``)."""

    status: int
    reason: str | None
    headers: Mapping[str, str]
    body: bytes


class SubgraphRequestError(Exception):
    """A subgraph request that produced no GraphQL response; ``code`` is from ``codes``.

    ``reached`` is False when the request cannot have reached the subgraph (no
    connection, or the first write failed): sending it elsewhere is safe even for a
    mutation.
    """

    def __init__(
        self,
        code: str,
        message: str,
        status: int | None = None,
        *,
        reached: bool = True,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.reached = reached


class SubgraphClient:
    """Posts GraphQL requests to subgraphs by name over shared keep-alive pools.

    Pools and the session are created on first use, inside the running event loop;
    ``close()`` must be awaited on shutdown. ``update_endpoints`` swaps the endpoint
    table (config reload) without dropping pooled connections.
    """

    def __init__(self, endpoints: Mapping[str, SubgraphEndpoint]) -> None:
        self._endpoints: dict[str, SubgraphEndpoint] = {}
        # By URL: every endpoint fetched from (instances too), parsed once.
        self._origins: dict[str, Origin | None] = {}
        self.update_endpoints(endpoints)
        # Per subgraph: the limit a semaphore was made for, and the semaphore.
        self._slots: dict[str, tuple[int, asyncio.Semaphore]] = {}
        self._session: aiohttp.ClientSession | None = None
        self._pools: Pools | None = None
        self._pools_loop: asyncio.AbstractEventLoop | None = None

    @property
    def endpoints(self) -> Mapping[str, SubgraphEndpoint]:
        return self._endpoints

    def update_endpoints(self, endpoints: Mapping[str, SubgraphEndpoint]) -> None:
        """Uses ``endpoints`` for requests started from now on."""
        self._endpoints = dict(endpoints)
        for endpoint in self._endpoints.values():
            self._origin_of(endpoint.url)

    def _origin_of(self, url: str) -> Origin | None:
        try:
            return self._origins[url]
        except KeyError:
            origin = self._origins[url] = _origin(url)
            return origin

    async def post(
        self,
        subgraph: str,
        payload: dict[str, Any],
        headers: Mapping[str, str] | None = None,
    ) -> SubgraphResponse:
        """Sends ``payload`` as JSON to ``subgraph``; raises ``SubgraphRequestError``."""
        endpoint = self._endpoints.get(subgraph)
        if endpoint is None:
            raise SubgraphRequestError(
                SUBREQUEST_HTTP_ERROR, f"No URL is configured for subgraph '{subgraph}'"
            )
        reply = await self.fetch(endpoint, orjson.dumps(payload), headers)
        return decode_reply(endpoint.name, reply)

    async def fetch(
        self,
        endpoint: SubgraphEndpoint,
        body: bytes,
        headers: Mapping[str, str] | None = None,
    ) -> SubgraphReply:
        """POSTs the JSON ``body`` to ``endpoint`` (any URL, not only the configured
        ones); raises ``SubgraphRequestError`` when no HTTP answer came."""
        subgraph = endpoint.name
        origin = self._origin_of(endpoint.url)
        slots = self._slots_for(endpoint)
        if endpoint.compression is not None:
            body = compress(body, endpoint.compression)
        try:
            if origin is None:
                async with asyncio.timeout(endpoint.timeout):
                    async with slots:
                        return await self._send_aiohttp(endpoint, body, headers)
            # Plain HTTP: `http1` enforces the deadline itself, without a timer per
            # request; only waiting for a free slot needs one.
            deadline = asyncio.get_running_loop().time() + endpoint.timeout
            if slots.locked():
                async with asyncio.timeout_at(deadline):
                    await slots.acquire()
            else:
                await slots.acquire()
            try:
                return await self._send_plain(endpoint, origin, body, headers, deadline)
            finally:
                slots.release()
        except TimeoutError:
            raise SubgraphRequestError(
                GATEWAY_TIMEOUT,
                f"Subgraph '{subgraph}' did not answer within {endpoint.timeout:g} s",
            ) from None
        except BodyTooLarge as error:
            raise _too_large(endpoint, error.status, error.inflated) from None
        except HttpFailure as error:
            raise SubgraphRequestError(
                SUBREQUEST_HTTP_ERROR,
                f"HTTP fetch failed from '{subgraph}': {error}",
                reached=not isinstance(error, Unsent),
            ) from None
        except (aiohttp.ClientError, OSError) as error:
            raise SubgraphRequestError(
                SUBREQUEST_HTTP_ERROR,
                f"HTTP fetch failed from '{subgraph}': {_describe(error)}",
                reached=not isinstance(error, aiohttp.ClientConnectorError),
            ) from None

    async def probe(self, url: str, timeout: float) -> bool:
        """Whether `GET url` answers 2xx within `timeout` seconds (a health check)."""
        session = self._session_for_loop()
        try:
            async with asyncio.timeout(timeout):
                async with session.get(url, allow_redirects=False) as response:
                    await response.read()
                    return 200 <= response.status < 300
        except (TimeoutError, aiohttp.ClientError, OSError):
            return False

    async def close(self) -> None:
        if self._pools is not None:
            self._pools.close()
            self._pools = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _slots_for(self, endpoint: SubgraphEndpoint) -> asyncio.Semaphore:
        held = self._slots.get(endpoint.name)
        if held is not None and held[0] == endpoint.max_connections:
            return held[1]
        # New subgraph or changed limit: in-flight requests keep the old semaphore.
        slots = asyncio.Semaphore(endpoint.max_connections)
        self._slots[endpoint.name] = (endpoint.max_connections, slots)
        return slots

    async def _send_plain(
        self,
        endpoint: SubgraphEndpoint,
        origin: Origin,
        body: bytes,
        headers: Mapping[str, str] | None,
        deadline: float,
    ) -> SubgraphReply:
        pools = self._pools
        loop = asyncio.get_running_loop()
        if pools is None or self._pools_loop is not loop:
            pools = self._pools = Pools(loop)
            self._pools_loop = loop
        lines = _header_lines(endpoint.name, headers) if headers else b""
        if endpoint.compression is not None:
            lines += f"content-encoding: {endpoint.compression}\r\n".encode()
        cap = endpoint.max_response_bytes
        try:
            raw = await pools.post(origin, lines, body, cap, deadline)
        except StaleConnection:
            # A kept-alive socket the server had just closed failed while the request
            # was written: the subgraph never saw it, so it is sent once more.
            raw = await pools.post(origin, lines, body, cap, deadline)
        return SubgraphReply(
            raw.status,
            raw.reason,
            CIMultiDictProxy(CIMultiDict(raw.headers)),
            raw.body,
        )

    def websocket_session(self) -> aiohttp.ClientSession:
        """The process's session, for WebSocket connections to subgraphs
        (subscriptions: ``router.subscriptions``)."""
        return self._session_for_loop()

    def _session_for_loop(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=0, ttl_dns_cache=300, keepalive_timeout=KEEPALIVE_SECONDS
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                # Subgraphs are addressed directly; proxy variables must not reroute them.
                trust_env=False,
                timeout=aiohttp.ClientTimeout(total=None),
                # `_read_capped` inflates, under the response cap, as `http1` does.
                auto_decompress=False,
                json_serialize=lambda value: orjson.dumps(value).decode(),
            )
        return self._session

    async def _send_aiohttp(
        self,
        endpoint: SubgraphEndpoint,
        body: bytes,
        headers: Mapping[str, str] | None,
    ) -> SubgraphReply:
        request_headers = _request_headers(headers, endpoint.compression)
        try:
            return await self._send(endpoint, body, request_headers)
        except aiohttp.ClientOSError as error:
            # As in `_send_plain`: a stale kept-alive socket failed while the request
            # was written; the subgraph never saw it.
            if "write request body" not in str(error):
                raise
            return await self._send(endpoint, body, request_headers)

    async def _send(
        self,
        endpoint: SubgraphEndpoint,
        body: bytes,
        headers: Mapping[str, str] | CIMultiDict[str],
    ) -> SubgraphReply:
        session = self._session_for_loop()
        async with session.post(endpoint.url, data=body, headers=headers) as response:
            raw = await _read_capped(response, endpoint)
            return SubgraphReply(
                response.status, response.reason, response.headers, raw
            )


_INVALID = object()


def _origin(url: str) -> Origin | None:
    """The plain-HTTP origin of ``url``; None for https and anything else aiohttp
    understands better: credentials, non-ASCII hosts or paths (which it encodes)."""
    parts = urlsplit(url)
    if (
        parts.scheme != "http"
        or not parts.hostname
        or parts.username is not None
        or not url.isascii()
    ):
        return None
    try:
        port = parts.port or 80
    except ValueError:
        return None
    target = parts.path or "/"
    if parts.query:
        target = f"{target}?{parts.query}"
    if _UNSAFE_VALUE.search(target) or " " in target:
        return None
    return Origin.of(parts.hostname, port, target, _REQUEST_HEADERS)


def _header_lines(subgraph: str, headers: Mapping[str, str]) -> bytes:
    """The caller's headers as request lines, minus what the client sets itself."""
    lines = []
    for name, value in headers.items():
        if name not in _SENDABLE_NAMES:
            if name.lower() in _OWN_HEADERS:
                continue
            if _TOKEN.fullmatch(name) is None:
                raise _unsendable(subgraph, name)
            if len(_SENDABLE_NAMES) < 1024:
                _SENDABLE_NAMES.add(name)
        if _UNSAFE_VALUE.search(value) is not None:
            raise _unsendable(subgraph, name)
        lines.append(f"{name}: {value}\r\n")
    text = "".join(lines)
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def _unsendable(subgraph: str, name: str) -> SubgraphRequestError:
    return SubgraphRequestError(
        SUBREQUEST_HTTP_ERROR,
        f"HTTP fetch failed from '{subgraph}': the header {name[:100]!r} cannot be sent",
    )


def _request_headers(
    headers: Mapping[str, str] | None, compression: str | None = None
) -> Mapping[str, str] | CIMultiDict[str]:
    if not headers and compression is None:
        return _AIOHTTP_HEADERS
    merged: CIMultiDict[str] = CIMultiDict(
        (name, value)
        for name, value in (headers or {}).items()
        if name.lower() not in _OWN_HEADERS
    )
    for name, value in _AIOHTTP_HEADERS.items():
        merged[name] = value
    if compression is not None:
        merged["content-encoding"] = compression
    return merged


def decode_reply(subgraph: str, reply: SubgraphReply) -> SubgraphResponse:
    """A GraphQL body (whatever the status), or the coded error for what came instead.

    Each call decodes anew: the executor merges into the tree it gets, so callers
    sharing one reply must not share one tree."""
    decoded = _decode(reply.body)
    status = reply.status
    if type(decoded) is dict and ("data" in decoded or "errors" in decoded):
        _check_shape(subgraph, decoded)
        return SubgraphResponse(status, reply.headers, decoded)
    if not 200 <= status < 300:
        raise SubgraphRequestError(
            SUBREQUEST_HTTP_ERROR,
            f"HTTP fetch failed from '{subgraph}': {status}: {reply.reason or 'error'}",
            status,
        )
    what = "invalid JSON" if decoded is _INVALID else "not a GraphQL response"
    raise SubgraphRequestError(
        SUBREQUEST_MALFORMED_RESPONSE,
        f"Subgraph response from '{subgraph}' was malformed: {what}",
        status,
    )


def _decode(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _INVALID


def _check_shape(subgraph: str, body: dict[str, Any]) -> None:
    data = body.get("data")
    errors = body.get("errors")
    if (data is not None and type(data) is not dict) or (
        errors is not None and type(errors) is not list
    ):
        raise SubgraphRequestError(
            SUBREQUEST_MALFORMED_RESPONSE,
            f"Subgraph response from '{subgraph}' was malformed: "
            "`data` must be an object and `errors` a list",
        )


async def _read_capped(
    response: aiohttp.ClientResponse, endpoint: SubgraphEndpoint
) -> bytes:
    """The decoded body, refusing it once it grows past the endpoint's cap."""
    cap = endpoint.max_response_bytes
    coding = response.headers.get("content-encoding")
    decoder = decoder_for(coding) if coding else None
    declared = response.content_length
    if declared is not None and declared > cap and decoder is None:
        raise _too_large(endpoint, response.status)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in response.content.iter_chunked(_CHUNK):
            if decoder is not None:
                chunk = decoder.decompress(chunk, cap - size + 1)
            size += len(chunk)
            if size > cap:
                raise _too_large(endpoint, response.status, decoder is not None)
            chunks.append(chunk)
        if decoder is not None:
            tail = decoder.flush()
            size += len(tail)
            if size > cap:
                raise _too_large(endpoint, response.status, True)
            chunks.append(tail)
    except InvalidCoding as error:
        raise SubgraphRequestError(
            SUBREQUEST_HTTP_ERROR,
            f"HTTP fetch failed from '{endpoint.name}': {error}",
        ) from None
    return b"".join(chunks)


def _too_large(
    endpoint: SubgraphEndpoint, status: int, inflated: bool = False
) -> SubgraphRequestError:
    how = " once inflated" if inflated else ""
    return SubgraphRequestError(
        SUBREQUEST_MALFORMED_RESPONSE,
        f"Subgraph response from '{endpoint.name}' was malformed: "
        f"larger than {endpoint.max_response_bytes} bytes{how}",
        status,
    )


def _describe(error: BaseException) -> str:
    if isinstance(error, aiohttp.ClientConnectorError):
        return f"cannot connect to {error.host}:{error.port} ({error.os_error.strerror or error.os_error})"
    if isinstance(error, aiohttp.ServerDisconnectedError):
        return "the subgraph closed the connection"
    text = str(error)
    return text or type(error).__name__
