"""Apollo Gateway on a sample of the campaign's worlds, judged by the same monolith.

Apollo's gateway is a reference, not the truth: where it disagrees with the monolith,
that is its bug. The sample's disagreements are recorded in
``tests/oracle/apollo_gateway_disagreements.json`` (the README quotes the count), and
``test_apollo_gateway_sample.py`` checks the record still holds.

    python -m oracle.apollo_sample [--record]      (run from tests/)

runs the sample (``SAMPLE_WORLDS`` worlds of the CI campaign, every operation of each)
and prints each disagreement; ``--record`` rewrites the record.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from support.derived_cache import cached_json, source_digest

from oracle.campaign import CI_OPERATIONS, CI_SEED
from oracle.generate import generate_world
from oracle.harness import OracleServer, compare, compose_world
from oracle.monolith import Monolith
from oracle.operations import operations_for
from oracle.server import world_interfaces

__all__ = ["RECORD", "SAMPLE_WORLDS", "ApolloDisagreement", "run_sample"]

SAMPLE_WORLDS = 30
RECORD = Path(__file__).with_name("apollo_gateway_disagreements.json")
_REPO = Path(__file__).resolve().parents[2]
_GATEWAY_SCRIPT = _REPO / "tests" / "execution" / "apollo_gateway.mjs"


@dataclass(frozen=True)
class ApolloDisagreement:
    world: str
    operation: int
    kinds: tuple[str, ...]
    detail: str
    query: str

    def key(self) -> dict[str, Any]:
        return {
            "world": self.world,
            "operation": self.operation,
            "kinds": list(self.kinds),
        }


@dataclass
class SampleResult:
    operations: int
    disagreements: list[ApolloDisagreement]


async def run_sample(
    server: OracleServer, node: str, worlds: int = SAMPLE_WORLDS
) -> SampleResult:
    runs: list[dict[str, Any]] = []
    expected: list[list[tuple[Any, Any]]] = []
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for index in range(worlds):
            world = generate_world(CI_SEED, index)
            supergraph = compose_world(world, server.url)
            async with session.put(
                f"{server.url}/worlds/{world.name}", data=world.dumps()
            ) as response:
                response.raise_for_status()
            monolith = Monolith(
                world, supergraph.api_schema, supergraph.schema, world_interfaces(world)
            )
            # Without @defer: the record is of one-response answers.
            operations = operations_for(
                world,
                supergraph.api_schema,
                CI_SEED * 1000 + index,
                CI_OPERATIONS,
                defer_share=0.0,
            )
            runs.append(
                {
                    "supergraph": supergraph.sdl,
                    "operations": [
                        {
                            "query": op.query,
                            "variables": dict(op.variables),
                            "operationName": op.operation_name,
                        }
                        for op in operations
                    ],
                }
            )
            expected.append(
                [
                    (
                        world.name,
                        op,
                        monolith.execute(op.query, op.variables, op.operation_name),
                    )
                    for op in operations
                ]
            )
        # The gateway calls the subgraph server, which runs in its own process.
        answers = await asyncio.to_thread(_gateway_answers, node, runs, server.url)
    disagreements: list[ApolloDisagreement] = []
    total = 0
    for run_expected, run_answers in zip(expected, answers, strict=True):
        for index, ((world_name, op, truth), got) in enumerate(
            zip(run_expected, run_answers, strict=True)
        ):
            total += 1
            kinds, detail = compare(truth, got)
            if kinds:
                disagreements.append(
                    ApolloDisagreement(
                        world_name, index, tuple(kinds), detail, op.query
                    )
                )
    return SampleResult(total, disagreements)


def _gateway_answers(
    node: str, runs: list[dict[str, Any]], server_url: str
) -> list[list[dict[str, Any]]]:
    """Apollo Gateway's answers, from the test cache when the same runs met the same
    gateway script, packages and subgraph server (``tests/oracle``) before; the server's
    port, which changes every run, is left out of the key."""
    key = [
        json.dumps(runs).replace(server_url, "{oracle-server}"),
        source_digest(
            "tests/execution/apollo_gateway.mjs",
            "oracle/package-lock.json",
            "tests/oracle",
        ),
    ]
    answers: list[list[dict[str, Any]]] = cached_json(
        "apollo-gateway-sample", key, lambda: _run_gateway(node, runs)
    )
    return answers


def _run_gateway(node: str, runs: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    proc = subprocess.run(
        [node, str(_GATEWAY_SCRIPT)],
        input=json.dumps({"runs": runs}),
        capture_output=True,
        text=True,
        cwd=_REPO,
        timeout=600,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"apollo_gateway.mjs failed:\n{proc.stderr[-4000:]}")
    result: list[list[dict[str, Any]]] = json.loads(proc.stdout)["runs"]
    return result


def load_record() -> list[dict[str, Any]]:
    if not RECORD.exists():
        return []
    recorded: list[dict[str, Any]] = json.loads(RECORD.read_text())["disagreements"]
    return recorded


def write_record(result: SampleResult) -> None:
    RECORD.write_text(
        json.dumps(
            {
                "about": (
                    "Operations of the oracle campaign's sample where Apollo Gateway's "
                    "answer differs from the monolith's (oracle.apollo_sample)."
                ),
                "worlds": SAMPLE_WORLDS,
                "operations": result.operations,
                "disagreements": [d.key() for d in result.disagreements],
            },
            indent=1,
        )
        + "\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args(argv)
    node = shutil.which("node")
    if node is None:
        print("node is not on PATH", file=sys.stderr)
        return 2
    server = OracleServer()
    try:
        result = asyncio.run(run_sample(server, node))
    finally:
        server.stop()
    for disagreement in result.disagreements:
        print(f"{disagreement.world} #{disagreement.operation} {disagreement.kinds}")
        print(disagreement.detail)
        print(disagreement.query)
        print("-" * 78)
    print(
        f"Apollo Gateway disagrees with the monolith on {len(result.disagreements)} "
        f"of {result.operations} operations ({SAMPLE_WORLDS} worlds)"
    )
    if args.record:
        write_record(result)
        print(f"recorded in {RECORD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
