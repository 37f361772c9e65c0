"""`@authenticated` and `@requiresScopes` carried into the supergraph as Apollo does.

Our supergraph must equal `@apollo/composition`'s byte for byte for subgraphs using the
authorization directives (links `for: SECURITY`, definitions, the scope scalar, and
requirements merged across subgraphs), and the merged scopes follow Apollo's DNF rule.
"""

from __future__ import annotations

import difflib

import pytest
from support.oracle import compose_with_apollo

from planner.composition import SubgraphInput, compose
from planner.composition.authorization import dnf_conjunction

ACCOUNTS = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5",
  import: ["@key", "@shareable", "@tag", "@inaccessible", "@authenticated", "@requiresScopes"])
type Query {
  me: User @authenticated @tag(name: "x")
  users: [User!]! @shareable @requiresScopes(scopes: [["read:users"], ["admin"]])
}
type User @key(fields: "id") @requiresScopes(scopes: [["u"]]) {
  id: ID!
  name: String @inaccessible
  secret: String @requiresScopes(scopes: [["s1", "s2"]]) @authenticated
}
enum Level @authenticated { LOW HIGH }
scalar Money @requiresScopes(scopes: [["m"]])
type Thing @key(fields: "id") { id: ID! level: Level money: Money }
"""

PROFILES = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5",
  import: ["@key", "@shareable", "@requiresScopes", "@authenticated"])
type Query {
  users: [User!]! @shareable @requiresScopes(scopes: [["read:profiles"], ["admin"]])
}
type User @key(fields: "id") @authenticated @requiresScopes(scopes: [["v"]]) {
  id: ID!
  email: String
}
"""

VAULT = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5",
  import: ["@key", "@authenticated", "@requiresScopes"])
type Query {
  report: Report
  note: String @requiresScopes(scopes: [["read:a", "read:b"], ["admin"]])
}
type Report @requiresScopes(scopes: [["z", "a"]]) { title: String! @authenticated }
"""

CASES = {
    "merged-across-subgraphs": [("accounts", ACCOUNTS), ("profiles", PROFILES)],
    "single-subgraph-kept-as-written": [("vault", VAULT)],
}


@pytest.mark.oracle
@pytest.mark.parametrize("name", sorted(CASES))
def test_supergraph_with_authorization_directives_equals_apollos(name: str) -> None:
    subgraphs = [
        SubgraphInput(n, f"http://{n}.invalid/graphql", sdl) for n, sdl in CASES[name]
    ]
    (apollo,) = compose_with_apollo(
        [[{"name": s.name, "url": s.url, "sdl": s.sdl} for s in subgraphs]]
    )
    assert apollo["supergraph"] is not None, apollo["errors"]
    ours = compose(subgraphs)
    assert ours.supergraph_sdl is not None, ours.errors
    expected = apollo["supergraph"].rstrip("\n") + "\n"
    actual = ours.supergraph_sdl.rstrip("\n") + "\n"
    assert actual == expected, "".join(
        difflib.unified_diff(
            expected.splitlines(True), actual.splitlines(True), "apollo", "ours"
        )
    )


def test_scopes_of_several_subgraphs_are_anded_and_simplified() -> None:
    assert dnf_conjunction(
        [[["read:users"], ["admin"]], [["read:profiles"], ["admin"]]]
    ) == [["admin"], ["read:profiles", "read:users"]]
    assert dnf_conjunction([[["b", "a"]], [["c"]]]) == [["a", "b", "c"]]
    # An empty formula is "true": it adds no requirement.
    assert dnf_conjunction([[], [["x"]]]) == [["x"]]


def test_scopes_and_policies_written_without_list_brackets_still_protect() -> None:
    """GraphQL input coercion makes `scopes: "b"` mean `[["b"]]` and `["c", "d"]` mean
    `[["c"], ["d"]]`: the requirement must reach the supergraph (the router enforces it),
    not vanish and leave the field open. (Apollo prints them as written; we print the
    coerced form, which means the same.)"""
    from planner.authorization import AuthorizationRules, AuthState
    from planner.supergraph import load_supergraph

    sdl = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.6",
  import: ["@requiresScopes", "@policy"])
type Query {
  one: String @requiresScopes(scopes: "b")
  either: String @requiresScopes(scopes: ["c", "d"])
  guarded: String @policy(policies: "p")
}
"""
    result = compose([SubgraphInput("vault", "http://vault/graphql", sdl)])
    assert result.supergraph_sdl is not None, result.errors
    printed = result.supergraph_sdl
    assert 'one: String @requiresScopes(scopes: [["b"]])' in printed
    assert 'either: String @requiresScopes(scopes: [["c"], ["d"]])' in printed
    assert 'guarded: String @policy(policies: [["p"]])' in printed
    rules = AuthorizationRules.from_supergraph(load_supergraph(printed))
    assert rules is not None
    assert rules.field_allows("Query", "one", AuthState(True, frozenset({"b"})))
    assert not rules.field_allows("Query", "one", AuthState(True, frozenset()))
    assert rules.field_allows("Query", "either", AuthState(True, frozenset({"d"})))
    assert not rules.field_allows("Query", "guarded", AuthState(True, frozenset({"p"})))
