"""Generated subgraph sets for the composition differential: valid worlds, and worlds
one small edit away from valid.

`generated_sets(seed, count)` yields `count` sets. Even indexes are worlds from
`oracle.generate.generate_world` as drawn (both composers accept those: see
tests/oracle/test_generated_worlds_compose.py); odd indexes are the same kind of world
with one mutation from `composition.sdl_mutations` applied, drawn at random among those
that find somewhere to apply. A mutation makes a set subtly invalid (a dropped
`@shareable`, a key on a list) or leaves it valid in a way that is easy to get wrong
(an argument only one subgraph declares); which is which is Apollo's call, recorded by
the differential test. Everything is seeded: the same seed gives the same sets.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import NamedTuple

from oracle.generate import generate_world

from composition.editable_sdl import Sdls
from composition.sdl_mutations import MUTATIONS

__all__ = ["VALID", "GeneratedSet", "generated_sets", "subgraph_url"]

VALID = "valid"


class GeneratedSet(NamedTuple):
    """One composition input: its name, its subgraphs in order, the mutation applied
    (`VALID` for none) and what exactly the mutation changed."""

    name: str
    subgraphs: tuple[tuple[str, str], ...]
    mutation: str
    detail: str

    def oracle_input(self) -> list[dict[str, str]]:
        """The case as `support.oracle.compose_with_apollo` takes it."""
        return [
            {"name": name, "url": subgraph_url(name), "sdl": sdl}
            for name, sdl in self.subgraphs
        ]


def subgraph_url(name: str) -> str:
    return f"http://{name}.invalid"


def generated_sets(seed: int, count: int) -> Iterator[GeneratedSet]:
    """Sets 0 to `count - 1` of `seed`: even ones valid worlds, odd ones mutated."""
    for index in range(count):
        world = generate_world(seed, index)
        if index % 2 == 0:
            yield GeneratedSet(
                f"g{index:03d}-{VALID}",
                tuple(world.subgraphs.items()),
                VALID,
                f"world {world.name} as generated",
            )
            continue
        rng = random.Random(f"generated-sets:{seed}:{index}")
        mutations = list(MUTATIONS)
        rng.shuffle(mutations)
        for mutate in mutations:
            sdls = Sdls(world.subgraphs)
            applied = mutate(rng, sdls)
            if applied is not None:
                mutation, detail = applied
                yield GeneratedSet(
                    f"g{index:03d}-{mutation}", sdls.printed(), mutation, detail
                )
                break
        else:
            raise AssertionError(f"no mutation applies to world {world.name}")
