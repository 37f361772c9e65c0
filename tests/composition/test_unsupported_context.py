"""`@context`/`@fromContext` are not composed yet: a subgraph using them is refused with
UNSUPPORTED_FEATURE naming each directive, instead of a supergraph that shows clients the
argument `@fromContext` should fill and never fills it. (Apollo composes them; this is a
known gap, not a difference of opinion.)"""

from __future__ import annotations

from planner.composition import SubgraphInput, compose

SHOP = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.8",
  import: ["@key", "@context", "@fromContext"])
type Query { store: Store }
type Store @key(fields: "id") @context(name: "storeCtx") {
  id: ID!
  currency: String!
  product: Product
}
type Product @key(fields: "sku") {
  sku: String!
  price(currency: String @fromContext(field: "$storeCtx { currency }")): Int
}
"""


def test_context_directives_are_refused_with_a_coded_error_naming_them() -> None:
    result = compose([SubgraphInput("shop", "http://shop/graphql", SHOP)])
    assert result.supergraph_sdl is None
    assert [e.code for e in result.errors] == ["UNSUPPORTED_FEATURE"] * 2
    messages = " ".join(e.message for e in result.errors)
    assert "[shop] @context is not supported" in messages
    assert "[shop] @fromContext is not supported" in messages
