"""Real data through `router serve`, one test per planner scenario category.

Each expectation is built from the subgraph that owns the data, asked directly (root
fields, or `_entities` with the representations a router would send), in the client
query's field order. Responses are compared as JSON text, so a field out of order, a
missing one, or one the planner added (a key, a `__typename`, a @requires input) fails.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

Ask = Callable[..., Any]


def assert_same_json(actual: Any, expected: Any) -> None:
    """Equal values with keys in the same order (the order the client asked for)."""
    assert json.dumps(actual, indent=1) == json.dumps(expected, indent=1)


def entities(
    ask_subgraph: Ask,
    subgraph: str,
    representations: list[dict[str, Any]],
    selection: str,
) -> list[Any]:
    """What `subgraph` answers for `representations`, one object per representation."""
    typename = representations[0]["__typename"] if representations else "Query"
    data = ask_subgraph(
        subgraph,
        "query($r: [_Any!]!) { _entities(representations: $r) "
        f"{{ ... on {typename} {{ {selection} }} }} }}",
        {"r": representations},
    )
    found: list[Any] = data["_entities"]
    assert len(found) == len(representations)
    return found


def data_of(response: dict[str, Any]) -> Any:
    assert "errors" not in response, response["errors"]
    return response["data"]


# --- entity joins ---------------------------------------------------------------------


def test_entity_joins_across_three_subgraphs_in_nested_lists(
    ask_router: Ask, ask_subgraph: Ask
) -> None:
    response = ask_router(
        "{ topProducts(first: 4) { name reviews { rating author { name address "
        "{ city } } } upc } }"
    )

    products = ask_subgraph("products", "{ topProducts(first: 4) { upc name } }")[
        "topProducts"
    ]
    reviews = entities(
        ask_subgraph,
        "reviews",
        [{"__typename": "Product", "upc": p["upc"]} for p in products],
        "reviews { rating author { id } }",
    )
    author_ids = sorted(
        {r["author"]["id"] for found in reviews for r in found["reviews"]}, key=int
    )
    users = dict(
        zip(
            author_ids,
            entities(
                ask_subgraph,
                "users",
                [{"__typename": "User", "id": i} for i in author_ids],
                "name address { city }",
            ),
            strict=True,
        )
    )
    expected = [
        {
            "name": product["name"],
            "reviews": [
                {
                    "rating": review["rating"],
                    "author": {
                        "name": users[review["author"]["id"]]["name"],
                        "address": users[review["author"]["id"]]["address"],
                    },
                }
                for review in found["reviews"]
            ],
            "upc": product["upc"],
        }
        for product, found in zip(products, reviews, strict=True)
    ]
    assert sum(len(p["reviews"]) for p in expected) >= 8  # real nesting, real joins
    assert_same_json(data_of(response), {"topProducts": expected})


def test_four_subgraph_chain_orders_users_reviews_products(
    ask_router: Ask, ask_subgraph: Ask
) -> None:
    response = ask_router(
        "{ recentOrders(first: 3) { id user { name reviews { rating product "
        "{ name } } } } }"
    )

    orders = ask_subgraph("orders", "{ recentOrders(first: 3) { id user { id } } }")[
        "recentOrders"
    ]
    user_reps = [{"__typename": "User", "id": o["user"]["id"]} for o in orders]
    names = entities(ask_subgraph, "users", user_reps, "name")
    reviews = entities(
        ask_subgraph, "reviews", user_reps, "reviews { rating product { upc } }"
    )
    upcs = sorted({r["product"]["upc"] for u in reviews for r in u["reviews"]})
    product_names = dict(
        zip(
            upcs,
            (
                p["name"]
                for p in entities(
                    ask_subgraph,
                    "products",
                    [{"__typename": "Product", "upc": u} for u in upcs],
                    "name",
                )
            ),
            strict=True,
        )
    )
    expected = [
        {
            "id": order["id"],
            "user": {
                "name": name["name"],
                "reviews": [
                    {
                        "rating": r["rating"],
                        "product": {"name": product_names[r["product"]["upc"]]},
                    }
                    for r in found["reviews"]
                ],
            },
        }
        for order, name, found in zip(orders, names, reviews, strict=True)
    ]
    assert_same_json(data_of(response), {"recentOrders": expected})


# --- @requires, @provides, @override ---------------------------------------------------


def test_requires_sends_price_and_weight_but_returns_only_the_estimate(
    ask_router: Ask, ask_subgraph: Ask
) -> None:
    response = ask_router("{ topProducts(first: 5) { shippingEstimate upc } }")

    products = ask_subgraph(
        "products", "{ topProducts(first: 5) { upc price weight } }"
    )["topProducts"]
    estimates = entities(
        ask_subgraph,
        "inventory",
        [{"__typename": "Product", **p} for p in products],
        "shippingEstimate",
    )
    expected = [
        {"shippingEstimate": e["shippingEstimate"], "upc": p["upc"]}
        for p, e in zip(products, estimates, strict=True)
    ]
    assert any(e["shippingEstimate"] for e in expected)
    assert_same_json(data_of(response), {"topProducts": expected})


def test_provides_username_comes_with_the_review(
    ask_router: Ask, ask_subgraph: Ask
) -> None:
    query = "{ latestReviews(first: 6) { id author { username } } }"
    response = ask_router(query)

    from_reviews = ask_subgraph("reviews", query)
    author_ids = [
        r["author"]["id"]
        for r in ask_subgraph(
            "reviews", "{ latestReviews(first: 6) { author { id } } }"
        )["latestReviews"]
    ]
    from_users = entities(
        ask_subgraph,
        "users",
        [{"__typename": "User", "id": i} for i in author_ids],
        "username",
    )
    assert_same_json(data_of(response), from_reviews)
    assert [r["author"]["username"] for r in from_reviews["latestReviews"]] == [
        u["username"] for u in from_users
    ]


def test_override_takes_stock_count_from_inventory_not_products(
    ask_router: Ask, ask_subgraph: Ask
) -> None:
    response = ask_router('{ product(upc: "UPC-0042") { upc stockCount inStock } }')

    (stock,) = entities(
        ask_subgraph,
        "inventory",
        [{"__typename": "Product", "upc": "UPC-0042"}],
        "stockCount inStock",
    )
    (old,) = entities(
        ask_subgraph,
        "products",
        [{"__typename": "Product", "upc": "UPC-0042"}],
        "stockCount",
    )
    assert old["stockCount"] == -1  # what products still answers
    assert_same_json(data_of(response), {"product": {"upc": "UPC-0042", **stock}})


# --- abstract types --------------------------------------------------------------------


def test_union_search_resolves_each_member_across_subgraphs(
    ask_router: Ask, ask_subgraph: Ask
) -> None:
    members = (
        "... on Product { upc stockCount } "
        "... on Book { title reviewCount } "
        "... on Furniture { material averageRating }"
    )
    texts = {"p": "SKU-099", "b": "lantern", "f": "oak"}
    response = ask_router(
        "{ "
        + " ".join(
            f'{alias}: search(text: "{text}", first: 3) {{ __typename {members} }}'
            for alias, text in texts.items()
        )
        + " }"
    )

    expected: dict[str, list[dict[str, Any]]] = {}
    for alias, text in texts.items():
        hits = ask_subgraph(
            "products",
            f'{{ search(text: "{text}", first: 3) {{ __typename '
            "... on Product { upc } ... on Book { id title } "
            "... on Furniture { id material } } }",
        )["search"]
        expected[alias] = [_search_hit(ask_subgraph, hit) for hit in hits]
    kinds = {alias: {h["__typename"] for h in hits} for alias, hits in expected.items()}
    assert kinds == {"p": {"Product"}, "b": {"Book"}, "f": {"Furniture"}}
    assert_same_json(data_of(response), expected)


def _search_hit(ask_subgraph: Ask, hit: dict[str, Any]) -> dict[str, Any]:
    """The router's answer for one search hit, from products plus the owning subgraph."""
    if hit["__typename"] == "Product":
        (extra,) = entities(
            ask_subgraph,
            "inventory",
            [{"__typename": "Product", "upc": hit["upc"]}],
            "stockCount",
        )
        return {"__typename": "Product", "upc": hit["upc"], **extra}
    own, field = (
        ("title", "reviewCount")
        if hit["__typename"] == "Book"
        else ("material", "averageRating")
    )
    (extra,) = entities(
        ask_subgraph,
        "reviews",
        [{"__typename": "ProductItem", "id": hit["id"]}],
        field,
    )
    return {"__typename": hit["__typename"], own: hit[own], field: extra[field]}


def test_interface_list_with_type_conditions_and_entity_fields(
    ask_router: Ask, ask_subgraph: Ask
) -> None:
    response = ask_router(
        "{ productItems(first: 6) { id ... on Book { pages } "
        "... on Furniture { color } product { upc inStock } title } }"
    )

    items = ask_subgraph(
        "products",
        "{ productItems(first: 6) { __typename id title ... on Book { pages } "
        "... on Furniture { color } product { upc } } }",
    )["productItems"]
    assert {i["__typename"] for i in items} == {"Book", "Furniture"}
    stock = entities(
        ask_subgraph,
        "inventory",
        [{"__typename": "Product", "upc": i["product"]["upc"]} for i in items],
        "inStock",
    )
    expected = []
    for item, found in zip(items, stock, strict=True):
        entry: dict[str, Any] = {"id": item["id"]}
        if item["__typename"] == "Book":
            entry["pages"] = item["pages"]
        else:
            entry["color"] = item["color"]
        entry["product"] = {"upc": item["product"]["upc"], **found}
        entry["title"] = item["title"]
        expected.append(entry)
    assert_same_json(data_of(response), {"productItems": expected})


def test_interface_object_fields_come_from_reviews(
    ask_router: Ask, ask_subgraph: Ask
) -> None:
    response = ask_router(
        "{ productItems(first: 5) { __typename id reviewCount topReview { rating } } "
        'item(id: "furniture-65") { ... on Furniture { material reviewCount } } }'
    )

    items = ask_subgraph("products", "{ productItems(first: 5) { __typename id } }")[
        "productItems"
    ]
    counts = entities(
        ask_subgraph,
        "reviews",
        [{"__typename": "ProductItem", "id": i["id"]} for i in items]
        + [{"__typename": "ProductItem", "id": "furniture-65"}],
        "reviewCount topReview { rating }",
    )
    furniture = ask_subgraph(
        "products", '{ item(id: "furniture-65") { ... on Furniture { material } } }'
    )["item"]
    expected = {
        "productItems": [
            {**item, **found} for item, found in zip(items, counts, strict=False)
        ],
        "item": {**furniture, "reviewCount": counts[-1]["reviewCount"]},
    }
    assert any(i["reviewCount"] for i in expected["productItems"])
    assert_same_json(data_of(response), expected)


# --- fragments, aliases, variables, directives --------------------------------------


def test_named_inline_and_nested_fragments_match_the_plain_query(
    ask_router: Ask,
) -> None:
    with_fragments = ask_router(
        "query { topProducts(first: 3) { ...ProductParts } } "
        "fragment ProductParts on Product { upc ... on Product { stockCount } "
        "reviews { ...ReviewParts } } "
        "fragment ReviewParts on Review { id ... { author { ...UserParts } } } "
        "fragment UserParts on User { name ... on User { address { city } } }"
    )
    plain = ask_router(
        "{ topProducts(first: 3) { upc stockCount reviews { id author "
        "{ name address { city } } } } }"
    )

    assert data_of(plain)["topProducts"][0]["reviews"]
    assert_same_json(data_of(with_fragments), data_of(plain))


def test_aliases_including_one_field_twice_with_different_arguments(
    ask_router: Ask, ask_subgraph: Ask
) -> None:
    response = ask_router(
        "{ few: topProducts(first: 2) { code: upc left: stockCount } "
        "more: topProducts(first: 4) { upc inStock again: inStock } "
        'a: product(upc: "UPC-0001") { name } b: product(upc: "UPC-0002") { name } }'
    )

    def products(first: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = ask_subgraph(
            "products", f"{{ topProducts(first: {first}) {{ upc }} }}"
        )["topProducts"]
        return found

    few = products(2)
    more = products(4)
    few_stock = entities(
        ask_subgraph,
        "inventory",
        [{"__typename": "Product", **p} for p in few],
        "stockCount",
    )
    more_stock = entities(
        ask_subgraph,
        "inventory",
        [{"__typename": "Product", **p} for p in more],
        "inStock",
    )
    names = ask_subgraph(
        "products",
        '{ a: product(upc: "UPC-0001") { name } b: product(upc: "UPC-0002") { name } }',
    )
    expected = {
        "few": [
            {"code": p["upc"], "left": s["stockCount"]}
            for p, s in zip(few, few_stock, strict=True)
        ],
        "more": [
            {"upc": p["upc"], "inStock": s["inStock"], "again": s["inStock"]}
            for p, s in zip(more, more_stock, strict=True)
        ],
        **names,
    }
    assert names["a"] != names["b"]
    assert_same_json(data_of(response), expected)


def test_variable_defaults_and_a_variable_only_an_entity_fetch_uses(
    ask_router: Ask, ask_subgraph: Ask
) -> None:
    query = (
        "query($n: Int = 3, $withReviews: Boolean!) { topProducts(first: $n) "
        "{ upc reviews @include(if: $withReviews) { id } } }"
    )
    with_reviews = ask_router(query, {"withReviews": True})
    without = ask_router(query, {"withReviews": False, "n": 2})

    products = ask_subgraph("products", "{ topProducts(first: 3) { upc } }")[
        "topProducts"
    ]
    reviews = entities(
        ask_subgraph,
        "reviews",
        [{"__typename": "Product", **p} for p in products],
        "reviews { id }",
    )
    assert_same_json(
        data_of(with_reviews),
        {"topProducts": [{**p, **r} for p, r in zip(products, reviews, strict=True)]},
    )
    assert_same_json(data_of(without), {"topProducts": products[:2]})


def test_skip_and_include_on_cross_subgraph_branches(
    ask_router: Ask, ask_subgraph: Ask
) -> None:
    query = (
        "query($skipStock: Boolean!, $withItem: Boolean = true) { "
        'product(upc: "UPC-0007") { upc stockCount @skip(if: $skipStock) '
        "shippingEstimate @skip(if: true) inStock @include(if: false) "
        "... @include(if: $withItem) { item { id reviewCount } } "
        "reviews @skip(if: false) { id } } }"
    )
    everything = ask_router(query, {"skipStock": False})
    trimmed = ask_router(query, {"skipStock": True, "withItem": False})

    rep = [{"__typename": "Product", "upc": "UPC-0007"}]
    (stock,) = entities(ask_subgraph, "inventory", rep, "stockCount")
    (item,) = entities(ask_subgraph, "products", rep, "item { id }")
    (count,) = entities(
        ask_subgraph,
        "reviews",
        [{"__typename": "ProductItem", "id": item["item"]["id"]}],
        "reviewCount",
    )
    (reviews,) = entities(ask_subgraph, "reviews", rep, "reviews { id }")
    assert_same_json(
        data_of(everything),
        {
            "product": {
                "upc": "UPC-0007",
                **stock,
                "item": {"id": item["item"]["id"], **count},
                **reviews,
            }
        },
    )
    assert_same_json(data_of(trimmed), {"product": {"upc": "UPC-0007", **reviews}})


# --- mutations -------------------------------------------------------------------------


def test_mutations_run_in_order_and_a_later_query_sees_both(
    ask_router: Ask, ask_subgraph: Ask
) -> None:
    response = ask_router(
        "mutation($user: ID!) { "
        'first: placeOrder(userId: $user, lines: [{upc: "UPC-0003", quantity: 2}]) '
        "{ id status lines { quantity product { name } } user { name } } "
        'second: placeOrder(userId: $user, lines: [{upc: "UPC-0004"}]) '
        "{ id lines { quantity product { upc } } } }",
        {"user": "17"},
    )

    placed = data_of(response)
    first, second = placed["first"], placed["second"]
    assert int(second["id"].split("-")[1]) == int(first["id"].split("-")[1]) + 1
    (user,) = entities(
        ask_subgraph, "users", [{"__typename": "User", "id": "17"}], "name"
    )
    name = ask_subgraph("products", '{ product(upc: "UPC-0003") { name } }')
    assert_same_json(
        first,
        {
            "id": first["id"],
            "status": "PLACED",
            "lines": [{"quantity": 2, "product": name["product"]}],
            "user": user,
        },
    )
    assert_same_json(
        second,
        {
            "id": second["id"],
            "lines": [{"quantity": 1, "product": {"upc": "UPC-0004"}}],
        },
    )

    later = ask_router('{ user(id: "17") { orders { id lines { quantity } } } }')
    orders = ask_subgraph(
        "orders",
        'query { _entities(representations: [{__typename: "User", id: "17"}]) '
        "{ ... on User { orders { id lines { quantity } } } } }",
    )["_entities"][0]["orders"]
    assert [o["id"] for o in orders[-2:]] == [first["id"], second["id"]]
    assert_same_json(data_of(later), {"user": {"orders": orders}})
