"""Catalogue of the error codes the executor and the response shaper put on client errors.

Codes reuse Apollo's strings (Apollo Router's subgraph errors, the gateway's
``DOWNSTREAM_SERVICE_ERROR`` and result-shaping ``INVALID_GRAPHQL``) so that clients and
dashboards written for Apollo read the same names. Add a code here, with its one-line
description, before putting it on an error.
"""

from __future__ import annotations

__all__ = [
    "DOWNSTREAM_SERVICE_ERROR",
    "EXECUTION_CODES",
    "GATEWAY_TIMEOUT",
    "INTERNAL_SERVER_ERROR",
    "INVALID_GRAPHQL",
    "SUBREQUEST_CIRCUIT_OPEN",
    "SUBREQUEST_HTTP_ERROR",
    "SUBREQUEST_MALFORMED_RESPONSE",
]

SUBREQUEST_HTTP_ERROR = "SUBREQUEST_HTTP_ERROR"
SUBREQUEST_MALFORMED_RESPONSE = "SUBREQUEST_MALFORMED_RESPONSE"
GATEWAY_TIMEOUT = "GATEWAY_TIMEOUT"
# Ours: Apollo Router has no circuit breaker.
SUBREQUEST_CIRCUIT_OPEN = "SUBREQUEST_CIRCUIT_OPEN"
DOWNSTREAM_SERVICE_ERROR = "DOWNSTREAM_SERVICE_ERROR"
INVALID_GRAPHQL = "INVALID_GRAPHQL"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"

EXECUTION_CODES: dict[str, str] = {
    SUBREQUEST_HTTP_ERROR: "A subgraph could not be reached, refused the connection, or "
    "answered a non-2xx status.",
    SUBREQUEST_MALFORMED_RESPONSE: "A subgraph answered something that is not a GraphQL "
    "response (not JSON, not an object, over the size cap, a wrong `_entities` list).",
    GATEWAY_TIMEOUT: "A subgraph did not answer within its timeout.",
    SUBREQUEST_CIRCUIT_OPEN: "A subgraph's circuit breaker is open: the fetch was not "
    "sent, because the subgraph has been failing.",
    DOWNSTREAM_SERVICE_ERROR: "A subgraph reported an error without a code of its own.",
    INVALID_GRAPHQL: "A subgraph value does not fit the client's operation (null in a "
    "non-null position, a leaf of the wrong type, an unknown __typename).",
    INTERNAL_SERVER_ERROR: "The plan cannot be executed as written (e.g. a client variable "
    "named `representations` in an entity fetch).",
}
