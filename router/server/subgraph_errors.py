"""`include_subgraph_errors`: hiding what subgraphs say in their errors from clients.

Apollo Router replaces the message of every error a subgraph returned with "Subgraph
errors redacted" unless `include_subgraph_errors` includes that subgraph (default: none).
Errors the router itself reports about a fetch (unreachable, timeout, malformed answer)
are not subgraph errors and are left alone.
https://www.apollographql.com/docs/graphos/routing/observability/subgraph-error-inclusion
"""

from __future__ import annotations

from typing import Any

from router.config import IncludeSubgraphErrorsConfig
from router.execution.codes import (
    GATEWAY_TIMEOUT,
    SUBREQUEST_CIRCUIT_OPEN,
    SUBREQUEST_HTTP_ERROR,
    SUBREQUEST_MALFORMED_RESPONSE,
)
from router.plugins.codes import PLUGIN_ERROR

__all__ = ["REDACTED_MESSAGE", "redact_subgraph_errors"]

REDACTED_MESSAGE = "Subgraph errors redacted"
# PLUGIN_ERROR: a custom plugin failed in the fetch's subgraph hook (its message is ours).
_ROUTER_FETCH_CODES = frozenset(
    {
        SUBREQUEST_HTTP_ERROR,
        SUBREQUEST_MALFORMED_RESPONSE,
        GATEWAY_TIMEOUT,
        SUBREQUEST_CIRCUIT_OPEN,
        PLUGIN_ERROR,
    }
)


def redact_subgraph_errors(
    errors: list[dict[str, Any]], include: IncludeSubgraphErrorsConfig
) -> list[dict[str, Any]]:
    """`errors` with each hidden subgraph error reduced to the redacted message.

    PORT_NOTE: Apollo Router drops the whole error body; we keep `path` and the
    `code` and `serviceName` extensions, because every error a client sees carries a code.
    """
    redacted: list[dict[str, Any]] = []
    for error in errors:
        extensions = error.get("extensions")
        service = (
            extensions.get("serviceName") if isinstance(extensions, dict) else None
        )
        if (
            not isinstance(service, str)
            or extensions is None
            or extensions.get("code") in _ROUTER_FETCH_CODES
            or include.includes(service)
        ):
            redacted.append(error)
            continue
        hidden: dict[str, Any] = {"message": REDACTED_MESSAGE}
        if "path" in error:
            hidden["path"] = error["path"]
        hidden["extensions"] = {
            "code": extensions.get("code"),
            "serviceName": service,
        }
        redacted.append(hidden)
    return redacted
