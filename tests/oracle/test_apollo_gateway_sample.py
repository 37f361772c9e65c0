"""Apollo Gateway on a sample of the campaign's worlds, judged by the monolith.

Apollo's gateway is a reference, not the truth. Where it disagrees with the monolith is
recorded in ``apollo_gateway_disagreements.json`` (the README quotes the count); this
test checks the record still describes what Apollo Gateway does on the sample, so the
figure stays true. After a change to the generator, rewrite the record with
``python -m oracle.apollo_sample --record`` (from tests/) and read the diff.
"""

from __future__ import annotations

import pytest
from support.oracle import require_oracle

from oracle.apollo_sample import SAMPLE_WORLDS, load_record, run_sample
from oracle.harness import OracleServer

pytestmark = pytest.mark.oracle


async def test_apollo_gateways_disagreements_with_the_monolith_are_the_recorded_ones(
    oracle_server: OracleServer,
) -> None:
    node = require_oracle()
    result = await run_sample(oracle_server, node, SAMPLE_WORLDS)
    assert result.operations > 0
    found = sorted((d.world, d.operation, tuple(d.kinds)) for d in result.disagreements)
    recorded = sorted(
        (d["world"], d["operation"], tuple(d["kinds"])) for d in load_record()
    )
    assert found == recorded, (
        "Apollo Gateway's disagreements with the monolith changed: "
        f"new {sorted(set(found) - set(recorded))}, "
        f"gone {sorted(set(recorded) - set(found))}; "
        "run `python -m oracle.apollo_sample --record` from tests/ and read the diff"
    )
