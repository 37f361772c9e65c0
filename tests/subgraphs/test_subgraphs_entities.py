"""Entity resolution through `_entities`, the way a router enters each subgraph."""

from __future__ import annotations

PRODUCT_FIELDS = "... on Product { upc sku package name price weight }"


def test_users_resolve_user_by_id_and_null_for_unknown(subgraphs):
    users = subgraphs["users"]
    got = users.entities(
        [{"__typename": "User", "id": "2"}, {"__typename": "User", "id": "100000"}],
        "... on User { id username email }",
    )
    assert got == [
        {"id": "2", "username": "alan2", "email": "alan2@example.com"},
        None,
    ]


def test_users_root_fields(subgraphs):
    data = subgraphs["users"].data(
        '{ me { id } user(id: "7") { id username } users(first: 3) { id } }'
    )
    assert data["me"] == {"id": "1"}
    assert data["user"] == {"id": "7", "username": "frances7"}
    assert [u["id"] for u in data["users"]] == ["1", "2", "3"]


def test_products_resolve_product_by_upc(subgraphs):
    got = subgraphs["products"].entities(
        [{"__typename": "Product", "upc": "UPC-0006"}], PRODUCT_FIELDS
    )
    assert got[0]["upc"] == "UPC-0006"
    assert (got[0]["sku"], got[0]["package"]) == ("SKU-002", "pair")


def test_products_resolve_the_same_product_by_sku_and_package(subgraphs):
    products = subgraphs["products"]
    by_upc = products.entities(
        [{"__typename": "Product", "upc": "UPC-0006"}], PRODUCT_FIELDS
    )
    by_compound_key = products.entities(
        [{"__typename": "Product", "sku": "SKU-002", "package": "pair"}],
        PRODUCT_FIELDS,
    )
    assert by_compound_key == by_upc


def test_products_resolve_unknown_keys_to_null(subgraphs):
    got = subgraphs["products"].entities(
        [
            {"__typename": "Product", "upc": "UPC-9999"},
            {"__typename": "Product", "sku": "SKU-001", "package": "pallet"},
        ],
        "... on Product { upc }",
    )
    assert got == [None, None]


def test_products_resolve_entity_interface_representation_to_concrete_type(subgraphs):
    got = subgraphs["products"].entities(
        [
            {"__typename": "ProductItem", "id": "book-1"},
            {"__typename": "ProductItem", "id": "furniture-4"},
        ],
        "__typename ... on ProductItem { id product { upc } }"
        " ... on Book { author } ... on Furniture { material }",
    )
    assert [g["__typename"] for g in got] == ["Book", "Furniture"]
    assert [g["product"]["upc"] for g in got] == ["UPC-0001", "UPC-0004"]
    assert got[0]["author"] and got[1]["material"]


def test_products_resolve_book_and_furniture_by_their_own_typename(subgraphs):
    got = subgraphs["products"].entities(
        [
            {"__typename": "Book", "id": "book-2"},
            {"__typename": "Furniture", "id": "furniture-5"},
            {"__typename": "Book", "id": "furniture-5"},
        ],
        "__typename ... on ProductItem { id }",
    )
    assert got == [
        {"__typename": "Book", "id": "book-2"},
        {"__typename": "Furniture", "id": "furniture-5"},
        None,
    ]


def test_products_search_returns_union_members(subgraphs):
    data = subgraphs["products"].data(
        '{ byCode: search(text: "SKU-003") { __typename ... on Product { upc } }'
        ' byWord: search(text: "walnut", first: 2) { __typename'
        " ... on Furniture { material } } }"
    )
    assert data["byCode"] == [
        {"__typename": "Product", "upc": f"UPC-{n:04d}"} for n in range(9, 13)
    ]
    assert data["byWord"] == [{"__typename": "Furniture", "material": "Walnut"}] * 2


def test_products_still_serve_an_impossible_stock_count_after_the_override(subgraphs):
    data = subgraphs["products"].data('{ product(upc: "UPC-0001") { stockCount } }')
    assert data["product"]["stockCount"] == -1


def test_reviews_resolve_review_product_and_user_entities(subgraphs):
    got = subgraphs["reviews"].entities(
        [
            {"__typename": "Review", "id": "review-1"},
            {"__typename": "Product", "upc": "UPC-0001"},
            {"__typename": "User", "id": "1"},
        ],
        "__typename ... on Review { id rating product { upc } }"
        " ... on Product { reviews { id product { upc } } }"
        " ... on User { reviews { id author { id } } }",
    )
    review, product, user = got
    assert review["id"] == "review-1" and 1 <= review["rating"] <= 5
    assert product["reviews"]
    assert {r["product"]["upc"] for r in product["reviews"]} == {"UPC-0001"}
    assert {r["author"]["id"] for r in user["reviews"]} == {"1"}


def test_review_author_provides_the_username_users_would_give(subgraphs):
    reviews = subgraphs["reviews"].data(
        "{ latestReviews(first: 20) { author { id username } } }"
    )["latestReviews"]
    authors = {r["author"]["id"]: r["author"]["username"] for r in reviews}
    from_users = subgraphs["users"].entities(
        [{"__typename": "User", "id": id_} for id_ in authors],
        "... on User { id username }",
    )
    assert {u["id"]: u["username"] for u in from_users} == authors


def test_reviews_resolve_interface_object_representations(subgraphs):
    got = subgraphs["reviews"].entities(
        [
            {"__typename": "ProductItem", "id": "book-1"},
            {"__typename": "ProductItem", "id": "furniture-4"},
            {"__typename": "ProductItem", "id": "book-4"},
        ],
        "__typename ... on ProductItem { id reviewCount averageRating"
        " topReview { rating product { upc } } }",
    )
    assert [g and g["__typename"] for g in got] == ["ProductItem", "ProductItem", None]
    book = got[0]
    assert book["reviewCount"] > 0
    assert 1 <= book["averageRating"] <= 5
    assert book["topReview"]["product"] == {"upc": "UPC-0001"}
    assert book["topReview"]["rating"] >= book["averageRating"]


def test_inventory_computes_shipping_estimate_from_representation(subgraphs):
    got = subgraphs["inventory"].entities(
        [
            {"__typename": "Product", "upc": "UPC-0001", "price": 1000, "weight": 2000},
            {"__typename": "Product", "upc": "UPC-0001", "price": 1000, "weight": 50},
            {"__typename": "Product", "upc": "UPC-0001", "price": 100000, "weight": 9},
        ],
        "... on Product { upc shippingEstimate }",
    )
    assert [g["shippingEstimate"] for g in got] == [299 + 200, 299 + 5, 0]


def test_inventory_shipping_estimate_without_required_fields_is_an_error(subgraphs):
    result = subgraphs["inventory"].query(
        "query($r: [_Any!]!) { _entities(representations: $r)"
        " { ... on Product { upc shippingEstimate } } }",
        {"r": [{"__typename": "Product", "upc": "UPC-0001"}]},
    )
    assert result["data"]["_entities"] == [
        {"upc": "UPC-0001", "shippingEstimate": None}
    ]
    assert result["errors"][0]["path"] == ["_entities", 0, "shippingEstimate"]


def test_inventory_owns_stock_count_and_in_stock_follows_it(subgraphs):
    got = subgraphs["inventory"].entities(
        [{"__typename": "Product", "upc": f"UPC-{n:04d}"} for n in range(1, 41)],
        "... on Product { stockCount inStock }",
    )
    assert all(g["stockCount"] >= 0 for g in got)
    assert all(g["inStock"] == (g["stockCount"] > 0) for g in got)
    assert {g["inStock"] for g in got} == {True, False}


def test_orders_resolve_order_and_user_entities(subgraphs):
    got = subgraphs["orders"].entities(
        [{"__typename": "Order", "id": "order-1"}, {"__typename": "User", "id": "1"}],
        "__typename ... on Order { id status user { id } lines { product { upc }"
        " quantity } } ... on User { orders { id user { id } } }",
    )
    order, user = got
    assert order["id"] == "order-1" and order["lines"]
    assert all(line["quantity"] >= 1 for line in order["lines"])
    assert user["orders"]
    assert {o["user"]["id"] for o in user["orders"]} == {"1"}


def test_shareable_address_is_identical_in_users_and_orders(subgraphs):
    representations = [{"__typename": "User", "id": str(n)} for n in range(1, 51)]
    selection = "... on User { id address { street city postalCode country } }"
    from_users = subgraphs["users"].entities(representations, selection)
    from_orders = subgraphs["orders"].entities(representations, selection)
    assert from_orders == from_users
    assert len({u["address"]["street"] for u in from_users}) > 10


def test_order_shipping_address_is_the_users_address(subgraphs):
    order = subgraphs["orders"].data(
        '{ order(id: "order-1") { user { id } shippingAddress { street city } } }'
    )["order"]
    user = subgraphs["users"].data(
        "query($id: ID!) { user(id: $id) { address { street city } } }",
        {"id": order["user"]["id"]},
    )["user"]
    assert order["shippingAddress"] == user["address"]
