"""Apollo's plans for the example graph, executed against the real subgraphs.

Each test runs one planner scenario end to end (execute, then shape) and checks the
client response: joined values against what the owning subgraph says directly, shape and
order against the query, and no planner-added field left over.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Query = Callable[..., Awaitable[Any]]


async def _names_by_user_id(subgraph_query: Query) -> dict[str, dict[str, str]]:
    data = await subgraph_query("users", "{ users(first: 500) { id name email } }")
    return {user["id"]: user for user in data["users"]}


async def test_entity_join_across_three_subgraphs_in_nested_lists(
    run_case: Any, subgraph_query: Query
) -> None:
    response = await run_case("three_subgraphs_nested_lists")

    assert "errors" not in response
    products = response["data"]["topProducts"]
    expected = await subgraph_query(
        "products", "{ topProducts(first: 4) { upc name } }"
    )
    assert [(p["upc"], p["name"]) for p in products] == [
        (p["upc"], p["name"]) for p in expected["topProducts"]
    ]
    users = await _names_by_user_id(subgraph_query)
    reviews = [review for product in products for review in product["reviews"]]
    assert len(reviews) > 4
    for product in products:
        assert list(product) == ["upc", "name", "reviews"]
    for review in reviews:
        assert list(review) == ["id", "body", "author"]
        assert list(review["author"]) == ["id", "name"]
        assert review["author"]["name"] == users[review["author"]["id"]]["name"]


async def test_requires_sends_fields_from_another_subgraph_and_hides_them(
    run_case: Any, subgraph_query: Query
) -> None:
    hidden = await run_case("requires_hidden_inputs")
    shown = await run_case("requires_with_inputs_selected")

    assert "errors" not in hidden and "errors" not in shown
    for product in hidden["data"]["topProducts"]:
        assert list(product) == ["upc", "shippingEstimate"]
    representations = [
        {
            "__typename": "Product",
            "upc": p["upc"],
            "price": p["price"],
            "weight": p["weight"],
        }
        for p in shown["data"]["topProducts"]
    ]
    expected = await subgraph_query(
        "inventory",
        "query($r: [_Any!]!) { _entities(representations: $r) "
        "{ ... on Product { shippingEstimate } } }",
        {"r": representations},
    )
    estimates = [e["shippingEstimate"] for e in expected["_entities"]]
    assert [p["shippingEstimate"] for p in hidden["data"]["topProducts"]] == estimates
    assert [p["shippingEstimate"] for p in shown["data"]["topProducts"]] == estimates


async def test_provides_serves_username_from_reviews_and_fetches_the_rest(
    run_case: Any, subgraph_query: Query
) -> None:
    provided = await run_case("provides_only")
    completed = await run_case("provides_and_more")

    users = await _names_by_user_id(subgraph_query)
    for review in provided["data"]["latestReviews"]:
        assert list(review["author"]) == ["id", "username"]
    for review in completed["data"]["latestReviews"]:
        author = review["author"]
        assert list(author) == ["id", "username", "email"]
        assert author["email"] == users[author["id"]]["email"]
    assert [r["author"]["username"] for r in provided["data"]["latestReviews"]] == [
        r["author"]["username"] for r in completed["data"]["latestReviews"]
    ]


async def test_union_fragments_apply_by_runtime_type(run_case: Any) -> None:
    response = await run_case("union_fragments")

    assert "errors" not in response
    hits = response["data"]["codes"] + response["data"]["oak"]
    by_type = {hit["__typename"] for hit in hits}
    assert by_type >= {"Product", "Furniture"}
    for hit in hits:
        keys = {
            "Product": ["__typename", "upc", "name", "inStock"],
            "Book": ["__typename", "id", "title", "pages"],
            "Furniture": ["__typename", "id", "title", "material"],
        }[hit["__typename"]]
        assert list(hit) == keys
    assert all(type(hit["inStock"]) is bool for hit in hits if "inStock" in hit)


async def test_interface_object_fields_join_concrete_items(
    run_case: Any, subgraph_query: Query
) -> None:
    response = await run_case("interface_object")

    assert "errors" not in response
    items = response["data"]["productItems"]
    assert {item["__typename"] for item in items} == {"Book", "Furniture"}
    expected = await subgraph_query(
        "reviews",
        "query($r: [_Any!]!) { _entities(representations: $r) "
        "{ ... on ProductItem { reviewCount } } }",
        {"r": [{"__typename": "ProductItem", "id": item["id"]} for item in items]},
    )
    assert [item["reviewCount"] for item in items] == [
        e["reviewCount"] for e in expected["_entities"]
    ]
    for item in items:
        own = ["author"] if item["__typename"] == "Book" else ["color"]
        assert list(item) == [
            "__typename",
            "id",
            "title",
            *own,
            "reviewCount",
            "averageRating",
            "topReview",
        ]


async def test_interface_object_input_rewrite_on_a_single_item(run_case: Any) -> None:
    response = await run_case("interface_object_single", {"id": "furniture-4"})

    assert response == {
        "data": {
            "item": {"id": "furniture-4", "title": "Steel Bench", "reviewCount": 22}
        }
    }


async def test_aliases_and_named_fragments_keep_client_names(
    run_case: Any, subgraph_query: Query
) -> None:
    response = await run_case("aliases_and_named_fragments")

    assert "errors" not in response
    first = response["data"]["first"]
    second = response["data"]["second"]
    assert list(first) == ["code", "label", "opinions"]
    assert first["code"] == "UPC-0001"
    assert list(second) == ["label", "stock"]
    users = await _names_by_user_id(subgraph_query)
    names = {user["name"] for user in users.values()}
    assert first["opinions"]
    for opinion in first["opinions"]:
        assert list(opinion) == ["text", "by"]
        assert list(opinion["by"]) == ["handle"]
        assert opinion["by"]["handle"] in names


async def test_variables_reach_the_fetches_that_use_them(run_case: Any) -> None:
    response = await run_case("variables", {"n": 2, "upc": "UPC-0005"})

    assert "errors" not in response
    assert len(response["data"]["topProducts"]) == 2
    assert response["data"]["product"] == {
        "upc": "UPC-0005",
        "name": "Bamboo Chair (single)",
        "inStock": True,
    }
    for product in response["data"]["topProducts"]:
        assert list(product) == ["upc", "stockCount"]
        # @override: inventory answers; products' stale copy says -1.
        assert product["stockCount"] >= 0


async def test_skip_and_include_follow_the_variables(run_case: Any) -> None:
    full = await run_case("skip_include", {"withReviews": True, "hideName": False})
    bare = await run_case("skip_include", {"withReviews": False, "hideName": True})

    assert all(
        list(p) == ["upc", "name", "reviews"] for p in full["data"]["topProducts"]
    )
    assert all(list(p) == ["upc"] for p in bare["data"]["topProducts"])
    assert [p["upc"] for p in full["data"]["topProducts"]] == [
        p["upc"] for p in bare["data"]["topProducts"]
    ]


async def test_mutations_run_in_document_order_and_join(
    run_case: Any, subgraph_query: Query
) -> None:
    response = await run_case("mutation_sequence")

    assert "errors" not in response
    first, second = response["data"]["a"], response["data"]["b"]
    assert int(first["id"].split("-")[1]) + 1 == int(second["id"].split("-")[1])
    users = await _names_by_user_id(subgraph_query)
    assert first["user"] == {"id": "7", "name": users["7"]["name"]}
    assert first["status"] == "PLACED"
    assert first["lines"] == [
        {
            "quantity": 2,
            "product": {"upc": "UPC-0003", "name": "The Silent Archive (box)"},
        }
    ]
    assert second["lines"] == [{"quantity": 1}]


async def test_entities_under_a_single_object_join_in_parallel(
    run_case: Any, subgraph_query: Query
) -> None:
    response = await run_case("user_reviews_products")

    assert "errors" not in response
    me = response["data"]["me"]
    assert list(me) == ["id", "name", "reviews", "orders"]
    expected = await subgraph_query(
        "orders",
        '{ _entities(representations: [{__typename: "User", id: "1"}]) { ... on User { orders { id } } } }',
    )
    assert me["orders"] == expected["_entities"][0]["orders"]
    for review in me["reviews"]:
        assert list(review["product"]) == ["upc", "name", "inStock"]
        assert isinstance(review["product"]["name"], str)
