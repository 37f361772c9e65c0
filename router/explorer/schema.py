"""The API schema as SDL for the page's completion and docs, printed once per supergraph."""

from __future__ import annotations

from planner.supergraph import Supergraph, print_api_schema

__all__ = ["api_schema_sdl"]

_KEPT = 4  # supergraphs remembered (a reload brings a new one; the old ones go)
_PRINTED: dict[str, bytes] = {}


def api_schema_sdl(supergraph: Supergraph) -> bytes:
    key = supergraph.schema_hash
    sdl = _PRINTED.get(key)
    if sdl is None:
        sdl = print_api_schema(supergraph).encode()
        while len(_PRINTED) >= _KEPT:
            _PRINTED.pop(next(iter(_PRINTED)))
        _PRINTED[key] = sdl
    return sdl
