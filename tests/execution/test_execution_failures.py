"""A subgraph that fails costs only what depended on it (QUERY_PLANNING.md §4.5).

The real example subgraphs serve everything except one, which is replaced by a small
misbehaving aiohttp app on loopback (or by a closed port). Each test checks the partial
data, and one coded error with the subgraph's name at the client path.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web
from support.ports import refusing_url

from planner.query_plan import (
    Fetch,
    Flatten,
    QueryPlan,
    RequiredField,
    RequiredFragment,
    Sequence,
)

ESTIMATES = "requires_hidden_inputs"  # topProducts from products, shippingEstimate (Int) from inventory


async def _estimates_with_failing_inventory(
    run_case: Any, make_client: Any, **inventory: Any
) -> dict[str, Any]:
    client = make_client(inventory=inventory)
    return await run_case(ESTIMATES, subgraph_client=client)


def _assert_estimates_null(response: dict[str, Any]) -> None:
    products = response["data"]["topProducts"]
    assert len(products) == 4
    assert all(p["upc"].startswith("UPC-") for p in products)
    assert all(p["shippingEstimate"] is None for p in products)


def _only_error(response: dict[str, Any]) -> dict[str, Any]:
    (error,) = response["errors"]
    assert error["path"] == ["topProducts"]
    assert error["extensions"]["serviceName"] == "inventory"
    assert "locations" not in error
    return error


async def test_subgraph_down_gives_partial_data_and_http_error(
    run_case: Any, make_client: Any
) -> None:
    response = await _estimates_with_failing_inventory(
        run_case, make_client, url=refusing_url()
    )

    _assert_estimates_null(response)
    assert _only_error(response)["extensions"]["code"] == "SUBREQUEST_HTTP_ERROR"


async def test_subgraph_500_gives_partial_data_and_http_error(
    run_case: Any, make_client: Any, loopback_app: Any
) -> None:
    async def crash(request: web.Request) -> web.Response:
        return web.Response(status=500, text="Internal Server Error")

    response = await _estimates_with_failing_inventory(
        run_case, make_client, url=await loopback_app(crash)
    )

    _assert_estimates_null(response)
    error = _only_error(response)
    assert error["extensions"]["code"] == "SUBREQUEST_HTTP_ERROR"
    assert error["extensions"]["http"] == {"status": 500}


async def test_subgraph_hanging_past_its_timeout_gives_gateway_timeout(
    run_case: Any, make_client: Any, loopback_app: Any
) -> None:
    async def hang(request: web.Request) -> web.Response:
        await asyncio.Event().wait()  # never answers: only the timeout ends the fetch
        return web.json_response({"data": None})

    response = await _estimates_with_failing_inventory(
        run_case, make_client, url=await loopback_app(hang), timeout=0.3
    )

    _assert_estimates_null(response)
    assert _only_error(response)["extensions"]["code"] == "GATEWAY_TIMEOUT"


async def test_malformed_json_gives_malformed_response_error(
    run_case: Any, make_client: Any, loopback_app: Any
) -> None:
    async def garbage(request: web.Request) -> web.Response:
        return web.Response(
            text='{"data": {"_entities": [', content_type="application/json"
        )

    response = await _estimates_with_failing_inventory(
        run_case, make_client, url=await loopback_app(garbage)
    )

    _assert_estimates_null(response)
    assert (
        _only_error(response)["extensions"]["code"] == "SUBREQUEST_MALFORMED_RESPONSE"
    )


async def test_response_over_the_size_cap_is_refused(
    run_case: Any, make_client: Any, loopback_app: Any
) -> None:
    async def huge(request: web.Request) -> web.Response:
        body = await request.json()
        count = len(body["variables"]["representations"])
        entities = [{"shippingEstimate": 1, "padding": "x" * 1000}] * count
        return web.json_response({"data": {"_entities": entities}})

    response = await _estimates_with_failing_inventory(
        run_case, make_client, url=await loopback_app(huge), max_response_bytes=2000
    )

    _assert_estimates_null(response)
    error = _only_error(response)
    assert error["extensions"]["code"] == "SUBREQUEST_MALFORMED_RESPONSE"
    assert "2000 bytes" in error["message"]


async def test_short_entities_list_merges_nothing(
    run_case: Any, make_client: Any, loopback_app: Any
) -> None:
    async def short(request: web.Request) -> web.Response:
        return web.json_response({"data": {"_entities": [{"shippingEstimate": 7}]}})

    response = await _estimates_with_failing_inventory(
        run_case, make_client, url=await loopback_app(short)
    )

    _assert_estimates_null(response)
    error = _only_error(response)
    assert error["extensions"]["code"] == "SUBREQUEST_MALFORMED_RESPONSE"
    assert "expected 4 items" in error["message"]


async def test_entity_errors_move_to_client_paths(
    run_case: Any, make_client: Any, loopback_app: Any
) -> None:
    async def partly(request: web.Request) -> web.Response:
        count = len((await request.json())["variables"]["representations"])
        entities: list[Any] = [{"shippingEstimate": 100 + i} for i in range(count)]
        entities[1] = {"shippingEstimate": None}
        entities[2] = None
        errors = [
            {
                "message": "no rate for this weight",
                "path": ["_entities", 1, "shippingEstimate"],
                "locations": [{"line": 1, "column": 60}],
                "extensions": {"code": "RATE_MISSING"},
            },
            {"message": "entity gone", "path": ["_entities", 2]},
            {"message": "something else"},
        ]
        return web.json_response({"data": {"_entities": entities}, "errors": errors})

    response = await _estimates_with_failing_inventory(
        run_case, make_client, url=await loopback_app(partly)
    )

    estimates = [p["shippingEstimate"] for p in response["data"]["topProducts"]]
    assert estimates == [100, None, None, 103]
    assert response["errors"] == [
        {
            "message": "no rate for this weight",
            "path": ["topProducts", 1, "shippingEstimate"],
            "extensions": {"code": "RATE_MISSING", "serviceName": "inventory"},
        },
        {
            "message": "entity gone",
            "path": ["topProducts", 2],
            "extensions": {
                "code": "DOWNSTREAM_SERVICE_ERROR",
                "serviceName": "inventory",
            },
        },
        {
            "message": "something else",
            "path": ["topProducts"],
            "extensions": {
                "code": "DOWNSTREAM_SERVICE_ERROR",
                "serviceName": "inventory",
            },
        },
    ]


async def test_error_on_a_deduplicated_entity_reaches_every_position(
    run_case: Any, make_client: Any, loopback_app: Any
) -> None:
    sent: list[dict[str, Any]] = []

    async def users(request: web.Request) -> web.Response:
        representations = (await request.json())["variables"]["representations"]
        sent.extend(representations)
        errors = [
            {"message": "banned", "path": ["_entities", i, "name"]}
            for i in range(len(representations))
        ]
        entities = [None] * len(representations)
        return web.json_response({"data": {"_entities": entities}, "errors": errors})

    client = make_client(users={"url": await loopback_app(users)})
    response = await run_case("dedup_authors", subgraph_client=client)

    assert len(sent) < 60, "the case needs repeated authors"
    paths = sorted(error["path"][1] for error in response["errors"])
    assert paths == list(range(60))
    assert all(e["path"][2:] == ["author", "name"] for e in response["errors"])
    assert all(e["extensions"]["serviceName"] == "users" for e in response["errors"])
    # User.name and Review.author are non-null, and so is every list up to the root.
    assert response["data"] is None


async def test_non_2xx_graphql_body_keeps_its_errors_and_adds_http_error(
    run_case: Any, make_client: Any, loopback_app: Any
) -> None:
    async def overloaded(request: web.Request) -> web.Response:
        body = {"errors": [{"message": "overloaded", "extensions": {"code": "BUSY"}}]}
        return web.Response(
            status=503, text=json.dumps(body), content_type="application/json"
        )

    response = await _estimates_with_failing_inventory(
        run_case, make_client, url=await loopback_app(overloaded)
    )

    _assert_estimates_null(response)
    codes = [e["extensions"]["code"] for e in response["errors"]]
    assert codes == ["SUBREQUEST_HTTP_ERROR", "BUSY"]
    assert all(e["path"] == ["topProducts"] for e in response["errors"])


# A hand-written plan: `{ product(upc: "UPC-0001") { upc name reviews { id } } }`.
PRODUCT_WITH_REVIEWS = QueryPlan(
    Sequence(
        (
            Fetch(
                service_name="products",
                operation='{product(upc:"UPC-0001"){__typename upc name}}',
                operation_name=None,
                operation_kind="query",
            ),
            Flatten(
                ("product",),
                Fetch(
                    service_name="reviews",
                    operation="query($representations:[_Any!]!){_entities("
                    "representations:$representations){...on Product{reviews{id}}}}",
                    operation_name=None,
                    operation_kind="query",
                    requires=(
                        RequiredFragment(
                            "Product",
                            (RequiredField("__typename"), RequiredField("upc")),
                        ),
                    ),
                ),
            ),
        )
    )
)


async def test_failed_non_null_field_nulls_its_nullable_parent(
    run_plan: Any, make_client: Any
) -> None:
    client = make_client(reviews={"url": refusing_url()})
    response = await run_plan(
        '{ product(upc: "UPC-0001") { upc name reviews { id } } }',
        PRODUCT_WITH_REVIEWS,
        subgraph_client=client,
    )

    assert response["data"] == {"product": None}
    (error,) = response["errors"]
    assert error["path"] == ["product"]
    assert error["extensions"]["code"] == "SUBREQUEST_HTTP_ERROR"
    assert error["extensions"]["serviceName"] == "reviews"
    # The null-propagation error would repeat the fetch error: dropped, like Apollo.
    assert "extensions" not in response
