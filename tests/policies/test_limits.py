"""`limits`: Apollo's operation limits, checked before planning, over HTTP."""

from __future__ import annotations

from collections.abc import Callable

from policy_harness import Router, post

LIMITS = """
limits:
  max_depth: 3
  max_height: 6
  max_aliases: 1
  max_root_fields: 2
"""


def codes(reply_body: dict[str, object]) -> list[str]:
    errors = reply_body.get("errors") or []
    assert isinstance(errors, list)
    return [e["extensions"]["code"] for e in errors]


def test_operation_within_every_limit_is_served(
    module_router_with: Callable[..., Router],
) -> None:
    router = module_router_with(LIMITS)
    reply = post(router, "{ topProducts(first: 1) { upc reviews { body } } }")
    assert reply.status == 200, reply.body
    assert reply.json()["data"]["topProducts"][0]["reviews"] is not None


def test_depth_counts_fields_through_fragments(
    module_router_with: Callable[..., Router],
) -> None:
    router = module_router_with(LIMITS)
    query = """
      { topProducts(first: 1) { ...P } }
      fragment P on Product { reviews { author { ... on User { username } } } }
    """
    reply = post(router, query)
    assert reply.status == 400
    assert codes(reply.json()) == ["MAX_DEPTH_LIMIT"]
    assert "data" not in reply.json()


def test_height_counts_distinct_fields_and_aliased_duplicates(
    module_router_with: Callable[..., Router],
) -> None:
    router = module_router_with(LIMITS)
    # topProducts, upc, name, price, weight, inStock and the alias u2: 7 fields.
    reply = post(router, "{ topProducts { upc name price weight inStock u2: upc } }")
    assert reply.status == 400
    assert codes(reply.json()) == ["MAX_HEIGHT_LIMIT"]
    # The same field repeated merges: 6 distinct fields pass.
    ok = post(router, "{ topProducts { upc name price weight upc name } }")
    assert ok.status == 200, ok.body


def test_aliases_and_root_fields_each_have_their_code(
    module_router_with: Callable[..., Router],
) -> None:
    router = module_router_with(LIMITS)
    reply = post(router, "{ a: topProducts { upc } b: me { id } c: me { id } }")
    assert reply.status == 400
    assert sorted(codes(reply.json())) == ["MAX_ALIASES_LIMIT", "MAX_ROOT_FIELDS_LIMIT"]
    # Still serving afterwards.
    assert post(router).status == 200


def test_warn_only_serves_the_operation(
    module_router_with: Callable[..., Router],
) -> None:
    router = module_router_with(LIMITS + "  warn_only: true\n")
    reply = post(router, "{ a: topProducts { upc } b: me { id } c: me { id } }")
    assert reply.status == 200, reply.body
    assert reply.json()["data"]["c"]["id"]


def test_deep_nesting_is_refused_without_recursing(
    module_router_with: Callable[..., Router],
) -> None:
    router = module_router_with("limits:\n  parser_max_recursion: 50\n  max_depth: 3\n")
    deep = "{ topProducts " + "{ reviews " * 3000 + "}" * 3001
    reply = post(router, deep)
    assert reply.status == 400
    assert codes(reply.json()) == ["GRAPHQL_PARSE_FAILED"]
    assert "recursion limit" in reply.json()["errors"][0]["message"]
    # Under the parser's limit but over max_depth: refused by the operation limit,
    # whose walk keeps no Python recursion either.
    nested = "{ topProducts { reviews { product { reviews { body } } } } }"
    assert codes(post(router, nested).json()) == ["MAX_DEPTH_LIMIT"]
    assert post(router).status == 200
