"""The reviews subgraph: reviews of products by users.

- `Review @key(fields: "id")` is owned here.
- `Product` and `User` are extended with their reviews by key (`upc`, `id`).
- `Review.author` is `@provides(fields: "username")`: `User.username` is `@external`
  here, but reviews keeps a copy of each author's username, so a router can read it
  from the review without asking users.
- `ProductItem` is an `@interfaceObject`: products defines it as an entity interface
  (Book, Furniture); here it is one object type that adds rating fields to every
  implementation without knowing them.
- `Subscription.reviewAdded` announces each review `Mutation.addReview` adds: a client
  of a router gets the review's product and author from two other subgraphs.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import strawberry

from subgraphs import FEDERATION_VERSION
from subgraphs._world import (
    product_index,
    product_index_of_item,
    upc,
    user_index,
    username_of,
)
from subgraphs.reviews.data import (
    REVIEWS,
    ReviewRecord,
    find_review,
    reviews_of_product,
    reviews_of_user,
)
from subgraphs.reviews.live import add_review, find_added, listen

__all__ = [
    "Mutation",
    "Product",
    "ProductItem",
    "Query",
    "Review",
    "Subscription",
    "User",
    "schema",
]


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID
    username: str = strawberry.federation.field(external=True)

    @strawberry.field(description="The user's reviews, oldest first.")
    def reviews(self) -> list[Review]:
        return [Review.from_record(r) for r in reviews_of_user(self.id)]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID, **_other: Any) -> User | None:
        index = user_index(id)
        # username is @external: a router reads it here only through Review.author,
        # but the copy is filled in anyway so this subgraph never contradicts users.
        return None if index is None else cls(id=id, username=username_of(index))


@strawberry.federation.type(keys=["upc"])
class Product:
    upc: str

    @strawberry.field(description="The product's reviews, oldest first.")
    def reviews(self) -> list[Review]:
        return [Review.from_record(r) for r in reviews_of_product(self.upc)]

    @classmethod
    def resolve_reference(cls, upc: str, **_other: Any) -> Product | None:
        return None if product_index(upc) is None else cls(upc=upc)


@strawberry.federation.type(keys=["id"])
class Review:
    id: strawberry.ID
    body: str
    rating: int = strawberry.field(description="From 1 (worst) to 5 (best).")
    product: Product
    author: User = strawberry.federation.field(provides=["username"])

    @classmethod
    def from_record(cls, record: ReviewRecord) -> Review:
        return cls(
            id=strawberry.ID(record.id),
            body=record.body,
            rating=record.rating,
            product=Product(upc=record.product_upc),
            author=User(
                id=strawberry.ID(record.author_id), username=record.author_username
            ),
        )

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Review | None:
        record = find_review(id) or find_added(id)
        return None if record is None else cls.from_record(record)


@strawberry.federation.interface_object(keys=["id"])
class ProductItem:
    """Rating fields for every kind of item, added without knowing the kinds."""

    id: strawberry.ID

    def _reviews(self) -> list[ReviewRecord]:
        index = product_index_of_item(self.id)
        return [] if index is None else reviews_of_product(upc(index))

    @strawberry.field(description="How many reviews the item's product has.")
    def review_count(self) -> int:
        return len(self._reviews())

    @strawberry.field(
        description="Mean rating, rounded to two decimals; null without reviews."
    )
    def average_rating(self) -> float | None:
        reviews = self._reviews()
        if not reviews:
            return None
        return round(sum(r.rating for r in reviews) / len(reviews), 2)

    @strawberry.field(description="The best-rated review, the oldest among equals.")
    def top_review(self) -> Review | None:
        reviews = self._reviews()
        if not reviews:
            return None
        best = max(reviews, key=lambda r: r.rating)  # max keeps the first of equals
        return Review.from_record(best)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> ProductItem | None:
        return None if product_index_of_item(id) is None else cls(id=id)


@strawberry.type
class Query:
    @strawberry.field
    def review(self, id: strawberry.ID) -> Review | None:
        return Review.resolve_reference(id)

    @strawberry.field(description="The `first` most recent reviews, newest first.")
    def latest_reviews(self, first: int = 10) -> list[Review]:
        count = min(max(first, 0), len(REVIEWS))
        return [
            Review.from_record(r) for r in reversed(REVIEWS[len(REVIEWS) - count :])
        ]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Adds a review (in memory only) and announces it to `reviewAdded`."
    )
    def add_review(
        self, product_upc: str, author_id: strawberry.ID, body: str, rating: int = 5
    ) -> Review:
        return Review.from_record(add_review(product_upc, author_id, body, rating))


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Each review added from now on (of one product, when given)."
    )
    async def review_added(
        self, product_upc: str | None = None
    ) -> AsyncGenerator[Review, None]:
        async for record in listen():
            if product_upc is None or record.product_upc == product_upc:
                yield Review.from_record(record)


schema = strawberry.federation.Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[Product, ProductItem, Review, User],
    federation_version=FEDERATION_VERSION,
)
