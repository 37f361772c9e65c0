"""The per-request state every plugin hook sees: `RequestContext`.

Plugins are built once per loaded config and keep no per-request state (STYLE.md
"hot path"); whatever one stage learns about a request and a later stage needs (the
verified JWT claims the header rules copy, the API-key consumer a rate limit counts by,
the operation name a log line shows) travels here. Apollo Router's `Context` plays the
same part.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RequestContext", "SubgraphHeaders"]


@dataclass(frozen=True, slots=True)
class SubgraphHeaders:
    """The headers one subgraph answered with, in the order the answers arrived."""

    subgraph: str
    status: int
    headers: Mapping[str, str]


@dataclass(slots=True)
class RequestContext:
    """One client HTTP request on its way through the stages.

    `headers` holds the client's request headers, names lower-cased, the first value of
    a repeated header (`header_values` keeps every value). Auth plugins fill `jwt_claims`
    and `api_key_*`; the supergraph stage fills `operation_*`; `response_headers` are
    added to whatever response goes back (a short-circuit one too);
    `subgraph_responses` collects what each subgraph answered (the subgraph stage's core
    appends to it). `values` is a free bag for plugins, keyed by `"<plugin>.<name>"`.
    `multipart_defer` says the client accepts `multipart/mixed;deferSpec=20220824`
    (set by the HTTP layer): a deferred operation then streams its parts.
    """

    method: str
    path: str
    headers: dict[str, str]
    header_values: tuple[tuple[str, str], ...] = ()
    query_string: str = ""
    client_address: str | None = None
    request_id: str = ""  # set by the telemetry plugin (the client's, or a new UUID)
    started: float = field(default_factory=time.monotonic)
    jwt_claims: dict[str, Any] | None = None
    api_key_consumer: str | None = None
    api_key_plan: str | None = None
    operation_name: str | None = None
    operation_type: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    subgraph_responses: list[SubgraphHeaders] = field(default_factory=list)
    multipart_defer: bool = False

    @classmethod
    def from_scope(cls, scope: Mapping[str, Any]) -> RequestContext:
        """A context for an ASGI HTTP scope."""
        pairs = [
            (name.decode("latin-1").lower(), value.decode("latin-1"))
            for name, value in scope.get("headers", ())
        ]
        headers: dict[str, str] = {}
        for name, value in pairs:
            if name not in headers:
                headers[name] = value
        client = scope.get("client")
        return cls(
            method=scope.get("method", "GET"),
            path=scope.get("path", "/"),
            headers=headers,
            header_values=tuple(pairs),
            query_string=scope.get("query_string", b"").decode("latin-1"),
            client_address=client[0] if client else None,
        )

    def all_values(self, name: str) -> list[str]:
        """Every value of the request header `name` (lower-case), in order."""
        return [value for key, value in self.header_values if key == name]
