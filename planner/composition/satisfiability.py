"""Satisfiability: every supergraph field must be reachable by some query plan (placeholder pass)."""

from __future__ import annotations

from collections.abc import Sequence

from planner.composition.result import CompositionError
from planner.composition.subgraph_model import Subgraph
from planner.composition.supergraph_model import SupergraphModel

__all__ = ["check_satisfiability"]


def check_satisfiability(model: SupergraphModel, subgraphs: Sequence[Subgraph]) -> list[CompositionError]:
    return []
