"""Shared state: key-value storage in process memory or in Redis, one interface.

DESIGN.md "One store for shared state": APQ registrations today, and later the plan
cache, the entity cache and operation usage, each under a namespace of its own, need
"memory per process, or Redis shared by every router process". A feature asks for a
`Store`; `MemoryStore` is a bounded LRU, `RedisStore` one Redis, and `TieredStore` puts
the first in front of the second (Apollo Router's two-level caches). Values are text.
"""

from __future__ import annotations

from router.store.memory import MemoryStore
from router.store.redis import RedisStore
from router.store.store import Store, StoreUnavailable, UnavailableLog
from router.store.tiered import TieredStore, build_store

__all__ = [
    "MemoryStore",
    "RedisStore",
    "Store",
    "StoreUnavailable",
    "TieredStore",
    "UnavailableLog",
    "build_store",
]
