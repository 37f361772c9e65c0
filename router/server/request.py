"""Decoding GraphQL-over-HTTP requests: POST JSON bodies, GET query strings, Accept.

Pure functions over bytes and header values, so that the pipeline never sees HTTP.
Every refusal is a `RequestFailure` with a coded error and the status the spec gives it
(https://graphql.github.io/graphql-over-http/draft/).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import orjson

from router.server.errors import (
    INVALID_ACCEPT_HEADER,
    INVALID_CONTENT_TYPE_HEADER,
    INVALID_GRAPHQL_REQUEST,
    RequestFailure,
)

__all__ = [
    "GraphQLRequest",
    "MediaType",
    "decode_get",
    "decode_post_body",
    "media_quality",
    "negotiate",
]


class MediaType(enum.Enum):
    """The two response media types of the spec."""

    GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
    JSON = "application/json"


@dataclass(frozen=True, slots=True)
class GraphQLRequest:
    """One GraphQL request: the spec's request parameters, type-checked. `query` is
    None only when `extensions.persistedQuery` stands for it (APQ, a persisted-query
    list: `router.cache`)."""

    query: str | None
    operation_name: str | None = None
    variables: dict[str, Any] | None = None
    extensions: dict[str, Any] | None = None


# Clients send a handful of distinct Accept and Content-Type values, each thousands of
# times: the answer for each is kept (up to this many values).
_MAX_REMEMBERED = 256
_NEGOTIATED: dict[str, MediaType] = {}
_ACCEPTED_CONTENT_TYPES: set[str] = set()


def negotiate(accept: str | None) -> MediaType:
    """The response media type for an Accept header (spec: no header means JSON).

    Among acceptable types the highest q wins; on a tie the spec's own type does.
    `*/*` and `application/*` get `application/json`, as the spec advises for clients
    that predate `application/graphql-response+json`.
    """
    if accept is None:
        return MediaType.JSON
    media = _NEGOTIATED.get(accept)
    if media is None:
        media = _negotiate(accept)
        if len(_NEGOTIATED) < _MAX_REMEMBERED:
            _NEGOTIATED[accept] = media
    return media


def _negotiate(accept: str) -> MediaType:
    if not accept.strip():
        return MediaType.JSON
    best: tuple[float, int, MediaType] | None = None
    for item in accept.split(","):
        media, _, params = item.strip().partition(";")
        media = media.strip().lower()
        quality = media_quality(params)
        if quality <= 0:
            continue
        if media == MediaType.GRAPHQL_RESPONSE_JSON.value:
            candidate = (quality, 1, MediaType.GRAPHQL_RESPONSE_JSON)
        elif media in (MediaType.JSON.value, "*/*", "application/*"):
            candidate = (quality, 0, MediaType.JSON)
        else:
            continue
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    if best is None:
        raise RequestFailure.of(
            INVALID_ACCEPT_HEADER,
            'Invalid Accept header: it must allow "application/json" or '
            '"application/graphql-response+json"',
            406,
        )
    return best[2]


def media_quality(params: str) -> float:
    """The ``q`` of one Accept entry's parameters (1 when absent, 0 when unreadable)."""
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def check_content_type(content_type: str | None) -> None:
    """POST bodies must be `application/json` (utf-8, the only charset JSON has)."""
    if content_type in _ACCEPTED_CONTENT_TYPES:
        return
    _check_content_type(content_type)
    if content_type is not None and len(_ACCEPTED_CONTENT_TYPES) < _MAX_REMEMBERED:
        _ACCEPTED_CONTENT_TYPES.add(content_type)


def _check_content_type(content_type: str | None) -> None:
    media, _, params = (content_type or "").partition(";")
    if media.strip().lower() != "application/json":
        raise RequestFailure.of(
            INVALID_CONTENT_TYPE_HEADER,
            'Invalid Content-Type header: a POST must send "application/json"',
            415,
        )
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "charset" and value.strip().strip(
            '"'
        ).lower() not in ("utf-8", "utf8"):
            raise RequestFailure.of(
                INVALID_CONTENT_TYPE_HEADER,
                "Invalid Content-Type header: the only charset accepted is utf-8",
                415,
            )


def decode_post_body(body: bytes) -> GraphQLRequest | list[Any]:
    """A JSON object is one request; a JSON array is a batch, returned undecoded."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise _invalid(
            f"Invalid GraphQL request: the body is not valid JSON ({_short(exc)})"
        ) from None
    if isinstance(payload, list):
        return payload
    return request_from_mapping(payload)


def request_from_mapping(payload: Any) -> GraphQLRequest:
    if not isinstance(payload, dict):
        raise _invalid(
            "Invalid GraphQL request: the body must be a JSON object "
            "with a `query` string"
        )
    query = payload.get("query")
    extensions = _object(payload.get("extensions"), "extensions")
    if query is None and (extensions is None or "persistedQuery" not in extensions):
        raise _invalid("Must provide query string.")
    if query is not None and not isinstance(query, str):
        raise _invalid("Invalid GraphQL request: `query` must be a string")
    operation_name = payload.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise _invalid("Invalid GraphQL request: `operationName` must be a string")
    return GraphQLRequest(
        query,
        operation_name or None,
        _object(payload.get("variables"), "variables"),
        extensions,
    )


def decode_get(query_string: bytes) -> GraphQLRequest:
    """GET parameters: `query`, `operationName`, JSON-encoded `variables`/`extensions`."""
    try:
        params = parse_qs(
            query_string.decode("utf-8"), keep_blank_values=True, strict_parsing=False
        )
    except UnicodeDecodeError:
        raise _invalid(
            "Invalid GraphQL request: the query string is not UTF-8"
        ) from None
    payload: dict[str, Any] = {}
    for name in ("query", "operationName"):
        if name in params:
            payload[name] = params[name][0]
    for name in ("variables", "extensions"):
        if name in params and params[name][0] != "":
            try:
                payload[name] = orjson.loads(params[name][0])
            except orjson.JSONDecodeError:
                raise _invalid(
                    f"Invalid GraphQL request: `{name}` must be a JSON-encoded object"
                ) from None
    return request_from_mapping(payload)


def _object(value: Any, name: str) -> dict[str, Any] | None:
    if value is None or isinstance(value, dict):
        return value
    raise _invalid(f"Invalid GraphQL request: `{name}` must be an object")


def _invalid(message: str) -> RequestFailure:
    return RequestFailure.of(INVALID_GRAPHQL_REQUEST, message, 400)


def _short(exc: orjson.JSONDecodeError) -> str:
    # orjson's messages hold no input text beyond a position; keep them short anyway.
    return str(exc).splitlines()[0][:200]
