"""Catalogue of the error codes the server puts on request-level GraphQL errors.

Codes reuse Apollo Router's strings where it has one, so clients and dashboards written
for Apollo read the same names. Add a code here, with its one-line description, before
putting it on an error. Execution and shaping codes live in `router.execution.codes`.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BAD_USER_INPUT",
    "BATCHING_NOT_ENABLED",
    "BATCH_LIMIT_EXCEEDED",
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_UNKNOWN_OPERATION_NAME",
    "GRAPHQL_VALIDATION_FAILED",
    "INTERNAL_SERVER_ERROR",
    "INTROSPECTION_DISABLED",
    "INVALID_ACCEPT_HEADER",
    "INVALID_CONTENT_TYPE_HEADER",
    "INVALID_GRAPHQL_REQUEST",
    "METHOD_NOT_ALLOWED",
    "MUTATION_FORBIDDEN",
    "NOT_FOUND",
    "QUERY_PLANNING_BUSY",
    "QUERY_PLANNING_FAILED",
    "SERVER_CODES",
    "SERVICE_UNAVAILABLE",
    "SUBSCRIPTION_DISABLED",
    "RequestFailure",
    "graphql_error",
]

INVALID_GRAPHQL_REQUEST = "INVALID_GRAPHQL_REQUEST"
INVALID_CONTENT_TYPE_HEADER = "INVALID_CONTENT_TYPE_HEADER"
INVALID_ACCEPT_HEADER = "INVALID_ACCEPT_HEADER"
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
NOT_FOUND = "NOT_FOUND"
BATCHING_NOT_ENABLED = "BATCHING_NOT_ENABLED"
BATCH_LIMIT_EXCEEDED = "BATCH_LIMIT_EXCEEDED"
GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
GRAPHQL_UNKNOWN_OPERATION_NAME = "GRAPHQL_UNKNOWN_OPERATION_NAME"
BAD_USER_INPUT = "BAD_USER_INPUT"
INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED"
MUTATION_FORBIDDEN = "MUTATION_FORBIDDEN"
SUBSCRIPTION_DISABLED = "SUBSCRIPTION_DISABLED"
QUERY_PLANNING_FAILED = "QUERY_PLANNING_FAILED"
QUERY_PLANNING_BUSY = "QUERY_PLANNING_BUSY"
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"

SERVER_CODES: dict[str, str] = {
    INVALID_GRAPHQL_REQUEST: "The HTTP request is not a GraphQL-over-HTTP request: a body "
    "that is not JSON, no query string, variables that are not an object, a body too large.",
    INVALID_CONTENT_TYPE_HEADER: "A POST whose Content-Type (or Content-Encoding) is not "
    "application/json (HTTP 415).",
    INVALID_ACCEPT_HEADER: "The Accept header allows neither application/json nor "
    "application/graphql-response+json (HTTP 406).",
    METHOD_NOT_ALLOWED: "An HTTP method other than GET and POST on the GraphQL endpoint (405).",
    NOT_FOUND: "No endpoint at this path (404).",
    BATCHING_NOT_ENABLED: "A JSON array of requests while `batching.enabled` is false.",
    BATCH_LIMIT_EXCEEDED: "A batch longer than `batching.maximum_size` (HTTP 422).",
    GRAPHQL_PARSE_FAILED: "The query is not valid GraphQL syntax (or too deeply nested to parse).",
    GRAPHQL_VALIDATION_FAILED: "The query does not validate against the API schema, or "
    "names no operation while holding several.",
    GRAPHQL_UNKNOWN_OPERATION_NAME: "operationName names no operation of the document.",
    BAD_USER_INPUT: "A variable value does not coerce to its declared type.",
    INTROSPECTION_DISABLED: "__schema or __type while `supergraph.introspection` is false.",
    MUTATION_FORBIDDEN: "A mutation sent over GET (HTTP 405, `Allow: POST`).",
    SUBSCRIPTION_DISABLED: "A subscription while `subscription.enabled` is false.",
    QUERY_PLANNING_FAILED: "The supergraph cannot serve the operation.",
    QUERY_PLANNING_BUSY: "The client already has `supergraph.query_planning.concurrency."
    "per_client` new operations planning or waiting to (HTTP 429, Retry-After).",
    SERVICE_UNAVAILABLE: "No supergraph is loaded yet (HTTP 503; /health?ready says so too).",
    INTERNAL_SERVER_ERROR: "An unexpected failure inside the router; details are logged, "
    "never sent.",
}


def graphql_error(code: str, message: str, **extensions: Any) -> dict[str, Any]:
    """A GraphQL error object with `extensions.code` from the catalogue."""
    if code not in SERVER_CODES:
        raise ValueError(f"unknown server error code {code!r}")
    return {"message": message, "extensions": {"code": code, **extensions}}


class RequestFailure(Exception):
    """A request that ends before execution: GraphQL errors and no `data` entry.

    `status` is the HTTP status under `application/graphql-response+json`. When
    `well_formed` is true the request was a well-formed GraphQL-over-HTTP request that
    failed as GraphQL (parse, validation, operation, variables), which the spec answers
    with 200 under legacy `application/json`; otherwise the status holds for both.
    """

    def __init__(
        self,
        errors: list[dict[str, Any]],
        status: int = 400,
        *,
        well_formed: bool = False,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        super().__init__(errors[0]["message"] if errors else "request failed")
        self.errors = errors
        self.status = status
        self.well_formed = well_formed
        self.headers = headers

    @classmethod
    def of(
        cls,
        code: str,
        message: str,
        status: int = 400,
        *,
        well_formed: bool = False,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> RequestFailure:
        return cls(
            [graphql_error(code, message)],
            status,
            well_formed=well_formed,
            headers=headers,
        )
