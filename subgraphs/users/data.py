"""The users subgraph's data: NUM_USERS accounts, derived from their index."""

from __future__ import annotations

from dataclasses import dataclass

from subgraphs._world import (
    NUM_USERS,
    AddressRecord,
    address_of,
    user_id,
    user_index,
    username_of,
)

__all__ = ["ME_ID", "USERS", "UserRecord", "find_user"]

_LAST_NAMES = (
    "Lovelace", "Turing", "Liskov", "Shannon", "Knuth", "Dijkstra", "Allen",
    "Hopper", "Lamarr", "Sutherland", "Sammet", "Thompson", "Lamport",
    "Hamilton", "Wirth", "Dahl", "Perlman", "Goldwasser", "Berners-Lee", "Cerf",
    "Kay", "Backus", "Ritchie",
)  # fmt: skip

# The viewer `me` resolves to; there is no authentication in the examples.
ME_ID = "1"


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: str
    username: str
    name: str
    email: str
    address: AddressRecord


def _user(index: int) -> UserRecord:
    username = username_of(index)
    first = username.rstrip("0123456789").capitalize()
    last = _LAST_NAMES[(index * 5) % len(_LAST_NAMES)]
    return UserRecord(
        id=user_id(index),
        username=username,
        name=f"{first} {last}",
        email=f"{username}@example.com",
        address=address_of(index),
    )


USERS: tuple[UserRecord, ...] = tuple(_user(i) for i in range(NUM_USERS))


def find_user(id_: str) -> UserRecord | None:
    index = user_index(id_)
    return None if index is None else USERS[index]
