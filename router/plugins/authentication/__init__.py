"""Authentication: JWTs checked against JWKS (`jwks`, `jwt_auth`) and API keys
(`api_keys`), applied in the router stage by `plugin`."""

from __future__ import annotations

from router.plugins.authentication.plugin import AuthenticationPlugin, build

__all__ = ["AuthenticationPlugin", "build"]
