"""Building composition errors with Apollo's codes, subgraph names and SDL locations."""

from __future__ import annotations

from graphql import Node

from planner.composition.result import CompositionError
from planner.errors import COMPOSITION_ERRORS

__all__ = ["error", "error_at"]


def error_at(
    code: str,
    subgraph: str,
    message: str,
    node: Node | None = None,
    coordinate: str | None = None,
) -> CompositionError:
    """An error found in one subgraph; the message is prefixed with `[subgraph]` as Apollo does."""
    assert code in COMPOSITION_ERRORS, f"add {code} to planner/errors.py first"
    locations: tuple[tuple[str, int, int], ...] = ()
    loc = getattr(node, "loc", None)
    if loc is not None and loc.source is not None:
        where = loc.source.get_location(loc.start)
        locations = ((subgraph, where.line, where.column),)
    return CompositionError(
        code, f"[{subgraph}] {message}", (subgraph,), coordinate, locations
    )


def error(
    code: str,
    message: str,
    subgraphs: tuple[str, ...] = (),
    coordinate: str | None = None,
) -> CompositionError:
    """An error about the merge of several subgraphs."""
    assert code in COMPOSITION_ERRORS, f"add {code} to planner/errors.py first"
    return CompositionError(code, message, subgraphs, coordinate)
