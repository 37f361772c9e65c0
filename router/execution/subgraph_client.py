"""The HTTP client the executor sends subgraph requests through.

One ``aiohttp.ClientSession`` per process (keep-alive pools shared by every request), a
concurrency limit per subgraph, a deadline per request, a cap on the decoded response size,
and every failure mapped to one error code (STYLE.md "client"). Bodies are encoded and
decoded with orjson.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
from multidict import CIMultiDict

from router.execution.codes import (
    GATEWAY_TIMEOUT,
    SUBREQUEST_HTTP_ERROR,
    SUBREQUEST_MALFORMED_RESPONSE,
)

__all__ = [
    "SubgraphClient",
    "SubgraphEndpoint",
    "SubgraphRequestError",
    "SubgraphResponse",
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


@dataclass(frozen=True, slots=True)
class SubgraphEndpoint:
    """Where a subgraph lives and the limits its requests run under.

    ``timeout`` (seconds) covers the whole request: waiting for a free slot, connecting,
    sending and reading the body. ``max_connections`` caps concurrent requests to this
    subgraph (and so its share of the keep-alive pool).
    """

    name: str
    url: str
    timeout: float = 30.0
    max_response_bytes: int = 50 * 1024 * 1024
    max_connections: int = 100


@dataclass(frozen=True, slots=True)
class SubgraphResponse:
    """A decoded GraphQL response: ``body`` is a JSON object with ``data`` or ``errors``.

    ``status`` may be non-2xx when the subgraph sent a GraphQL body with an error status;
    the executor then keeps the body's data and errors and adds an HTTP error of its own.
    """

    status: int
    headers: Mapping[str, str]
    body: dict[str, Any]


class SubgraphRequestError(Exception):
    """A subgraph request that produced no GraphQL response; ``code`` is from ``codes``."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class SubgraphClient:
    """Posts GraphQL requests to subgraphs by name over one shared session.

    The session is created on first use, inside the running event loop; ``close()`` must be
    awaited on shutdown. ``update_endpoints`` swaps the endpoint table (config reload)
    without dropping pooled connections.
    """

    def __init__(self, endpoints: Mapping[str, SubgraphEndpoint]) -> None:
        self._endpoints: dict[str, SubgraphEndpoint] = dict(endpoints)
        # Per subgraph: the limit a semaphore was made for, and the semaphore.
        self._slots: dict[str, tuple[int, asyncio.Semaphore]] = {}
        self._session: aiohttp.ClientSession | None = None

    @property
    def endpoints(self) -> Mapping[str, SubgraphEndpoint]:
        return self._endpoints

    def update_endpoints(self, endpoints: Mapping[str, SubgraphEndpoint]) -> None:
        """Uses ``endpoints`` for requests started from now on."""
        self._endpoints = dict(endpoints)

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
        request_headers = _request_headers(headers)
        body = orjson.dumps(payload)
        try:
            async with asyncio.timeout(endpoint.timeout):
                async with self._slots_for(endpoint):
                    try:
                        return await self._send(endpoint, body, request_headers)
                    except aiohttp.ClientOSError as error:
                        # A kept-alive socket the server had just closed fails while
                        # the request is written: the subgraph never saw it, so it is
                        # sent again, once, on a fresh connection.
                        if "write request body" not in str(error):
                            raise
                        return await self._send(endpoint, body, request_headers)
        except TimeoutError:
            raise SubgraphRequestError(
                GATEWAY_TIMEOUT,
                f"Subgraph '{subgraph}' did not answer within {endpoint.timeout:g} s",
            ) from None
        except (aiohttp.ClientError, OSError) as error:
            raise SubgraphRequestError(
                SUBREQUEST_HTTP_ERROR,
                f"HTTP fetch failed from '{subgraph}': {_describe(error)}",
            ) from None

    async def close(self) -> None:
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

    def _session_for_loop(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # Idle connections are dropped before a typical server closes them (uvicorn
            # after 5 s, Node after 5 s), so a request rarely lands on a closing socket.
            connector = aiohttp.TCPConnector(
                limit=0, ttl_dns_cache=300, keepalive_timeout=_KEEPALIVE_SECONDS
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                # Subgraphs are addressed directly; proxy variables must not reroute them.
                trust_env=False,
                timeout=aiohttp.ClientTimeout(total=None),
                json_serialize=lambda value: orjson.dumps(value).decode(),
            )
        return self._session

    async def _send(
        self,
        endpoint: SubgraphEndpoint,
        body: bytes,
        headers: Mapping[str, str] | CIMultiDict[str],
    ) -> SubgraphResponse:
        session = self._session_for_loop()
        async with session.post(endpoint.url, data=body, headers=headers) as response:
            status = response.status
            raw = await _read_capped(response, endpoint)
            decoded = _decode(raw)
            ok = 200 <= status < 300
            if isinstance(decoded, dict) and ("data" in decoded or "errors" in decoded):
                _check_shape(endpoint.name, decoded)
                return SubgraphResponse(status, response.headers, decoded)
            if not ok:
                raise SubgraphRequestError(
                    SUBREQUEST_HTTP_ERROR,
                    f"HTTP fetch failed from '{endpoint.name}': "
                    f"{status}: {response.reason or 'error'}",
                    status,
                )
            what = "invalid JSON" if decoded is _INVALID else "not a GraphQL response"
            raise SubgraphRequestError(
                SUBREQUEST_MALFORMED_RESPONSE,
                f"Subgraph response from '{endpoint.name}' was malformed: {what}",
                status,
            )


_INVALID = object()
_KEEPALIVE_SECONDS = 4.0


def _request_headers(
    headers: Mapping[str, str] | None,
) -> Mapping[str, str] | CIMultiDict[str]:
    if not headers:
        return _REQUEST_HEADERS
    merged: CIMultiDict[str] = CIMultiDict(
        (name, value)
        for name, value in headers.items()
        if name.lower() not in _NOT_FORWARDED
    )
    for name, value in _REQUEST_HEADERS.items():
        merged[name] = value
    return merged


def _decode(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _INVALID


def _check_shape(subgraph: str, body: dict[str, Any]) -> None:
    data = body.get("data")
    errors = body.get("errors")
    if (data is not None and not isinstance(data, dict)) or (
        errors is not None and not isinstance(errors, list)
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
    declared = response.content_length
    if (
        declared is not None
        and declared > cap
        and not response.headers.get("content-encoding")
    ):
        raise _too_large(endpoint, response.status)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(_CHUNK):
        size += len(chunk)
        if size > cap:
            raise _too_large(endpoint, response.status)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(endpoint: SubgraphEndpoint, status: int) -> SubgraphRequestError:
    return SubgraphRequestError(
        SUBREQUEST_MALFORMED_RESPONSE,
        f"Subgraph response from '{endpoint.name}' was malformed: "
        f"larger than {endpoint.max_response_bytes} bytes",
        status,
    )


def _describe(error: BaseException) -> str:
    if isinstance(error, aiohttp.ClientConnectorError):
        return f"cannot connect to {error.host}:{error.port} ({error.os_error.strerror or error.os_error})"
    if isinstance(error, aiohttp.ServerDisconnectedError):
        return "the subgraph closed the connection"
    text = str(error)
    return text or type(error).__name__
