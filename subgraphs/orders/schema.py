"""The orders subgraph: users' orders, and the `placeOrder` mutation.

- `Order @key(fields: "id")` is owned here; `User` is extended with `orders`.
- `Address` is a `@shareable` value type declared identically in users, and
  `User.address` is `@shareable` in both: either subgraph can serve it, with the same data.
- `Product @key(fields: "upc", resolvable: false)`: orders only refers to products; the
  router must never enter this subgraph through a `Product` key.
- `placeOrder` changes this process's in-memory state (see `data.OrderStore`).
"""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

from subgraphs import FEDERATION_VERSION
from subgraphs._world import AddressRecord, address_of, user_index
from subgraphs.orders.data import STORE, OrderRecord

__all__ = [
    "Address",
    "Mutation",
    "Order",
    "OrderLine",
    "OrderLineInput",
    "OrderStatus",
    "Product",
    "Query",
    "User",
    "schema",
]


@strawberry.federation.type(shareable=True)
class Address:
    """A postal address; a value type declared identically in users and orders."""

    street: str
    city: str
    postal_code: str
    country: str

    @classmethod
    def from_record(cls, record: AddressRecord) -> Address:
        return cls(
            street=record.street,
            city=record.city,
            postal_code=record.postal_code,
            country=record.country,
        )


@strawberry.enum
class OrderStatus(Enum):
    PLACED = "PLACED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


@strawberry.federation.type(keys=[Key(fields=FieldSet("upc"), resolvable=False)])
class Product:
    upc: str


@strawberry.type
class OrderLine:
    product: Product
    quantity: int


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID
    address: Address = strawberry.federation.field(shareable=True)

    @strawberry.field(description="The user's orders, oldest first.")
    def orders(self) -> list[Order]:
        return [Order.from_record(o) for o in STORE.of_user(self.id)]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> User | None:
        index = user_index(id)
        if index is None:
            return None
        return cls(id=id, address=Address.from_record(address_of(index)))


@strawberry.federation.type(keys=["id"])
class Order:
    id: strawberry.ID
    user: User
    lines: list[OrderLine]
    shipping_address: Address
    status: OrderStatus

    @classmethod
    def from_record(cls, record: OrderRecord) -> Order:
        return cls(
            id=strawberry.ID(record.id),
            user=User(
                id=strawberry.ID(record.user_id),
                address=Address.from_record(record.shipping_address),
            ),
            lines=[
                OrderLine(product=Product(upc=line.upc), quantity=line.quantity)
                for line in record.lines
            ],
            shipping_address=Address.from_record(record.shipping_address),
            status=OrderStatus(record.status),
        )

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Order | None:
        record = STORE.get(id)
        return None if record is None else cls.from_record(record)


@strawberry.input
class OrderLineInput:
    upc: str
    quantity: int = 1


@strawberry.type
class Query:
    @strawberry.field
    def order(self, id: strawberry.ID) -> Order | None:
        return Order.resolve_reference(id)

    @strawberry.field(description="The `first` most recent orders, newest first.")
    def recent_orders(self, first: int = 10) -> list[Order]:
        return [Order.from_record(o) for o in STORE.latest(first)]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Places an order shipped to the user's address (in memory only)."
    )
    def place_order(self, user_id: strawberry.ID, lines: list[OrderLineInput]) -> Order:
        record = STORE.place(user_id, [(line.upc, line.quantity) for line in lines])
        return Order.from_record(record)


schema = strawberry.federation.Schema(
    query=Query,
    mutation=Mutation,
    types=[Order, Product, User],
    federation_version=FEDERATION_VERSION,
)
