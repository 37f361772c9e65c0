"""The oracle's subgraph server, one per test session (one per xdist worker), and the
campaign's totals printed after the test summary (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
import pytest_asyncio

from oracle.campaign import CampaignResult
from oracle.harness import OracleServer

_totals = {"worlds": 0, "operations": 0, "disagreements": 0}


def record_campaign(result: CampaignResult) -> None:
    _totals["worlds"] += len(result.reports)
    _totals["operations"] += result.operations
    _totals["disagreements"] += len(result.disagreements)


def suite_summary_lines() -> list[str]:
    if not _totals["worlds"]:
        return []
    return [
        f"oracle campaign: {_totals['worlds']} generated worlds, "
        f"{_totals['operations']} operations, {_totals['disagreements']} answers "
        "differing from the monolith"
    ]


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
