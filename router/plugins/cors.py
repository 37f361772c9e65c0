"""CORS (`cors`): Apollo Router's keys, preflights answered by the router.

https://www.apollographql.com/docs/graphos/routing/security/cors. The header values
are computed once when the plugin is built; per request only the origin is matched
(a set lookup, then the `match_origins` regexes). A preflight (OPTIONS with
`Access-Control-Request-Method`) is answered 200 here and never reaches the GraphQL
handler; for an origin that is not allowed the answer carries no
`Access-Control-Allow-*` headers, so the browser blocks the real request (as Apollo
Router, through tower-http, does). Other responses to an allowed origin get
`Access-Control-Allow-Origin`, `-Allow-Credentials` and `-Expose-Headers`.
"""

from __future__ import annotations

import math
import re

from router.config import CorsConfig, RouterConfig
from router.plugins.context import RequestContext
from router.plugins.plugin import HttpResponse, Plugin, RouterNext

__all__ = ["CorsPlugin", "build"]

_PREFLIGHT_VARY = (
    "origin, access-control-request-method, access-control-request-headers"
)


class CorsPlugin(Plugin):
    name = "cors"

    def __init__(self, config: CorsConfig) -> None:
        self._any = config.allow_any_origin
        self._origins = frozenset(config.origins)
        self._patterns = tuple(re.compile(p) for p in config.match_origins or ())
        self._credentials = config.allow_credentials
        self._methods = ", ".join(config.methods)
        self._allow_headers = ", ".join(config.allow_headers) or None
        self._expose = (
            ", ".join(config.expose_headers) if config.expose_headers else None
        )
        self._max_age = (
            None if config.max_age is None else str(math.floor(config.max_age))
        )

    def allowed(self, origin: str) -> bool:
        return (
            self._any
            or origin in self._origins
            or any(p.fullmatch(origin) for p in self._patterns)
        )

    def _allow_origin(self, origin: str) -> list[tuple[str, str]]:
        # `*` cannot go with credentials: then the origin itself is echoed.
        value = "*" if self._any and not self._credentials else origin
        headers = [("Access-Control-Allow-Origin", value)]
        if self._credentials:
            headers.append(("Access-Control-Allow-Credentials", "true"))
        return headers

    async def router(
        self, context: RequestContext, call_next: RouterNext
    ) -> HttpResponse:
        origin = context.headers.get("origin")
        if (
            context.method == "OPTIONS"
            and origin is not None
            and "access-control-request-method" in context.headers
        ):
            return self._preflight(context, origin)
        response = await call_next(context)
        if origin is not None and self.allowed(origin):
            response.headers += self._allow_origin(origin)
            if self._expose is not None:
                response.headers.append(("Access-Control-Expose-Headers", self._expose))
        if not self._any:
            response.headers.append(("Vary", "origin"))
        return response

    def _preflight(self, context: RequestContext, origin: str) -> HttpResponse:
        headers = [("Vary", _PREFLIGHT_VARY)]
        if self.allowed(origin):
            headers += self._allow_origin(origin)
            headers.append(("Access-Control-Allow-Methods", self._methods))
            requested = context.headers.get("access-control-request-headers")
            allow = self._allow_headers or requested
            if allow:
                headers.append(("Access-Control-Allow-Headers", allow))
            if self._max_age is not None:
                headers.append(("Access-Control-Max-Age", self._max_age))
        return HttpResponse(200, [("content-type", "text/plain"), *headers], b"")


def build(config: RouterConfig) -> Plugin | None:
    return CorsPlugin(config.cors)
