"""The worlds CI checks compose, with our composer and with Apollo's.

A world Apollo refuses would not be a world a team could run; one we refuse and Apollo
accepts is a composition bug of ours (either way the campaign could not trust it). Wide
worlds (`--wide` campaigns) are checked too.
"""

from __future__ import annotations

import pytest
from support.oracle import compose_with_apollo

from oracle.campaign import CI_SEED, CI_WORLDS
from oracle.generate import generate_world
from planner.composition import SubgraphInput, compose

pytestmark = pytest.mark.oracle


# Wide worlds (`generate_world(..., wide=True)`, `--wide` campaigns) checked as well.
WIDE_SEED = 137
WIDE_WORLDS = 40


def test_the_campaign_worlds_compose_with_both_composers() -> None:
    worlds = [generate_world(CI_SEED, index) for index in range(CI_WORLDS)]
    worlds += [
        generate_world(WIDE_SEED, index, wide=True) for index in range(WIDE_WORLDS)
    ]
    apollo = compose_with_apollo(
        [
            [
                {"name": name, "url": f"http://{name}.invalid", "sdl": sdl}
                for name, sdl in world.subgraphs.items()
            ]
            for world in worlds
        ]
    )
    refused: list[str] = []
    for world, theirs in zip(worlds, apollo, strict=True):
        ours = compose(
            [
                SubgraphInput(name, f"http://{name}.invalid", sdl)
                for name, sdl in world.subgraphs.items()
            ]
        )
        if not ours.ok:
            refused.append(f"{world.name}: ours: {[e.code for e in ours.errors]}")
        if theirs["supergraph"] is None:
            refused.append(
                f"{world.name}: Apollo: {[e['code'] for e in theirs['errors']]}"
            )
    assert refused == []
