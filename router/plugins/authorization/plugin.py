"""`authorization.require_authentication`: refuse anonymous requests, router stage.

Runs after the authentication plugin (`PLUGIN_ORDER`), which fills the context: a
request is authenticated when it carries a verified JWT or a valid API key.
"""

from __future__ import annotations

from router.config import RouterConfig
from router.plugins.authorization.authorizer import auth_state
from router.plugins.codes import UNAUTHENTICATED
from router.plugins.context import RequestContext
from router.plugins.plugin import HttpResponse, Plugin, RouterNext

__all__ = ["AuthorizationPlugin", "build"]


class AuthorizationPlugin(Plugin):
    name = "authorization"

    async def router(
        self, context: RequestContext, call_next: RouterNext
    ) -> HttpResponse:
        if not auth_state(context).authenticated:
            # PORT_NOTE: Apollo Router answers 401 with code AUTH_ERROR after parsing;
            # we answer before reading the body, with the code every other 401 of ours
            # carries.
            return HttpResponse.error(
                UNAUTHENTICATED, "The request is not authenticated", 401
            )
        return await call_next(context)


def build(config: RouterConfig) -> Plugin | None:
    if not config.authorization.require_authentication:
        return None
    return AuthorizationPlugin()
