"""What each type and field of a supergraph requires: `@authenticated`,
`@requiresScopes` and `@policy` read once from the supergraph.

Apollo Router's semantics
(https://www.apollographql.com/docs/graphos/routing/security/authorization):
`@authenticated` needs an authenticated request; `@requiresScopes(scopes: [[...]])` is
an OR of ANDs over the request's scopes; `@policy` needs a policy evaluator (a
coprocessor in Apollo's router), which we do not have, so it is never satisfied and
its elements are always removed, as Apollo does with policies nobody approved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphql import (
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    value_from_ast_untyped,
)

if TYPE_CHECKING:
    from planner.supergraph import Supergraph

__all__ = ["AuthState", "AuthorizationRules", "Requirement"]

_SPECS = "https://specs.apollo.dev/"


@dataclass(frozen=True, slots=True)
class AuthState:
    """Who the request is: authenticated or not, and the scopes it holds."""

    authenticated: bool = False
    scopes: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Requirement:
    """What one element needs; `scopes` are alternatives, each a set of scopes."""

    authenticated: bool = False
    scopes: tuple[frozenset[str], ...] | None = None
    policy: bool = False

    def allows(self, state: AuthState) -> bool:
        if self.policy:
            return False
        if self.authenticated and not state.authenticated:
            return False
        return self.scopes is None or any(s <= state.scopes for s in self.scopes)


@dataclass(frozen=True, slots=True)
class AuthorizationRules:
    """The requirements of a supergraph's types and fields, by name.

    `types` maps a type name to its requirement; `fields` maps `(type, field)`;
    `possible` maps each abstract type to its object types (of the API schema);
    `scopes` is every scope any requirement names (the only ones that matter).
    """

    types: Mapping[str, Requirement]
    fields: Mapping[tuple[str, str], Requirement]
    possible: Mapping[str, tuple[str, ...]]
    scopes: frozenset[str]

    @classmethod
    def from_supergraph(cls, supergraph: Supergraph) -> AuthorizationRules | None:
        """The rules, or None when the supergraph uses no authorization directive."""
        names: dict[str, str] = {}
        for spec in ("authenticated", "requiresScopes", "policy"):
            link = supergraph.link(_SPECS + spec)
            if link is not None:
                names[link.directive_name(spec)] = spec
        if not names:
            return None
        return cls.from_schema(supergraph.schema, supergraph.api_schema, names)

    @classmethod
    def from_schema(
        cls,
        schema: GraphQLSchema,
        api_schema: GraphQLSchema,
        names: Mapping[str, str],
    ) -> AuthorizationRules | None:
        """Rules read from `schema`'s AST, for the types `api_schema` shows; `names`
        maps a directive's name in the schema to its spec name."""
        types: dict[str, Requirement] = {}
        fields: dict[tuple[str, str], Requirement] = {}
        for name, named in schema.type_map.items():
            if name.startswith("__") or name not in api_schema.type_map:
                continue
            requirement = _requirement(_directives(named), names)
            if requirement is not None:
                types[name] = requirement
            if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
                for field_name, field in named.fields.items():
                    nodes = [field.ast_node] if field.ast_node is not None else []
                    found = _requirement(_directive_nodes(nodes), names)
                    if found is not None:
                        fields[(name, field_name)] = found
        if not types and not fields:
            return None
        possible = {
            name: tuple(t.name for t in api_schema.get_possible_types(named))
            for name, named in api_schema.type_map.items()
            if isinstance(named, GraphQLInterfaceType | GraphQLUnionType)
        }
        scopes = frozenset(
            scope
            for requirement in (*types.values(), *fields.values())
            for group in requirement.scopes or ()
            for scope in group
        )
        return cls(types, fields, possible, scopes)

    def type_allows(self, type_name: str, state: AuthState) -> bool:
        requirement = self.types.get(type_name)
        return requirement is None or requirement.allows(state)

    def field_allows(self, type_name: str, field_name: str, state: AuthState) -> bool:
        requirement = self.fields.get((type_name, field_name))
        return requirement is None or requirement.allows(state)

    def relevant(self, state: AuthState) -> AuthState:
        """`state` without the scopes no rule names: a smaller cache key."""
        scopes = state.scopes & self.scopes
        return (
            state if scopes == state.scopes else AuthState(state.authenticated, scopes)
        )


def _directives(named: GraphQLNamedType) -> list[Any]:
    nodes = [named.ast_node, *(named.extension_ast_nodes or ())]
    return _directive_nodes(n for n in nodes if n is not None)


def _directive_nodes(nodes: Iterable[Any]) -> list[Any]:
    return [d for node in nodes for d in getattr(node, "directives", None) or ()]


def _requirement(directives: list[Any], names: Mapping[str, str]) -> Requirement | None:
    authenticated = policy = False
    scopes: list[frozenset[str]] | None = None
    for directive in directives:
        spec = names.get(directive.name.value)
        if spec == "authenticated":
            authenticated = True
        elif spec == "policy":
            policy = True
        elif spec == "requiresScopes":
            alternatives = _scope_alternatives(directive)
            # Two applications (not repeatable, but be safe): both must hold.
            scopes = (
                alternatives
                if scopes is None
                else [a | b for a in scopes for b in alternatives]
            )
    if not (authenticated or policy or scopes is not None):
        return None
    return Requirement(authenticated, None if scopes is None else tuple(scopes), policy)


def _scope_alternatives(directive: Any) -> list[frozenset[str]]:
    for argument in directive.arguments or ():
        if argument.name.value == "scopes":
            value = value_from_ast_untyped(argument.value)
            groups = value if isinstance(value, list) else [value]
            if not groups:  # no alternative listed: nothing required (Apollo's rule)
                return [frozenset()]
            return [
                frozenset(
                    str(s) for s in (group if isinstance(group, list) else [group])
                )
                for group in groups
            ]
    return [frozenset()]
