"""The oracle's subgraph server, one per test session (one per xdist worker)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
import pytest_asyncio

from oracle.harness import OracleServer


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
