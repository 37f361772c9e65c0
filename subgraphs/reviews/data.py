"""The reviews subgraph's data: NUM_REVIEWS reviews spread over products and users.

Drawn once at import from a seeded `random.Random`, so every process holds the same
reviews. Each review keeps a copy of its author's username (what `@provides` serves).
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass

from subgraphs._world import NUM_PRODUCTS, NUM_USERS, upc, user_id, username_of

__all__ = [
    "NUM_REVIEWS",
    "REVIEWS",
    "ReviewRecord",
    "find_review",
    "reviews_of_product",
    "reviews_of_user",
]

NUM_REVIEWS = 3000

_OPENINGS = (
    "Exactly as described.", "Better than I hoped.", "Not what I expected.",
    "Solid value for the price.", "Arrived quickly.", "Would buy again.",
    "Disappointing.", "A gift that went down well.",
)  # fmt: skip
_DETAILS = (
    "The finish is lovely.", "Packaging could be better.", "Took a while to assemble.",
    "My kids love it.", "Holds up after months of use.", "Smaller than the photos.",
    "The binding cracked.", "Five stars from the whole family.",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ReviewRecord:
    id: str
    body: str
    rating: int
    product_upc: str
    author_id: str
    author_username: str


def _generate() -> tuple[ReviewRecord, ...]:
    rng = random.Random(4003)
    reviews = []
    for n in range(NUM_REVIEWS):
        # Popular products and prolific users: a power of a uniform draw skews to low indexes.
        product = int(NUM_PRODUCTS * rng.random() ** 1.5)
        author = int(NUM_USERS * rng.random() ** 1.5)
        reviews.append(
            ReviewRecord(
                id=f"review-{n + 1}",
                body=f"{rng.choice(_OPENINGS)} {rng.choice(_DETAILS)}",
                rating=rng.choices((1, 2, 3, 4, 5), weights=(1, 2, 4, 8, 6))[0],
                product_upc=upc(product),
                author_id=user_id(author),
                author_username=username_of(author),
            )
        )
    return tuple(reviews)


REVIEWS = _generate()

_BY_ID = {r.id: r for r in REVIEWS}
_BY_PRODUCT: defaultdict[str, list[ReviewRecord]] = defaultdict(list)
_BY_USER: defaultdict[str, list[ReviewRecord]] = defaultdict(list)
for _review in REVIEWS:
    _BY_PRODUCT[_review.product_upc].append(_review)
    _BY_USER[_review.author_id].append(_review)


def find_review(id_: str) -> ReviewRecord | None:
    return _BY_ID.get(id_)


def reviews_of_product(upc_: str) -> list[ReviewRecord]:
    """The product's reviews, oldest first."""
    return _BY_PRODUCT.get(upc_, [])


def reviews_of_user(id_: str) -> list[ReviewRecord]:
    """The user's reviews, oldest first."""
    return _BY_USER.get(id_, [])
