"""Per-fetch timings for the explorer: `x-router-fetch-timings: true`.

When the explorer is on (`supergraph.explorer`), a request carrying this header gets
`extensions.routerFetchTimings`: one entry per subgraph HTTP request, in the order they
started, `{subgraph, operationName, startMs, durationMs, requestBytes, responseBytes,
status, error}` (`startMs` from when the router received the request; sizes of the
JSON bodies; `error` the code of a fetch that got no GraphQL answer). Never added
without the header, never with the explorer off: it tells a client how the router
splits its operation, which the explorer's users want and nobody else needs.

Innermost in `PLUGIN_ORDER`, so a fetch's time is its HTTP round trip alone. Entries of
a client batch, which share one context, are all reported on each item.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import orjson

from router.config import RouterConfig, explorer_enabled
from router.execution.subgraph_client import SubgraphRequestError
from router.plugins.plugin import (
    Plugin,
    SubgraphNext,
    SubgraphRequest,
    SupergraphNext,
    SupergraphRequest,
    SupergraphResponse,
)

if TYPE_CHECKING:
    from router.execution.subgraph_client import SubgraphResponse
    from router.plugins.context import RequestContext

__all__ = ["EXTENSION", "HEADER", "FetchTimingsPlugin", "build"]

HEADER = "x-router-fetch-timings"
EXTENSION = "routerFetchTimings"
_KEY = "fetch_timings.entries"


class FetchTimingsPlugin(Plugin):
    name = "fetch_timings"

    async def supergraph(
        self,
        context: RequestContext,
        request: SupergraphRequest,
        call_next: SupergraphNext,
    ) -> SupergraphResponse:
        if context.headers.get(HEADER, "").strip().lower() != "true":
            return await call_next(context, request)
        entries: list[dict[str, Any]] = context.values.setdefault(_KEY, [])
        response = await call_next(context, request)
        if isinstance(response.body, dict):
            extensions = response.body.setdefault("extensions", {})
            if isinstance(extensions, dict):
                extensions[EXTENSION] = sorted(entries, key=lambda e: e["startMs"])
        return response

    async def subgraph(
        self,
        context: RequestContext,
        request: SubgraphRequest,
        call_next: SubgraphNext,
    ) -> SubgraphResponse:
        entries = context.values.get(_KEY)
        if entries is None:
            return await call_next(context, request)
        started = time.monotonic()
        entry: dict[str, Any] = {
            "subgraph": request.subgraph,
            "operationName": request.payload.get("operationName"),
            "startMs": round((started - context.started) * 1000, 3),
            "durationMs": None,
            "requestBytes": len(orjson.dumps(request.payload)),
            "responseBytes": None,
            "status": None,
            "error": None,
        }
        entries.append(entry)
        try:
            response = await call_next(context, request)
        except SubgraphRequestError as error:
            entry["error"] = error.code
            entry["status"] = error.status
            raise
        finally:
            entry["durationMs"] = round((time.monotonic() - started) * 1000, 3)
        entry["status"] = response.status
        entry["responseBytes"] = _response_bytes(response)
        return response


def _response_bytes(response: SubgraphResponse) -> int:
    """The body's size as sent (Content-Length), else as compact JSON."""
    for name, value in response.headers.items():
        if name.lower() == "content-length" and value.strip().isdigit():
            return int(value)
    return len(orjson.dumps(response.body))


def build(config: RouterConfig) -> Plugin | None:
    return FetchTimingsPlugin() if explorer_enabled(config) else None
