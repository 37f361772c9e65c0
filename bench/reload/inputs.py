"""The supergraph a reload benchmark serves, and the one that replaces it.

Both are composed (by our composer, untimed) from the seeded federation
`bench.compose.generate` builds: the second adds one root field to one subgraph, as a
subgraph deploy does, so its supergraph differs in ``Query`` (the largest definition)
and in the ``join__Graph``-joined field the subgraph adds.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.compose.generate import Federation, Shape, generate
from planner.composition import SubgraphInput, compose

__all__ = ["ReloadInputs", "reload_inputs"]

PROBE_FIELD = "reloadProbe"


@dataclass(frozen=True, slots=True)
class ReloadInputs:
    shape: Shape
    subgraphs: int
    types: int
    before: str
    after: str


def reload_inputs(shape: Shape) -> ReloadInputs:
    federation = generate(shape)
    before = _compose(federation, changed=None)
    after = _compose(federation, changed=len(federation.subgraphs) // 2)
    return ReloadInputs(
        shape, len(federation.subgraphs), federation.type_count, before, after
    )


def _compose(federation: Federation, changed: int | None) -> str:
    inputs = []
    for index, subgraph in enumerate(federation.subgraphs):
        sdl = subgraph.sdl
        if index == changed:
            sdl += f"\nextend type Query {{\n  {PROBE_FIELD}: String\n}}\n"
        inputs.append(SubgraphInput(subgraph.name, subgraph.url, sdl))
    result = compose(inputs)
    if result.supergraph_sdl is None:
        first = "; ".join(f"[{e.code}] {e.message}" for e in result.errors[:3])
        raise RuntimeError(f"the generated federation does not compose: {first}")
    return result.supergraph_sdl
