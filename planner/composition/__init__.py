"""Composition: subgraph SDLs to an Apollo join-spec supergraph, or coded errors."""

from __future__ import annotations

from planner.composition.compose import compose
from planner.composition.result import (
    CompositionError,
    CompositionHint,
    CompositionResult,
    SubgraphInput,
)

__all__ = [
    "CompositionError",
    "CompositionHint",
    "CompositionResult",
    "SubgraphInput",
    "compose",
]
