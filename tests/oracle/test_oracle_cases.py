"""Hand-written worlds (tests/oracle/cases/*.yaml): each operation gets the monolith's
answer through our router, and every subgraph fetch is valid in its subgraph.

Each case pins down a class of wrong answers found by the campaign or named in the
correctness issue; its ``about`` says which.
"""

from __future__ import annotations

import aiohttp
import pytest

from oracle.cases import OracleCase, load_cases
from oracle.harness import OracleServer, check_world

CASES = load_cases()


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_the_router_answers_what_the_monolith_answers(
    case: OracleCase, http: aiohttp.ClientSession, oracle_server: OracleServer
) -> None:
    report = await check_world(http, oracle_server, case.world, case.operations)
    assert report.operations == len(case.operations)
    failures = [
        d.report(with_world=False, with_requests=True) for d in report.disagreements
    ]
    assert not failures, f"{case.about}\n\n" + "\n\n".join(failures)
