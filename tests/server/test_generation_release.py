"""A hot reload frees the generation it replaced once that one is closed: the router
holds one supergraph's schemas in memory, not two."""

from __future__ import annotations

import asyncio
import weakref
from pathlib import Path

from router.server.settings import ServeSettings
from router.server.source import read_source
from router.server.state import StateHolder, build_generation

REPO = Path(__file__).resolve().parents[2]
DEADLINE_SECONDS = 30.0


async def test_replaced_generation_is_freed_once_closed() -> None:
    settings = ServeSettings(supergraph_path=str(REPO / "supergraph.graphql"))
    holder = StateHolder()
    first = build_generation(read_source(settings), 1)
    await first.startup()
    holder.swap(first)
    second = build_generation(read_source(settings, first.source.supergraph), 2)
    await second.startup()
    # Product and Review point at each other: only a cycle collection frees them.
    replaced_type = first.source.supergraph.schema.get_type("Product")
    assert replaced_type is not None
    replaced_schema = weakref.ref(replaced_type)
    del replaced_type
    del first
    holder.swap(second)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE_SECONDS
    while replaced_schema() is not None and loop.time() < deadline:
        await asyncio.sleep(0.01)
    try:
        assert replaced_schema() is None
        assert holder.current is second
    finally:
        await holder.shutdown()
