"""A campaign: many generated worlds, many operations each, against our router.

Used by the CI test (``tests/oracle/test_oracle.py``) and by ``make fuzz``
(``python -m oracle.campaign``), which runs a longer campaign and prints every
disagreement minimised.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import aiohttp

from oracle.generate import generate_world
from oracle.harness import (
    OracleServer,
    WorldRejected,
    WorldReport,
    check_world,
    compose_world,
)
from oracle.operations import DEFER_SHARE, operations_for

__all__ = ["CI_OPERATIONS", "CI_SEED", "CI_WORLDS", "CampaignResult", "run_campaign"]

# What CI runs (tests/oracle/test_oracle_campaign.py): seed, worlds and operations each.
CI_SEED = 7
CI_WORLDS = 200
CI_OPERATIONS = 50


@dataclass
class CampaignResult:
    reports: list[WorldReport] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (world, errors)

    @property
    def operations(self) -> int:
        return sum(r.operations for r in self.reports)

    @property
    def disagreements(self) -> list:  # type: ignore[type-arg]
        return [d for r in self.reports for d in r.disagreements]

    def summary(self) -> str:
        return (
            f"{len(self.reports)} worlds, {self.operations} operations, "
            f"{len(self.disagreements)} disagreements"
            + (
                f", {len(self.rejected)} worlds refused by our composer"
                if self.rejected
                else ""
            )
        )


async def run_campaign(
    server: OracleServer,
    seed: int,
    indexes: Iterable[int],
    operations_per_world: int,
    *,
    max_depth: int = 4,
    max_fields: int = 3,
    defer_share: float = DEFER_SHARE,
    wide: bool = False,
) -> CampaignResult:
    result = CampaignResult()
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for index in indexes:
            world = generate_world(seed, index, wide=wide)
            try:
                supergraph = compose_world(world, server.url)
            except WorldRejected as rejected:
                result.rejected.append((world.name, str(rejected)))
                continue
            operations = operations_for(
                world,
                supergraph.api_schema,
                seed * 1000 + index,
                operations_per_world,
                max_depth=max_depth,
                max_fields=max_fields,
                defer_share=defer_share,
            )
            report = await check_world(
                session, server, world, operations, supergraph=supergraph
            )
            result.reports.append(report)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run an oracle campaign.")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--worlds", type=int, default=100)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--operations", type=int, default=50)
    parser.add_argument("--depth", type=int, default=4, help="operation depth bound")
    parser.add_argument("--fields", type=int, default=3, help="fields per selection")
    parser.add_argument(
        "--defer-share",
        type=float,
        default=DEFER_SHARE,
        help="share of operations given @defer (also checked streamed)",
    )
    parser.add_argument(
        "--wide",
        action="store_true",
        help="wider worlds (oracle.generate's `wide`: other worlds than the seed's)",
    )
    parser.add_argument("--minimise", action="store_true")
    parser.add_argument("--show", type=int, default=10, help="disagreements to print")
    args = parser.parse_args(argv)
    server = OracleServer()
    started = time.monotonic()
    try:
        result = asyncio.run(
            run_campaign(
                server,
                args.seed,
                range(args.first, args.first + args.worlds),
                args.operations,
                max_depth=args.depth,
                max_fields=args.fields,
                defer_share=args.defer_share,
                wide=args.wide,
            )
        )
        for disagreement in result.disagreements[: args.show]:
            if args.minimise:
                from oracle.minimise import minimise

                disagreement = asyncio.run(minimise(server, disagreement))
            print(disagreement.report())
            print("-" * 78)
        for name, errors in result.rejected:
            print(f"world {name} refused by our composer:\n{errors}")
    finally:
        server.stop()
    print(result.summary() + f" in {time.monotonic() - started:.0f} s")
    return 1 if result.disagreements or result.rejected else 0


if __name__ == "__main__":
    sys.exit(main())
