"""Composing the authorization directives `@authenticated`, `@requiresScopes`, `@policy`.

Apollo's composition carries them from subgraphs into the supergraph, linked
`for: SECURITY` (https://specs.apollo.dev/authenticated/v0.1,
https://specs.apollo.dev/requiresScopes/v0.1, https://specs.apollo.dev/policy/v0.1).
An element that several subgraphs protect differently needs every requirement:
`@authenticated` anywhere makes it authenticated, and distinct `@requiresScopes` or
`@policy` lists are ANDed as formulas in disjunctive normal form (`dnf_conjunction`,
as `@apollo/federation-internals` does).
https://www.apollographql.com/docs/graphos/routing/security/authorization#composition-and-federation
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from graphql.language.print_string import print_string

__all__ = [
    "AUTHENTICATED_DEFINITION",
    "AUTHENTICATED_LINK",
    "POLICY_DEFINITION",
    "POLICY_LINK",
    "POLICY_SCALAR",
    "REQUIRES_SCOPES_DEFINITION",
    "REQUIRES_SCOPES_LINK",
    "SCOPE_SCALAR",
    "Scopes",
    "dnf_conjunction",
    "print_policies",
    "print_scopes",
]

Scopes = list[list[str]]

_LOCATIONS = "FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM"
AUTHENTICATED_LINK = (
    '@link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)'
)
REQUIRES_SCOPES_LINK = (
    '@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)'
)
AUTHENTICATED_DEFINITION = f"directive @authenticated on {_LOCATIONS}"
REQUIRES_SCOPES_DEFINITION = (
    f"directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on {_LOCATIONS}"
)
SCOPE_SCALAR = "scalar requiresScopes__Scope"
POLICY_LINK = '@link(url: "https://specs.apollo.dev/policy/v0.1", for: SECURITY)'
POLICY_DEFINITION = (
    f"directive @policy(policies: [[policy__Policy!]!]!) on {_LOCATIONS}"
)
POLICY_SCALAR = "scalar policy__Policy"


def _key(value: object) -> str:
    # JSON.stringify's form, which Apollo sorts and deduplicates by.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def dnf_conjunction(values: Sequence[Scopes]) -> Scopes:
    """The AND of DNF formulas (each an OR of ANDs), simplified: every combination of
    one alternative per formula, sorted, without duplicates or alternatives that a
    smaller one already implies. An empty formula means "true"."""
    if not values:
        return []
    seen: set[str] = set()
    formulas: list[Scopes] = []
    for value in values:
        formula = [sorted(inner) for inner in value] or [[]]
        formula.sort(key=_key)
        key = _key(formula)
        if key not in seen:
            seen.add(key)
            formulas.append(formula)
    result = formulas[0]
    for current in formulas[1:]:
        combined: Scopes = []
        keys: set[str] = set()
        for left in result:
            for right in current:
                candidate = sorted([*left, *(e for e in right if e not in left)])
                key = _key(candidate)
                if key not in keys:
                    keys.add(key)
                    combined.append(candidate)
        result = _drop_subsumed(combined)
    return result


def _drop_subsumed(values: Scopes) -> Scopes:
    kept: Scopes = []
    for candidate in sorted(values, key=len):
        members = set(candidate)
        if not any(all(e in members for e in smaller) for smaller in kept):
            kept.append(candidate)
    return kept


def print_scopes(applications: Sequence[Scopes]) -> str:
    """`@requiresScopes(...)` for the distinct applications a merged element got: one is
    printed as written, several are combined with `dnf_conjunction`."""
    return f"@requiresScopes(scopes: {_print_formula(applications)})"


def print_policies(applications: Sequence[Scopes]) -> str:
    """`@policy(...)`, merged as `print_scopes` merges `@requiresScopes`."""
    return f"@policy(policies: {_print_formula(applications)})"


def _print_formula(applications: Sequence[Scopes]) -> str:
    formula = (
        applications[0] if len(applications) == 1 else dnf_conjunction(applications)
    )
    inner = ", ".join(
        "[" + ", ".join(print_string(s) for s in group) + "]" for group in formula
    )
    return f"[{inner}]"
