"""`placeOrder` changes the orders subgraph's in-memory state, per process."""

from __future__ import annotations

import pytest

PLACE = """
mutation($user: ID!, $lines: [OrderLineInput!]!) {
  placeOrder(userId: $user, lines: $lines) {
    id status user { id } lines { product { upc } quantity } shippingAddress { city }
  }
}
"""


@pytest.fixture
def orders(start_subgraphs):
    """A private orders process, so placing orders leaves the shared one untouched."""
    return start_subgraphs("orders")["orders"]


def test_placed_order_is_visible_to_later_queries(orders):
    lines = [{"upc": "UPC-0002", "quantity": 3}, {"upc": "UPC-0100"}]
    placed = orders.data(PLACE, {"user": "42", "lines": lines})["placeOrder"]
    assert placed["status"] == "PLACED"
    assert placed["lines"] == [
        {"product": {"upc": "UPC-0002"}, "quantity": 3},
        {"product": {"upc": "UPC-0100"}, "quantity": 1},
    ]

    data = orders.data(
        "query($id: ID!) { order(id: $id) { id user { id } }"
        " recentOrders(first: 1) { id } }",
        {"id": placed["id"]},
    )
    assert data["order"] == {"id": placed["id"], "user": {"id": "42"}}
    assert data["recentOrders"] == [{"id": placed["id"]}]
    user = orders.entities(
        [{"__typename": "User", "id": "42"}], "... on User { orders { id } }"
    )[0]
    assert user["orders"][-1] == {"id": placed["id"]}


def test_placed_orders_get_fresh_ids(orders):
    first = orders.data(PLACE, {"user": "1", "lines": [{"upc": "UPC-0001"}]})
    second = orders.data(PLACE, {"user": "1", "lines": [{"upc": "UPC-0001"}]})
    assert first["placeOrder"]["id"] != second["placeOrder"]["id"]


@pytest.mark.parametrize(
    ("user", "lines", "message"),
    [
        ("99999", [{"upc": "UPC-0001"}], "No user"),
        ("1", [{"upc": "UPC-9999"}], "No product"),
        ("1", [{"upc": "UPC-0001", "quantity": 0}], "Quantity"),
        ("1", [], "lines"),
    ],
)
def test_invalid_order_is_an_error_and_changes_nothing(orders, user, lines, message):
    before = orders.data("{ recentOrders(first: 1) { id } }")
    result = orders.query(PLACE, {"user": user, "lines": lines})
    assert result["data"] is None
    assert message in result["errors"][0]["message"]
    assert orders.data("{ recentOrders(first: 1) { id } }") == before


def test_placed_orders_stay_in_their_process(start_subgraphs):
    running = start_subgraphs("orders")
    one = running["orders"]
    other = start_subgraphs("orders")["orders"]
    placed = one.data(PLACE, {"user": "5", "lines": [{"upc": "UPC-0001"}]})
    query = "query($id: ID!) { order(id: $id) { id } }"
    variables = {"id": placed["placeOrder"]["id"]}
    assert one.data(query, variables)["order"] is not None
    assert other.data(query, variables)["order"] is None
