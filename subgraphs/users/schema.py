"""The users subgraph: accounts, the `User` entity's owner.

`User @key(fields: "id")` is resolved here from any representation carrying an id.
`User.address` is `@shareable` with the orders subgraph, which serves the same values;
`User.username` is `@shareable` because reviews provides it (`@provides`) on review
authors.
"""

from __future__ import annotations

import strawberry

from subgraphs import FEDERATION_VERSION
from subgraphs.users.data import ME_ID, USERS, UserRecord, find_user

__all__ = ["Address", "Query", "User", "schema"]


@strawberry.federation.type(shareable=True)
class Address:
    """A postal address; a value type declared identically in users and orders."""

    street: str
    city: str
    postal_code: str
    country: str


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID
    # Shareable because reviews can serve it too, through Review.author's @provides.
    username: str = strawberry.federation.field(shareable=True)
    name: str
    email: str
    address: Address = strawberry.federation.field(shareable=True)

    @classmethod
    def from_record(cls, record: UserRecord) -> User:
        a = record.address
        return cls(
            id=strawberry.ID(record.id),
            username=record.username,
            name=record.name,
            email=record.email,
            address=Address(
                street=a.street,
                city=a.city,
                postal_code=a.postal_code,
                country=a.country,
            ),
        )

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> User | None:
        record = find_user(id)
        return None if record is None else cls.from_record(record)


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in user (always user 1 here).")
    def me(self) -> User:
        record = find_user(ME_ID)
        assert record is not None  # ME_ID is within NUM_USERS
        return User.from_record(record)

    @strawberry.field
    def user(self, id: strawberry.ID) -> User | None:
        return User.resolve_reference(id)

    @strawberry.field(description="The first `first` users, in id order.")
    def users(self, first: int = 10) -> list[User]:
        return [User.from_record(r) for r in USERS[: max(first, 0)]]


schema = strawberry.federation.Schema(
    query=Query, types=[User], federation_version=FEDERATION_VERSION
)
