"""The oracle's subgraph server, one per test session (one per xdist worker), and the
campaign's and the planner supergraphs' totals printed after the test summary
(tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
import pytest_asyncio

from oracle.campaign import CampaignResult
from oracle.harness import OracleServer

_totals = {"worlds": 0, "operations": 0, "disagreements": 0}
# Planner supergraphs through the oracle (tests/oracle/test_scenario_worlds.py), by kind.
_graphs: dict[str, dict[str, int]] = {}
_excluded: dict[str, dict[str, str]] = {}


def record_campaign(result: CampaignResult) -> None:
    _totals["worlds"] += len(result.reports)
    _totals["operations"] += result.operations
    _totals["disagreements"] += len(result.disagreements)


def record_scenarios(
    kind: str,
    *,
    scenarios: int,
    runs: int,
    agreeing: int,
    known: int,
    excluded: dict[str, str],
) -> None:
    """One supergraph's operations checked (``kind``: scenarios or corpus)."""
    totals = _graphs.setdefault(
        kind, {"supergraphs": 0, "scenarios": 0, "runs": 0, "agreeing": 0, "known": 0}
    )
    totals["supergraphs"] += 1
    totals["scenarios"] += scenarios
    totals["runs"] += runs
    totals["agreeing"] += agreeing
    totals["known"] += known
    _excluded.setdefault(kind, {}).update(excluded)


def suite_summary_lines() -> list[str]:
    lines = []
    if _totals["worlds"]:
        lines.append(
            f"oracle campaign: {_totals['worlds']} generated worlds, "
            f"{_totals['operations']} operations, {_totals['disagreements']} answers "
            "differing from the monolith"
        )
    for kind, totals in sorted(_graphs.items()):
        reasons: dict[str, int] = {}
        for reason in _excluded.get(kind, {}).values():
            head = reason.split(":", 1)[0]
            reasons[head] = reasons.get(head, 0) + 1
        excluded = ", ".join(f"{n} {head}" for head, n in sorted(reasons.items()))
        scenarios = f"{totals['scenarios']} scenarios, " if totals["scenarios"] else ""
        lines.append(
            f"{kind} through the oracle: {totals['supergraphs']} supergraphs, "
            f"{scenarios}{totals['runs']} operation runs, "
            f"{totals['agreeing']} agreeing with the monolith, "
            f"{totals['known']} known disagreements, "
            f"{sum(reasons.values())} operations excluded ({excluded or 'none'})"
        )
    return lines


@pytest.fixture(scope="session")
def oracle_server() -> Iterator[OracleServer]:
    server = OracleServer()
    try:
        yield server
    finally:
        server.stop()


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=60)
    ) as session:
        yield session
