"""Caches and persisted queries (DESIGN.md "Where the next parts go").

Today: automatic persisted queries (APQ) and persisted-query lists (Apollo's and
Relay's manifests, safelisting), run by `PersistedQueryLayer` before a query is parsed;
the plan cache's Redis tier (`plan_store.SharedPlans`), used by the engine.
Storage comes from `router.store` (memory, or Redis shared by every router process).
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
