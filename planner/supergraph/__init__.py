"""Supergraph loading: parse a composed supergraph, derive its API schema, extract subgraphs.

Pure code (no I/O): ``load_supergraph(sdl)`` gives a ``Supergraph`` holding the full
schema, the client-facing API schema, the subgraphs and the join model the planner reads.
"""

from __future__ import annotations

from planner.supergraph.error import SupergraphError
from planner.supergraph.extract import extract_subgraphs
from planner.supergraph.links import LinkedFeature, LinkImport
from planner.supergraph.load import load_supergraph
from planner.supergraph.model import (
    ContextArgument,
    EnumValueJoin,
    FieldJoin,
    Graph,
    JoinField,
    JoinImplements,
    JoinType,
    JoinUnionMember,
    JoinView,
    Supergraph,
    TypeContext,
    TypeJoin,
    TypeKind,
)
from planner.supergraph.printing import print_api_schema, print_sorted_schema

__all__ = [
    "ContextArgument",
    "EnumValueJoin",
    "FieldJoin",
    "Graph",
    "JoinField",
    "JoinImplements",
    "JoinType",
    "JoinUnionMember",
    "JoinView",
    "LinkImport",
    "LinkedFeature",
    "Supergraph",
    "SupergraphError",
    "TypeContext",
    "TypeJoin",
    "TypeKind",
    "extract_subgraphs",
    "load_supergraph",
    "print_api_schema",
    "print_sorted_schema",
]
