"""`authorization`: Apollo Router's keys for `@authenticated` and `@requiresScopes`.

https://www.apollographql.com/docs/graphos/routing/security/authorization
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["AuthorizationConfig", "DirectivesConfig", "ErrorsConfig"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ErrorsConfig(_Strict):
    """`authorization.directives.errors`: where removed paths are reported."""

    # Log each filtered operation's removed paths (Apollo's default).
    log: bool = True
    # `errors`: one GraphQL error per path; `extensions`: the same objects under
    # `extensions.authorizationErrors`; `disabled`: say nothing.
    response: Literal["errors", "extensions", "disabled"] = "errors"


class DirectivesConfig(_Strict):
    """`authorization.directives`: filtering operations by the supergraph's directives."""

    enabled: bool = True
    # Refuse the whole operation (HTTP 403) instead of removing what it may not see.
    reject_unauthorized: bool = False
    # Report what would be removed, but plan and serve the operation unchanged.
    dry_run: bool = False
    errors: ErrorsConfig = ErrorsConfig()


class AuthorizationConfig(_Strict):
    # Answer HTTP 401 to any request without a verified JWT or API key.
    require_authentication: bool = False
    directives: DirectivesConfig = DirectivesConfig()
