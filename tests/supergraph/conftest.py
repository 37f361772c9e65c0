"""Session fixtures: the fixture supergraphs loaded once, and Apollo's answers fetched once.

Apollo's packages run in two node processes for the whole session: one composes every
composed fixture afresh (drift check) and every set of extracted subgraphs (round trip),
the other prints Apollo's API schema of every fixture.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from planner.supergraph import Supergraph, extract_subgraphs, load_supergraph

from .apollo import apollo_api_schemas, compose, skip_or_fail_without_oracle
from .fixtures import SupergraphCase, error_cases, supergraph_cases

CASES = {case.name: case for case in supergraph_cases()}
ERROR_CASES = {case.name: case for case in error_cases()}


@dataclass(frozen=True)
class Recomposition:
    """Apollo's composition of a fixture's subgraphs, and of the subgraphs we extracted."""

    fresh: Mapping[str, dict[str, Any]]
    recomposed: Mapping[str, dict[str, Any]]
    extracted: Mapping[str, dict[str, str]]


@pytest.fixture(scope="session")
def supergraphs() -> Mapping[str, Supergraph]:
    """Every accepted fixture, loaded, by case name."""
    return {name: load_supergraph(case.supergraph) for name, case in CASES.items()}


@pytest.fixture(scope="session")
def extracted(supergraphs: Mapping[str, Supergraph]) -> Mapping[str, dict[str, str]]:
    """Every fixture's extracted subgraph SDLs, by case name then subgraph name."""
    return {
        name: extract_subgraphs(supergraph) for name, supergraph in supergraphs.items()
    }


@pytest.fixture(scope="session")
def recomposition(
    supergraphs: Mapping[str, Supergraph], extracted: Mapping[str, dict[str, str]]
) -> Recomposition:
    skip_or_fail_without_oracle()
    composed: list[SupergraphCase] = [case for case in CASES.values() if case.subgraphs]
    round_trips = [
        [
            {"name": name, "url": supergraphs[case].graph_named(name).url, "sdl": sdl}
            for name, sdl in subgraphs.items()
        ]
        for case, subgraphs in extracted.items()
    ]
    results = compose([list(case.subgraphs) for case in composed] + round_trips)
    fresh = dict(zip((case.name for case in composed), results, strict=False))
    recomposed = dict(zip(extracted, results[len(composed) :], strict=True))
    return Recomposition(fresh, recomposed, extracted)


@pytest.fixture(scope="session")
def apollo_api() -> Mapping[str, dict[str, str]]:
    """Apollo's API schema (or refusal) of every fixture, accepted and refused, by name."""
    skip_or_fail_without_oracle()
    sources = {name: case.supergraph for name, case in CASES.items()}
    sources.update(
        {f"errors/{name}": case.supergraph for name, case in ERROR_CASES.items()}
    )
    return dict(zip(sources, apollo_api_schemas(list(sources.values())), strict=True))
