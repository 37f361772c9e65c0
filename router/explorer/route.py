"""Which requests are the explorer's, and their answers.

- `GET supergraph.path` from a browser (`page.wants_html`) without a `query`
  parameter: the page when the explorer is on; else the 406 such a request always got,
  saying how to turn the explorer on. A `query` parameter, or an Accept that prefers
  JSON, leaves the request to GraphQL over HTTP.
- `GET <path>/explorer/<file>` (the path without its trailing `/`): the bundle, with
  long-lived caching for hashed names, and `schema.graphql`, the API schema the page's
  completion and docs use (so they work with introspection off, when the explorer was
  turned on explicitly). Not served at all when the explorer is off.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs

import orjson

from router.config import RouterConfig, explorer_enabled
from router.explorer.assets import load_assets
from router.explorer.page import CONTENT_SECURITY_POLICY, render_page, wants_html
from router.server.errors import INVALID_ACCEPT_HEADER, graphql_error

__all__ = ["ExplorerAnswer", "answer_explorer", "asset_base"]

_METHODS = ("GET", "HEAD")
_IMMUTABLE = "public, max-age=31536000, immutable"
_REVALIDATE = "no-cache"
_OFF_MESSAGE = (
    'Invalid Accept header: it must allow "application/json" or '
    '"application/graphql-response+json". This is a GraphQL endpoint, and its '
    "browser explorer is off: set `supergraph.explorer: true` in router.yaml (it is on "
    "by default under `router dev`), or send a GraphQL request."
)


@dataclass(frozen=True, slots=True)
class ExplorerAnswer:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def asset_base(config: RouterConfig) -> str:
    """Where the explorer's files are served: `<path>/explorer/`."""
    return config.supergraph.path.rstrip("/") + "/explorer/"


def answer_explorer(
    method: str,
    path: str,
    query_string: bytes,
    headers: Mapping[str, str],
    config: RouterConfig,
    schema_sdl: Callable[[], bytes | None],
) -> ExplorerAnswer | None:
    """The explorer's answer, or None when the request is not the explorer's."""
    enabled = explorer_enabled(config)
    if path == config.supergraph.path:
        if (
            method not in _METHODS
            or not wants_html(headers.get("accept"))
            or "query" in parse_qs(query_string.decode("latin-1"))
        ):
            return None
        return _page(config) if enabled else _off()
    base = asset_base(config)
    if not enabled or not path.startswith(base) or method not in _METHODS:
        return None
    name = path[len(base) :]
    if name == "schema.graphql":
        sdl = schema_sdl()
        if sdl is None:
            return None
        return _file("text/plain; charset=utf-8", sdl, _REVALIDATE)
    asset = load_assets().by_name.get(name)
    if asset is None:
        return None
    cache = _IMMUTABLE if asset.immutable else _REVALIDATE
    extra: tuple[tuple[str, str], ...] = (("etag", asset.etag),)
    if headers.get("if-none-match") == asset.etag:
        return ExplorerAnswer(304, (("cache-control", cache), *extra), b"")
    body = asset.body
    if "gzip" in headers.get("accept-encoding", "").lower():
        body = asset.gzipped
        extra += (("content-encoding", "gzip"),)
    return _file(asset.content_type, body, cache, (*extra, ("vary", "accept-encoding")))


def _page(config: RouterConfig) -> ExplorerAnswer:
    assets = load_assets()
    body = render_page(
        config.supergraph.path, asset_base(config), assets.script, assets.stylesheet
    )
    return ExplorerAnswer(
        200,
        (
            ("content-type", "text/html; charset=utf-8"),
            ("cache-control", _REVALIDATE),
            ("content-security-policy", CONTENT_SECURITY_POLICY),
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "no-referrer"),
            ("vary", "accept"),
        ),
        body,
    )


def _off() -> ExplorerAnswer:
    body = {"errors": [graphql_error(INVALID_ACCEPT_HEADER, _OFF_MESSAGE)]}
    return ExplorerAnswer(
        406,
        (("content-type", "application/json"), ("vary", "accept")),
        orjson.dumps(body),
    )


def _file(
    content_type: str,
    body: bytes,
    cache: str,
    extra: tuple[tuple[str, str], ...] = (),
) -> ExplorerAnswer:
    return ExplorerAnswer(
        200,
        (
            ("content-type", content_type),
            ("cache-control", cache),
            ("x-content-type-options", "nosniff"),
            *extra,
        ),
        body,
    )
