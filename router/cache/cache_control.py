"""`Cache-Control` read from subgraph responses, and the client's computed from them.

A subgraph response's `max-age` (`s-maxage` first, less `Age`) is how long the router
may keep what it answered; `no-store` forbids keeping it, `private` keeps it only per
user. The client-facing header is the minimum over every part the response was built
from (cached entries count with the time they have left): `no-store` if any part was,
or had no freshness at all; `private` if any part was (Apollo Router's
`CacheControl::merge`; https://www.rfc-editor.org/rfc/rfc9111#section-5.2.2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["CacheControl", "ClientCacheControl", "parse_cache_control"]


@dataclass(frozen=True, slots=True)
class CacheControl:
    """What one response allows: `max_age` in seconds (None: not said)."""

    max_age: int | None = None
    no_store: bool = False
    private: bool = False


NO_STORE = CacheControl(no_store=True)


def parse_cache_control(headers: Mapping[str, str]) -> CacheControl:
    """The `cache-control` (and `age`) of `headers` (names lower-cased); an
    unreadable header counts as `no-store`."""
    raw = headers.get("cache-control")
    if raw is None:
        return CacheControl()
    max_age: int | None = None
    s_maxage: int | None = None
    no_store = private = False
    try:
        for part in raw.split(","):
            name, _, value = part.strip().partition("=")
            name = name.strip().lower()
            if name == "max-age":
                max_age = int(value.strip().strip('"'))
            elif name == "s-maxage":
                s_maxage = int(value.strip().strip('"'))
            elif name in ("no-store", "no-cache"):
                no_store = True
            elif name == "private":
                private = True
        age = int(headers.get("age", "0").strip() or 0)
    except ValueError:
        return NO_STORE
    fresh = s_maxage if s_maxage is not None else max_age
    if fresh is not None:
        fresh = max(0, fresh - age)
    return CacheControl(fresh, no_store or fresh == 0, private)


class ClientCacheControl:
    """The minimum of the parts one client response is built from."""

    __slots__ = ("_max_age", "_no_store", "_private", "parts")

    def __init__(self) -> None:
        self._max_age: int | None = None
        self._no_store = False
        self._private = False
        self.parts = 0

    def add(self, max_age: int | None, private: bool = False) -> None:
        """One part, fresh for `max_age` seconds (None: no freshness, `no-store`)."""
        self.parts += 1
        if max_age is None or max_age <= 0:
            self._no_store = True
            return
        self._private = self._private or private
        if self._max_age is None or max_age < self._max_age:
            self._max_age = max_age

    def no_store(self) -> None:
        self.parts += 1
        self._no_store = True

    def header(self) -> str | None:
        """The `cache-control` value (None when nothing was fetched)."""
        if self.parts == 0:
            return None
        if self._no_store or self._max_age is None:
            return "no-store"
        return f"max-age={self._max_age}, {'private' if self._private else 'public'}"
