"""`headers`: request rules reaching subgraphs, response rules reaching clients."""

from __future__ import annotations

import json
from collections.abc import Callable

from policy_harness import Router, post, proxy_for

ME = "{ me { id username } }"
PRODUCTS_THEN_REVIEWS = "{ topProducts(first: 1) { upc reviews { body } } }"


def test_request_rules_propagate_rename_default_insert_remove(
    subgraphs: dict[str, str], router_with: Callable[..., Router]
) -> None:
    rules = """
headers:
  all:
    request:
      - propagate: { named: Authorization }
      - propagate: { named: X-Tenant, rename: X-Org, default: none }
      - propagate: { named: X-Missing, default: fallback }
      - propagate: { matching: "^x-trace-" }
      - insert: { name: X-Router, value: pyfed }
      - remove: { named: X-Trace-Secret }
  subgraphs:
    users:
      request:
        - insert: { name: X-Only-Users, value: "yes" }
"""
    with proxy_for(subgraphs["users"], []) as users:
        router = router_with(rules, {"users": users.url})
        reply = post(
            router,
            ME,
            headers={
                "Authorization": "Bearer abc",
                "X-Tenant": "acme",
                "X-Trace-Id": "t-1",
                "X-Trace-Secret": "s",
                "X-Other": "not propagated",
            },
        )
        assert reply.status == 200, reply.body
        sent = users.last()
    assert sent["authorization"] == "Bearer abc"
    assert sent["x-org"] == "acme" and "x-tenant" not in sent
    assert sent["x-missing"] == "fallback"
    assert sent["x-trace-id"] == "t-1"
    assert "x-trace-secret" not in sent
    assert sent["x-router"] == "pyfed"
    assert sent["x-only-users"] == "yes"
    assert "x-other" not in sent


def test_hop_by_hop_and_content_headers_are_never_propagated(
    subgraphs: dict[str, str], router_with: Callable[..., Router]
) -> None:
    rules = """
headers:
  all:
    request:
      - propagate: { matching: ".*" }
      - propagate: { named: Content-Length }
"""
    with proxy_for(subgraphs["users"], []) as users:
        router = router_with(rules, {"users": users.url})
        reply = post(router, ME, headers={"TE": "trailers", "X-Keep": "1"})
        assert reply.status == 200, reply.body
        sent = users.last()
    assert sent["x-keep"] == "1"
    assert sent["content-type"] == "application/json"
    assert "te" not in sent and "upgrade" not in sent
    # The subgraph request's own length, not the client's.
    assert int(sent["content-length"]) != len(json.dumps({"query": ME}).encode())


def test_response_rules_first_write_last_write_append(
    subgraphs: dict[str, str], router_with: Callable[..., Router]
) -> None:
    rules = """
headers:
  all:
    response:
      - propagate: { named: X-Served-By, algorithm: append }
      - propagate: { named: X-First, algorithm: first_write }
      - propagate: { named: X-Last, algorithm: last_write }
      - propagate: { named: Content-Type }
  subgraphs:
    reviews:
      response:
        - propagate: { named: X-Reviews-Only, rename: X-Reviews }
"""
    with (
        proxy_for(
            subgraphs["products"],
            [("X-Served-By", "products"), ("X-First", "p"), ("X-Last", "p")],
        ) as products,
        proxy_for(
            subgraphs["reviews"],
            [
                ("X-Served-By", "reviews"),
                ("X-First", "r"),
                ("X-Last", "r"),
                ("X-Reviews-Only", "1"),
                ("Content-Type", "text/evil"),
            ],
        ) as reviews,
    ):
        router = router_with(rules, {"products": products.url, "reviews": reviews.url})
        reply = post(router, PRODUCTS_THEN_REVIEWS)
    assert reply.status == 200, reply.body
    # products is fetched first, then reviews (a Sequence in the plan).
    assert reply.headers["x-served-by"] == "products, reviews"
    assert reply.headers["x-first"] == "p"
    assert reply.headers["x-last"] == "r"
    assert reply.headers["x-reviews"] == "1"
    assert reply.headers["content-type"].startswith("application/graphql-response+json")
