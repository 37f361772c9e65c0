"""`traffic_shaping.*.batch_entity_fetches`: same-stage entity fetches to one subgraph go
out as one HTTP request by default, and one by one for a subgraph that turns it off.

Counted at a recording proxy in front of the real inventory subgraph; the client gets
the same response either way.
"""

from __future__ import annotations

from collections.abc import Callable

from policy_harness import Router, post, proxy_for

# One products fetch, then two inventory entity fetches in one Parallel stage.
SAME_STAGE = (
    "query Q { topProducts(first: 5) { upc stockCount } "
    'product(upc: "UPC-0005") { upc name inStock } }'
)


def _inventory_requests(
    router_with: Callable[..., Router], subgraphs: dict[str, str], extra: str
) -> tuple[int, dict[str, object]]:
    with proxy_for(subgraphs["inventory"], [], delay=0.0) as inventory:
        router = router_with(extra, urls={"inventory": inventory.url})
        reply = post(router, SAME_STAGE)
        assert reply.status == 200, reply.body
        body = reply.json()
        assert "errors" not in body, body
        return len(inventory.recorded.headers), body


def test_same_stage_entity_fetches_go_out_as_one_request_unless_turned_off(
    router_with: Callable[..., Router], subgraphs: dict[str, str]
) -> None:
    batched, batched_body = _inventory_requests(router_with, subgraphs, "")
    one_by_one, unbatched_body = _inventory_requests(
        router_with,
        subgraphs,
        "traffic_shaping:\n  subgraphs:\n    inventory:\n"
        "      batch_entity_fetches: false\n",
    )
    assert (batched, one_by_one) == (1, 2)
    assert batched_body == unbatched_body
    assert len(batched_body["data"]["topProducts"]) == 5
