"""Authorization: `require_authentication` in the router stage (`plugin`), and the
authorization directives applied to each operation before planning (`authorizer`)."""

from __future__ import annotations

from router.plugins.authorization.authorizer import Authorizer, auth_state
from router.plugins.authorization.plugin import AuthorizationPlugin, build

__all__ = ["AuthorizationPlugin", "Authorizer", "auth_state", "build"]
