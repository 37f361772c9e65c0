"""Catalogue of the error codes of APQ and persisted-query lists (Apollo's strings).

Add a code here, with its one-line description, before putting it on an error.
Apollo Router's sources: `services/layers/apq.rs` and `persisted_queries/mod.rs`.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CANNOT_SEND_PQ_ID_AND_BODY",
    "ENTITY_CACHE_CODES",
    "INVALIDATION_INVALID_REQUEST",
    "INVALIDATION_UNAUTHORIZED",
    "PERSISTED_QUERY_CODES",
    "PERSISTED_QUERY_HASH_MISMATCH",
    "PERSISTED_QUERY_ID_REQUIRED",
    "PERSISTED_QUERY_INVALID",
    "PERSISTED_QUERY_NOT_FOUND",
    "PERSISTED_QUERY_NOT_IN_LIST",
    "PERSISTED_QUERY_NOT_SUPPORTED",
    "QUERY_NOT_IN_SAFELIST",
    "UNSUPPORTED_PERSISTED_QUERY_VERSION",
    "persisted_query_error",
]

PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
PERSISTED_QUERY_NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
PERSISTED_QUERY_HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
UNSUPPORTED_PERSISTED_QUERY_VERSION = "UNSUPPORTED_PERSISTED_QUERY_VERSION"
PERSISTED_QUERY_NOT_IN_LIST = "PERSISTED_QUERY_NOT_IN_LIST"
QUERY_NOT_IN_SAFELIST = "QUERY_NOT_IN_SAFELIST"
PERSISTED_QUERY_ID_REQUIRED = "PERSISTED_QUERY_ID_REQUIRED"
CANNOT_SEND_PQ_ID_AND_BODY = "CANNOT_SEND_PQ_ID_AND_BODY"
PERSISTED_QUERY_INVALID = "PERSISTED_QUERY_INVALID"

PERSISTED_QUERY_CODES: dict[str, str] = {
    PERSISTED_QUERY_NOT_FOUND: "APQ: no query is registered under the hash sent "
    "(HTTP 200, message `PersistedQueryNotFound`: the client sends it again with the "
    "query, which registers it).",
    PERSISTED_QUERY_NOT_SUPPORTED: "`extensions.persistedQuery` while `apq.enabled` is "
    "false and no persisted-query list is served (message `PersistedQueryNotSupported`).",
    PERSISTED_QUERY_HASH_MISMATCH: "APQ registration whose sha256Hash is not the SHA-256 "
    "of the query sent; nothing is stored (HTTP 400).",
    UNSUPPORTED_PERSISTED_QUERY_VERSION: "`extensions.persistedQuery.version` other "
    "than 1 (HTTP 400; ours: Apollo Server refuses it uncoded, Apollo Router ignores it).",
    PERSISTED_QUERY_NOT_IN_LIST: "An id that no manifest of `persisted_queries` holds, "
    "while APQ cannot resolve it instead (HTTP 404).",
    QUERY_NOT_IN_SAFELIST: "A query sent as text that is not one of the manifests' "
    "operations while `persisted_queries.safelist.enabled` (HTTP 403).",
    PERSISTED_QUERY_ID_REQUIRED: "A query sent as text while "
    "`persisted_queries.safelist.require_id` accepts ids only (HTTP 400).",
    CANNOT_SEND_PQ_ID_AND_BODY: "Both a persisted-query id and a query while APQ is off "
    "or safelisting (HTTP 400).",
    PERSISTED_QUERY_INVALID: "`router persisted-queries check` and `router check`: a "
    "manifest operation that does not validate against the (new) API schema.",
}

# The entity cache's invalidation endpoint (ours: Apollo Router answers these with a
# plain-text body).
INVALIDATION_UNAUTHORIZED = "INVALIDATION_UNAUTHORIZED"
INVALIDATION_INVALID_REQUEST = "INVALIDATION_INVALID_REQUEST"

ENTITY_CACHE_CODES: dict[str, str] = {
    INVALIDATION_UNAUTHORIZED: "Invalidation request without an `Authorization` "
    "header equal to the `invalidation.shared_key` of every subgraph it names (HTTP "
    "401).",
    INVALIDATION_INVALID_REQUEST: "Invalidation request whose body is not a JSON list "
    "of `{kind: subgraph | type | entity, ...}` items (HTTP 400).",
}

# Refusals clients must not cache: the router may learn the operation soon (Apollo's
# `DONT_CACHE_RESPONSE_VALUE`).
DONT_CACHE = (("cache-control", "private, no-cache, must-revalidate"),)


def persisted_query_error(code: str, message: str) -> dict[str, Any]:
    """A GraphQL error object with `extensions.code` from this catalogue."""
    if code not in PERSISTED_QUERY_CODES:
        raise ValueError(f"unknown persisted-query error code {code!r}")
    return {"message": message, "extensions": {"code": code}}
