"""Session fixtures for the composition corpus: Apollo's results, fetched once.

The differential tests record whether each case agrees with Apollo, and the terminal
summary prints the totals (`apollo differential: N cases, A agreeing, D differing`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest
from support.corpus import load_cases, load_router_yaml_case
from support.oracle import ApolloResult, compose_with_apollo

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
