"""The CI campaign: generated worlds, random operations, our router against the truth.

``CI_WORLDS`` worlds of campaign ``CI_SEED`` (oracle.generate), ``CI_OPERATIONS`` random
operations each (oracle.operations): every answer must be the monolith's, and every
subgraph fetch valid in its subgraph. The worlds run in chunks that pytest-xdist
spreads over its workers (tests/conftest.py), each worker with its own subgraph server.
A failure prints each disagreement with its world; ``make fuzz`` minimises them.
"""

from __future__ import annotations

import pytest

from oracle.campaign import CI_OPERATIONS, CI_SEED, CI_WORLDS, run_campaign
from oracle.conftest import record_campaign
from oracle.harness import OracleServer

# Small chunks (10 worlds, 10-15 s of a quiet worker) end the suite's run
# (tests/conftest.py): the two workers finish within a chunk of each other.
CHUNKS = 20
PER_CHUNK = CI_WORLDS // CHUNKS


# Chunks of 25 worlds took up to 210 s beside other jobs: chunks of 10 keep their
# allowance, so that a loaded machine never fails a correct run.
@pytest.mark.timeout(900)
@pytest.mark.parametrize("chunk", range(CHUNKS))
async def test_generated_worlds_answer_as_the_monolith(
    chunk: int, oracle_server: OracleServer
) -> None:
    first = chunk * PER_CHUNK
    result = await run_campaign(
        oracle_server, CI_SEED, range(first, first + PER_CHUNK), CI_OPERATIONS
    )
    record_campaign(result)
    assert not result.rejected, (
        f"our composer refused generated worlds: {result.rejected}"
    )
    assert len(result.reports) == PER_CHUNK
    assert result.operations == PER_CHUNK * CI_OPERATIONS
    shown = "\n\n".join(d.report() for d in result.disagreements[:3])
    assert not result.disagreements, (
        f"{len(result.disagreements)} of {result.operations} operations disagree with "
        f"the monolith (first {min(3, len(result.disagreements))} below)\n\n{shown}"
    )
