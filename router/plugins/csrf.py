"""CSRF prevention (`csrf`): Apollo Router's rule, on by default.

https://www.apollographql.com/docs/graphos/routing/security/csrf. A browser sends a
cross-origin request without a CORS preflight only when it is "simple": GET, HEAD or
POST, no custom headers, and a Content-Type (if any) of
`application/x-www-form-urlencoded`, `multipart/form-data` or `text/plain`. Such a
request must carry one of `required_headers`, non-empty, else HTTP 400 `CSRF_ERROR`:
a page on another origin cannot add that header without the preflight that CORS
then refuses.

PORT_NOTE: Apollo Router checks before reading the body; we check in the supergraph
stage, just before the operation would run. Requests the transport refuses anyway
(a text/plain or multipart POST is 415, a mutation over GET 405) never execute, so the
protection is the same and those clients see the more specific error.
"""

from __future__ import annotations

from router.config import CsrfConfig, RouterConfig
from router.plugins.codes import CSRF_ERROR
from router.plugins.context import RequestContext
from router.plugins.plugin import (
    Plugin,
    Rejection,
    SupergraphNext,
    SupergraphRequest,
    SupergraphResponse,
)

__all__ = ["CsrfPlugin", "build"]

SIMPLE_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
_SIMPLE_METHODS = frozenset({"GET", "HEAD", "POST"})


class CsrfPlugin(Plugin):
    name = "csrf"

    def __init__(self, config: CsrfConfig) -> None:
        self._required = tuple(h.lower() for h in config.required_headers)
        self._message = (
            "This operation has been blocked as a potential Cross-Site Request "
            "Forgery (CSRF). Please either specify a 'content-type' header (with a "
            "mime-type that is not one of "
            + ", ".join(sorted(SIMPLE_CONTENT_TYPES))
            + ") or provide one of the following headers: "
            + ", ".join(self._required)
        )

    def preflighted(self, context: RequestContext) -> bool:
        """Whether a browser would have had to preflight this request."""
        if context.method not in _SIMPLE_METHODS:
            return True
        content_type = context.headers.get("content-type")
        if content_type is not None:
            essence = content_type.split(";", 1)[0].strip().lower()
            if essence not in SIMPLE_CONTENT_TYPES:
                return True
        return any(context.headers.get(name, "").strip() for name in self._required)

    async def supergraph(
        self,
        context: RequestContext,
        request: SupergraphRequest,
        call_next: SupergraphNext,
    ) -> SupergraphResponse:
        if not self.preflighted(context):
            raise Rejection.of(CSRF_ERROR, self._message, 400)
        return await call_next(context, request)


def build(config: RouterConfig) -> Plugin | None:
    if config.csrf.unsafe_disabled:
        return None
    return CsrfPlugin(config.csrf)
