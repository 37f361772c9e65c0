"""Inputs and outputs of composition: subgraph SDLs in, a supergraph or coded errors out."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["CompositionError", "CompositionHint", "CompositionResult", "SubgraphInput"]


@dataclass(frozen=True, slots=True)
class SubgraphInput:
    """One subgraph to compose: its registry name, routing URL and schema text."""

    name: str
    url: str
    sdl: str


@dataclass(frozen=True, slots=True)
class CompositionError:
    """A reason the subgraphs do not compose, with Apollo's code.

    `subgraphs` names where the problem is; `coordinate` is the schema coordinate
    (`Type`, `Type.field`, `Type.field(arg:)`) when there is one; `locations` are
    (subgraph, line, column) triples into the subgraph SDL.
    """

    code: str
    message: str
    subgraphs: tuple[str, ...] = ()
    coordinate: str | None = None
    locations: tuple[tuple[str, int, int], ...] = field(default=())


@dataclass(frozen=True, slots=True)
class CompositionHint:
    """Something that composes but deserves a look (dropped optional argument, etc.)."""

    code: str
    message: str
    coordinate: str | None = None


@dataclass(frozen=True, slots=True)
class CompositionResult:
    """The supergraph SDL when composition succeeded (no errors), else None."""

    supergraph_sdl: str | None
    errors: tuple[CompositionError, ...] = ()
    hints: tuple[CompositionHint, ...] = ()

    @property
    def ok(self) -> bool:
        return self.supergraph_sdl is not None and not self.errors
