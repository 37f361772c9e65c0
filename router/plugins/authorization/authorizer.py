"""The authorization directives, applied to each operation before it is planned.

Built once per loaded supergraph (`Authorizer.build`, None when the supergraph uses no
authorization directive or `authorization.directives.enabled` is false, so such routers
pay nothing per request). For each request the pipeline asks for a `Decision`: the
filtered document to plan, a plan-cache key of its own (plans for different auth states
never mix), and the errors to report. The filter runs once per (document, operation,
auth state): decisions are kept in the document cache's `derived` entry, a few auth
states per operation, and the auth state keeps only the scopes some rule names.
https://www.apollographql.com/docs/graphos/routing/security/authorization
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphql import DocumentNode, GraphQLSchema, OperationDefinitionNode

from planner.authorization import (
    AuthorizationRules,
    AuthState,
    FilteredOperation,
    filter_operation,
)
from router.execution.type_conditions import FRAGMENT_PREFIX
from router.plugins.codes import UNAUTHORIZED_FIELD_OR_TYPE
from router.plugins.plugin import Rejection

if TYPE_CHECKING:
    from planner.supergraph import Supergraph
    from router.config.authorization import DirectivesConfig
    from router.plugins.context import RequestContext
    from router.server.documents import PreparedDocument

__all__ = ["Authorizer", "Decision", "auth_state"]

logger = logging.getLogger(__name__)

MESSAGE = "Unauthorized field or type"
# Auth states remembered per operation of a cached document.
MAX_STATES_PER_OPERATION = 16
_ANONYMOUS = AuthState()


def auth_state(context: RequestContext | None) -> AuthState:
    """Who the request is, from what the authentication plugin verified.

    A verified JWT authenticates, its `scope` claim (a space-separated string, or a list
    of strings) gives the scopes; a valid API key authenticates without scopes.
    """
    if context is None:
        return _ANONYMOUS
    claims = context.jwt_claims
    if claims is None:
        return AuthState(True) if context.api_key_consumer is not None else _ANONYMOUS
    scope = claims.get("scope")
    if isinstance(scope, str):
        scopes = frozenset(scope.split())
    elif isinstance(scope, list):
        scopes = frozenset(s for s in scope if isinstance(s, str))
    else:
        scopes = frozenset()
    return AuthState(True, scopes)


@dataclass(frozen=True, slots=True)
class Decision:
    """How to serve one operation for one auth state.

    `document` is what to plan (None: the client's, or the introspection split's);
    `plan_key` replaces the document hash in the plan-cache key; `empty`: nothing is
    left to plan, no subgraph is called; `errors` are the removed paths' errors.
    """

    document: DocumentNode | None
    plan_key: str | None
    empty: bool
    removed: tuple[tuple[str, ...], ...]
    errors: tuple[dict[str, Any], ...]


class Authorizer:
    """Applies one supergraph's authorization rules with one `directives` config."""

    def __init__(
        self,
        rules: AuthorizationRules,
        config: DirectivesConfig,
        api_schema: GraphQLSchema,
    ) -> None:
        self._rules = rules
        self._config = config
        self._schema = api_schema

    @classmethod
    def build(
        cls, config: DirectivesConfig, supergraph: Supergraph
    ) -> Authorizer | None:
        if not config.enabled:
            return None
        rules = AuthorizationRules.from_supergraph(supergraph)
        if rules is None:
            return None
        return cls(rules, config, supergraph.api_schema)

    def decide(
        self,
        prepared: PreparedDocument,
        operation: OperationDefinitionNode,
        plan_document: DocumentNode | None,
        context: RequestContext | None,
    ) -> Decision | None:
        """None when the operation is served unchanged; raises `Rejection` (403) when
        `reject_unauthorized` and something would be removed."""
        state = self._rules.relevant(auth_state(context))
        name = operation.name.value if operation.name else None
        states: OrderedDict[AuthState, Decision | None] = prepared.derived.setdefault(
            ("authorization", name), OrderedDict()
        )
        if state in states:
            states.move_to_end(state)
            decision = states[state]
        else:
            decision = self._decide(prepared, operation, plan_document, state)
            states[state] = decision
            if len(states) > MAX_STATES_PER_OPERATION:
                states.popitem(last=False)
        if decision is None:
            return None
        if self._config.errors.log:
            logger.info(
                "authorization removed %d path(s) from operation %s: %s",
                len(decision.removed),
                name or "(anonymous)",
                ", ".join("/".join(p) for p in decision.removed),
            )
        if self._config.reject_unauthorized:
            raise Rejection([dict(e) for e in decision.errors], 403)
        return decision

    def _decide(
        self,
        prepared: PreparedDocument,
        operation: OperationDefinitionNode,
        plan_document: DocumentNode | None,
        state: AuthState,
    ) -> Decision | None:
        document = plan_document or prepared.document
        assert document is not None  # validated documents only
        if plan_document is not None:
            operation = next(
                d
                for d in document.definitions
                if isinstance(d, OperationDefinitionNode)
            )
        result: FilteredOperation = filter_operation(
            document, operation, self._schema, self._rules, state
        )
        if not result.removed:
            return None
        errors = tuple(
            {
                "message": MESSAGE,
                "path": list(path),
                "extensions": {"code": UNAUTHORIZED_FIELD_OR_TYPE},
            }
            for path in result.removed
        )
        if self._config.dry_run:
            return Decision(None, None, False, result.removed, errors)
        digest = hashlib.sha256(repr(result.removed).encode()).hexdigest()[:16]
        return Decision(
            result.document,
            f"{prepared.document_hash}/authorization:{digest}",
            result.empty,
            result.removed,
            errors,
        )

    def finish(self, body: dict[str, Any], decision: Decision) -> dict[str, Any]:
        """The response with the removed paths reported as `errors.response` says, and
        without the value-completion errors the removals themselves caused (a removed
        non-null field is null by design)."""
        extensions = body.get("extensions")
        if isinstance(extensions, dict) and "valueCompletion" in extensions:
            kept = [
                e
                for e in extensions["valueCompletion"]
                if not _under(e.get("path"), decision.removed)
            ]
            if kept:
                extensions["valueCompletion"] = kept
            else:
                del extensions["valueCompletion"]
                if not extensions:
                    del body["extensions"]
        where = self._config.errors.response
        if where == "errors":
            body["errors"] = [
                *(dict(e) for e in decision.errors),
                *body.get("errors", ()),
            ]
        elif where == "extensions":
            body.setdefault("extensions", {})["authorizationErrors"] = [
                dict(e) for e in decision.errors
            ]
        return body


def _under(path: Any, removed: tuple[tuple[str, ...], ...]) -> bool:
    """Whether a response path (keys and indexes) lies at or below a removed path
    (names, `"@"` for any index, `"... on T"` elements that responses do not show)."""
    if not isinstance(path, list):
        return False
    for pattern in removed:
        steps = [p for p in pattern if not p.startswith(FRAGMENT_PREFIX)]
        while steps and steps[-1] == "@":
            steps.pop()
        if len(path) < len(steps):
            continue
        if all(
            (isinstance(actual, int) if step == "@" else actual == step)
            for step, actual in zip(steps, path, strict=False)
        ):
            return True
    return False
