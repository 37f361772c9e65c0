"""The orders subgraph's data: seeded orders plus the ones `placeOrder` adds.

The seeded orders are drawn once at import from a seeded `random.Random`. Orders placed
through the mutation live in this process's memory only: a restart forgets them, and two
processes do not share them.
"""

from __future__ import annotations

import random
import threading
from collections import defaultdict
from dataclasses import dataclass

from subgraphs._world import (
    NUM_PRODUCTS,
    NUM_USERS,
    AddressRecord,
    address_of,
    product_index,
    upc,
    user_id,
    user_index,
)

__all__ = [
    "MAX_LINES",
    "MAX_QUANTITY",
    "NUM_SEED_ORDERS",
    "STATUSES",
    "STORE",
    "LineRecord",
    "OrderRecord",
    "OrderStore",
]

NUM_SEED_ORDERS = 1500
STATUSES = ("PLACED", "SHIPPED", "DELIVERED", "CANCELLED")
MAX_LINES = 50
MAX_QUANTITY = 1000


@dataclass(frozen=True, slots=True)
class LineRecord:
    upc: str
    quantity: int


@dataclass(frozen=True, slots=True)
class OrderRecord:
    id: str
    user_id: str
    lines: tuple[LineRecord, ...]
    shipping_address: AddressRecord
    status: str


class OrderStore:
    """All orders of this process, indexed by id and by user; safe across threads."""

    def __init__(self, orders: tuple[OrderRecord, ...]) -> None:
        self._lock = threading.Lock()
        self._orders: list[OrderRecord] = []
        self._by_id: dict[str, OrderRecord] = {}
        self._by_user: defaultdict[str, list[OrderRecord]] = defaultdict(list)
        for order in orders:
            self._add(order)

    def _add(self, order: OrderRecord) -> None:
        self._orders.append(order)
        self._by_id[order.id] = order
        self._by_user[order.user_id].append(order)

    def __len__(self) -> int:
        return len(self._orders)

    def get(self, id_: str) -> OrderRecord | None:
        return self._by_id.get(id_)

    def of_user(self, user_id_: str) -> list[OrderRecord]:
        """The user's orders, oldest first."""
        with self._lock:
            return list(self._by_user.get(user_id_, ()))

    def latest(self, count: int) -> list[OrderRecord]:
        """The `count` most recent orders, newest first."""
        with self._lock:
            return self._orders[::-1][: max(count, 0)]

    def place(self, user_id_: str, lines: list[tuple[str, int]]) -> OrderRecord:
        """Adds a PLACED order shipped to the user's address; ValueError if invalid."""
        index = user_index(user_id_)
        if index is None:
            raise ValueError(f"No user with id {user_id_!r}")
        if not 1 <= len(lines) <= MAX_LINES:
            raise ValueError(f"An order needs 1 to {MAX_LINES} lines")
        for upc_, quantity in lines:
            if product_index(upc_) is None:
                raise ValueError(f"No product with upc {upc_!r}")
            if not 1 <= quantity <= MAX_QUANTITY:
                raise ValueError(
                    f"Quantity must be 1 to {MAX_QUANTITY}, got {quantity}"
                )
        with self._lock:
            order = OrderRecord(
                id=f"order-{len(self._orders) + 1}",
                user_id=user_id_,
                lines=tuple(LineRecord(u, q) for u, q in lines),
                shipping_address=address_of(index),
                status="PLACED",
            )
            self._add(order)
        return order


def _generate() -> tuple[OrderRecord, ...]:
    rng = random.Random(4005)
    orders = []
    for n in range(NUM_SEED_ORDERS):
        user = int(NUM_USERS * rng.random() ** 1.3)
        products = rng.sample(range(NUM_PRODUCTS), rng.randint(1, 4))
        orders.append(
            OrderRecord(
                id=f"order-{n + 1}",
                user_id=user_id(user),
                lines=tuple(LineRecord(upc(p), rng.randint(1, 3)) for p in products),
                shipping_address=address_of(user),
                status=rng.choices(STATUSES, weights=(2, 3, 12, 1))[0],
            )
        )
    return tuple(orders)


STORE = OrderStore(_generate())
