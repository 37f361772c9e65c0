"""Catalogue of the error codes plugins put on client responses (Apollo Router's strings).

Add a code here, with its one-line description, before putting it on an error.
"""

from __future__ import annotations

__all__ = [
    "CSRF_ERROR",
    "GATEWAY_TIMEOUT",
    "MAX_ALIASES_LIMIT",
    "MAX_DEPTH_LIMIT",
    "MAX_HEIGHT_LIMIT",
    "MAX_ROOT_FIELDS_LIMIT",
    "PLUGIN_CODES",
    "PLUGIN_ERROR",
    "REQUEST_CONCURRENCY_LIMITED",
    "REQUEST_RATE_LIMITED",
    "UNAUTHENTICATED",
    "UNAUTHORIZED_FIELD_OR_TYPE",
]

MAX_DEPTH_LIMIT = "MAX_DEPTH_LIMIT"
MAX_HEIGHT_LIMIT = "MAX_HEIGHT_LIMIT"
MAX_ALIASES_LIMIT = "MAX_ALIASES_LIMIT"
MAX_ROOT_FIELDS_LIMIT = "MAX_ROOT_FIELDS_LIMIT"
REQUEST_RATE_LIMITED = "REQUEST_RATE_LIMITED"
UNAUTHENTICATED = "UNAUTHENTICATED"
CSRF_ERROR = "CSRF_ERROR"
UNAUTHORIZED_FIELD_OR_TYPE = "UNAUTHORIZED_FIELD_OR_TYPE"
GATEWAY_TIMEOUT = "GATEWAY_TIMEOUT"
REQUEST_CONCURRENCY_LIMITED = "REQUEST_CONCURRENCY_LIMITED"
# Ours (Apollo Router's Rust plugins cannot fail this way: a panic there is a crash).
PLUGIN_ERROR = "PLUGIN_ERROR"

PLUGIN_CODES: dict[str, str] = {
    MAX_DEPTH_LIMIT: "The operation nests selection sets deeper than `limits.max_depth` "
    "(HTTP 400).",
    MAX_HEIGHT_LIMIT: "The operation selects more distinct fields than "
    "`limits.max_height` (HTTP 400).",
    MAX_ALIASES_LIMIT: "The operation uses more aliases than `limits.max_aliases` "
    "(HTTP 400).",
    MAX_ROOT_FIELDS_LIMIT: "The operation selects more root fields than "
    "`limits.max_root_fields` (HTTP 400).",
    REQUEST_RATE_LIMITED: "Over a rate limit (HTTP 429 with Retry-After), or a subgraph "
    "fetch over its `traffic_shaping` rate limit.",
    UNAUTHENTICATED: "A JWT or API key is missing, malformed, expired, not yet valid, "
    "wrongly signed or from an unknown issuer or audience (HTTP 401).",
    CSRF_ERROR: "A request a browser could send without a CORS preflight, lacking the "
    "`csrf.required_headers` (HTTP 400).",
    UNAUTHORIZED_FIELD_OR_TYPE: "A field or type the request may not see under the "
    "supergraph's @authenticated/@requiresScopes/@policy: removed before planning and "
    "null in the response, or the whole operation refused (HTTP 403) with "
    "`authorization.directives.reject_unauthorized`.",
    GATEWAY_TIMEOUT: "The request took longer than `traffic_shaping.router.timeout` "
    "(default 30 s); its remaining work was cancelled (HTTP 504).",
    REQUEST_CONCURRENCY_LIMITED: "More requests in flight than "
    "`traffic_shaping.router.concurrency_limit` (HTTP 503).",
    PLUGIN_ERROR: "A custom plugin (router.yaml `plugins`) raised in one of its hooks: "
    "HTTP 500 from the router, supergraph or execution stage; from the subgraph stage, "
    "that fetch alone fails. The router logs the traceback, never the client.",
}
