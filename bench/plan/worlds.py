"""Operations over generated supergraphs: the oracle's random worlds, for ``--worlds``.

Issue 19 asks for our planning time against Apollo's on the corpus and on operations
over random supergraphs. ``world_graphs(seed, count)`` draws ``count`` worlds with the
oracle's generator (``tests/oracle/generate.py``: entities with several keys,
``@shareable``, ``@requires``, ``@provides``, interfaces, unions, ``@interfaceObject``,
``@override``), composes each with our composer and writes the oracle campaign's
operations for it (``tests/oracle/operations.py``), seeded as a campaign of that seed
is. Worlds our composer refuses are skipped.
"""

from __future__ import annotations

import sys

from bench.plan.corpus import REPO_ROOT, CorpusGraph, CorpusOperation

__all__ = ["WORLD_OPERATIONS", "world_graphs"]

WORLD_OPERATIONS = 8
_TESTS_DIR = str(REPO_ROOT / "tests")
# Subgraph URLs only name the world's subgraphs in the supergraph; nothing is fetched.
_NO_SERVER = "http://127.0.0.1:9"


def world_graphs(
    seed: int, count: int, operations: int = WORLD_OPERATIONS
) -> list[CorpusGraph]:
    """``count`` worlds of ``seed`` (indexes 0..count-1), ``operations`` each."""
    # The oracle's modules import each other as ``oracle.*`` (run from tests/, as
    # pytest and ``make fuzz`` do).
    if _TESTS_DIR not in sys.path:
        sys.path.insert(0, _TESTS_DIR)
    from oracle.generate import generate_world
    from oracle.harness import WorldRejected, compose_world
    from oracle.operations import operations_for

    graphs = []
    for index in range(count):
        world = generate_world(seed, index)
        try:
            supergraph = compose_world(world, _NO_SERVER)
        except WorldRejected:
            continue
        # Without @defer: the corpus is validated against the API schema, which does not
        # declare it, and the figures compare one-response plans.
        written = operations_for(
            world,
            supergraph.api_schema,
            seed * 1000 + index,
            operations,
            defer_share=0.0,
        )
        graphs.append(
            CorpusGraph(
                f"world{seed}x{index}",
                supergraph.sdl,
                tuple(
                    CorpusOperation(
                        name=op.operation_name or f"Operation{number}",
                        query=op.query,
                        source="generated",
                        operation_name=op.operation_name,
                        variables=dict(op.variables),
                    )
                    for number, op in enumerate(written)
                ),
            )
        )
    return graphs
