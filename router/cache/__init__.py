"""Caches and persisted queries (DESIGN.md "Where the next parts go").

Today: automatic persisted queries (APQ) and persisted-query lists (Apollo's and
Relay's manifests, safelisting), run by `PersistedQueryLayer` before a query is parsed;
the plan cache's Redis tier (`plan_store.SharedPlans`), used by the engine; the entity
cache (`entity_cache.EntityCache`, keyed by `entity_keys`, with the client's
`cache_control` and the `invalidation` endpoint), which the executor asks through
`router.execution.fetch_cache`. Storage comes from `router.store` (memory, or Redis
shared by every router process). The entity cache's modules are imported where used:
they stand on the executor and telemetry, which import this package's codes.
"""

from __future__ import annotations

from router.cache.manifest import (
    Manifest,
    ManifestError,
    ManifestOperation,
    parse_manifest,
    read_manifests,
)
from router.cache.normalise import normalised_body, normalised_text

__all__ = [
    "Manifest",
    "ManifestError",
    "ManifestOperation",
    "normalised_body",
    "normalised_text",
    "parse_manifest",
    "read_manifests",
]
