"""Our composer and supergraph loader, called the way the composition tests need them.

Both are imported on first use, so the corpus still collects (and the Apollo-only checks
still run) while either is unfinished; a test that needs a missing one fails saying so.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pytest

from support.corpus import Case

if TYPE_CHECKING:
    from planner.composition import CompositionError, CompositionResult

__all__ = [
    "api_schema_text",
    "compose_case",
    "format_errors",
    "loader_unavailable_reason",
]

_results: dict[tuple[tuple[str, str, str], ...], CompositionResult] = {}


def compose_case(case: Case) -> CompositionResult:
    """Compose a case with `planner.composition.compose`, once per session."""
    key = tuple((s.name, s.url, s.sdl) for s in case.subgraphs)
    if key not in _results:
        try:
            from planner.composition import SubgraphInput, compose
        except ImportError as exc:
            # Failing outside the except block keeps the ImportError's traceback
            # out of every test report.
            missing = f"our composer is not importable yet: {exc}"
        else:
            missing = ""
        if missing:
            pytest.fail(missing, pytrace=False)
        inputs = [
            SubgraphInput(name=s.name, url=s.url, sdl=s.sdl) for s in case.subgraphs
        ]
        _results[key] = compose(inputs)
    return _results[key]


def loader_unavailable_reason() -> str | None:
    """Why our supergraph loader cannot be used yet, or None when it can."""
    try:
        from planner.supergraph import load_supergraph, print_sorted_schema  # noqa: F401
    except ImportError as exc:
        return f"our supergraph loader is not importable yet: {exc}"
    return None


def api_schema_text(supergraph_sdl: str) -> str:
    """The API schema of a supergraph, printed with definitions sorted."""
    from planner.supergraph import load_supergraph, print_sorted_schema

    return print_sorted_schema(load_supergraph(supergraph_sdl).api_schema)


def format_errors(errors: Iterable[CompositionError]) -> str:
    """One line per error: code, where, message."""
    lines = []
    for error in errors:
        where = ",".join(error.subgraphs)
        if error.coordinate:
            where = f"{where} {error.coordinate}".strip()
        prefix = f"{error.code} [{where}]" if where else error.code
        lines.append(f"  {prefix}: {error.message}")
    return "\n".join(lines) or "  (no errors)"
