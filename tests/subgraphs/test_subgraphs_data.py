"""The example data: large enough to plan and benchmark against, and deterministic."""

from __future__ import annotations

QUERIES = {
    "users": "{ users(first: 1000) { id username name email address { street city } } }",
    "products": "{ topProducts(first: 1000) { upc sku package name price weight"
    " item { __typename id title ... on Book { author pages }"
    " ... on Furniture { material color } } } }",
    "reviews": "{ latestReviews(first: 100000) { id body rating product { upc }"
    " author { id username } } }",
    "orders": "{ recentOrders(first: 100000) { id status user { id }"
    " lines { product { upc } quantity } shippingAddress { postalCode } } }",
}
INVENTORY = (
    [{"__typename": "Product", "upc": f"UPC-{n:04d}"} for n in range(1, 401)],
    "... on Product { upc stockCount inStock }",
)


def test_catalogue_has_hundreds_of_products_with_unique_keys(subgraphs):
    products = subgraphs["products"].data(QUERIES["products"])["topProducts"]
    assert len(products) >= 300
    assert len({p["upc"] for p in products}) == len(products)
    assert len({(p["sku"], p["package"]) for p in products}) == len(products)
    assert {p["item"]["__typename"] for p in products} == {"Book", "Furniture"}


def test_thousands_of_reviews_spread_over_products_and_users(subgraphs):
    reviews = subgraphs["reviews"].data(QUERIES["reviews"])["latestReviews"]
    assert len(reviews) >= 2000
    assert len({r["product"]["upc"] for r in reviews}) >= 300
    assert len({r["author"]["id"] for r in reviews}) >= 300
    assert {r["rating"] for r in reviews} == {1, 2, 3, 4, 5}


def test_hundreds_of_users_and_a_thousand_orders(subgraphs):
    users = subgraphs["users"].data(QUERIES["users"])["users"]
    orders = subgraphs["orders"].data(QUERIES["orders"])["recentOrders"]
    assert len(users) >= 300
    assert len(orders) >= 1000


def test_two_processes_serve_identical_data(subgraphs, start_subgraphs):
    fresh = start_subgraphs(*QUERIES, "inventory")
    for name, query in QUERIES.items():
        assert fresh[name].data(query) == subgraphs[name].data(query), name
    assert fresh["inventory"].entities(*INVENTORY) == subgraphs["inventory"].entities(
        *INVENTORY
    )
