"""Session fixtures for the composition corpus and the generated sets: Apollo's results
(and ours, for the generated sets), computed once per worker and shared by the
differential tests (verdicts and schemas, hints).

The differential tests record whether each case agrees with Apollo, and the terminal
summary prints the totals (`apollo differential: N cases, A agreeing, D differing`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import pytest
from support.corpus import load_cases, load_router_yaml_case
from support.oracle import ApolloResult, compose_with_apollo, require_oracle

from composition.generated_sets import GeneratedSet, generated_sets, subgraph_url
from planner.composition import CompositionResult, SubgraphInput, compose

# The generated sets both composers compose: `GENERATED_COUNT` drawn from a fixed seed.
GENERATED_SEED = 2027
GENERATED_COUNT = 500

# Per case, one verdict per check: True agrees, False differs, None could not compare.
_verdicts: dict[str, list[bool | None]] = {}


@pytest.fixture(scope="session")
def apollo_results() -> Mapping[str, ApolloResult]:
    """Apollo's composition of every corpus case and of router.yaml's subgraphs, by name.

    One node process for the whole session.
    """
    cases = load_cases()
    example, _ = load_router_yaml_case()
    if example is not None:
        cases.append(example)
    results = compose_with_apollo([case.oracle_input() for case in cases])
    return {case.name: result for case, result in zip(cases, results, strict=True)}


class GeneratedComposition(NamedTuple):
    """One generated set, composed by both: ours is the exception it raised, if any."""

    case: GeneratedSet
    ours: CompositionResult | Exception
    apollo: ApolloResult


@pytest.fixture(scope="session")
def generated_compositions() -> list[GeneratedComposition]:
    """Every generated set composed by ours and by Apollo's (in one node process, on a
    thread while ours runs)."""
    require_oracle()
    cases = list(generated_sets(GENERATED_SEED, GENERATED_COUNT))
    with ThreadPoolExecutor(max_workers=1) as pool:
        apollo = pool.submit(compose_with_apollo, [c.oracle_input() for c in cases])
        ours = [_compose_generated(case) for case in cases]
        theirs = apollo.result()
    return [
        GeneratedComposition(*triple)
        for triple in zip(cases, ours, theirs, strict=True)
    ]


def _compose_generated(case: GeneratedSet) -> CompositionResult | Exception:
    inputs = [
        SubgraphInput(name, subgraph_url(name), sdl) for name, sdl in case.subgraphs
    ]
    try:
        return compose(inputs)
    except Exception as exc:  # a bug of ours: compose() returns its errors
        return exc


@pytest.fixture
def record_agreement() -> Callable[[str, bool | None], None]:
    """Note one check's verdict for a case: True agrees, False differs, None unknown.

    A case agrees when all its checks agree, and differs when any differs.
    """

    def record(case_name: str, verdict: bool | None) -> None:
        _verdicts.setdefault(case_name, []).append(verdict)

    return record


def suite_summary_lines() -> list[str]:
    """The totals printed after the test summary (by tests/conftest.py)."""
    if not _verdicts:
        return []
    differing = sorted(name for name, vs in _verdicts.items() if False in vs)
    agreeing = [name for name, vs in _verdicts.items() if all(v is True for v in vs)]
    unknown = len(_verdicts) - len(differing) - len(agreeing)
    line = (
        f"apollo differential: {len(_verdicts)} cases, {len(agreeing)} agreeing, "
        f"{len(differing)} differing"
    )
    lines = [line + (f", {unknown} not compared" if unknown else "")]
    if differing:
        shown = ", ".join(differing[:15]) + (" ..." if len(differing) > 15 else "")
        lines.append(f"  differing: {shown}")
    return lines
