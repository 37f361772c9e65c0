"""Parse a supergraph definition by definition, reusing what an earlier load parsed.

graphql-core's parser is pure Python and was a third of loading a 100-subgraph
supergraph. A reload usually changes a few types of thousands, so the text is cut at
its top-level definitions and each piece is parsed once: a piece whose text the
previous load already parsed reuses its nodes. Nodes are parsed without locations
(nothing downstream reads them; a supergraph that does not load is reparsed whole, with
locations, for its error messages). A cut in the wrong place makes a piece that does
not parse, and then the whole text is parsed as one document, so a surprising text
costs time, never a wrong document.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping

from graphql import DefinitionNode, DocumentNode, GraphQLSyntaxError, parse

__all__ = ["ParsedDefinitions", "parse_definitions", "split_definitions"]

ParsedDefinitions = Mapping[str, tuple[DefinitionNode, ...]]
"""A piece of supergraph text and the definitions it parses to."""

# A definition keyword opening a line: where a top-level definition starts (composers
# print nothing else at the start of a line but descriptions and closing braces).
_DEFINITION_LINE = re.compile(
    r"^(?:type|interface|union|enum|input|scalar|directive|schema|extend)\b",
    re.MULTILINE,
)


def split_definitions(sdl: str) -> list[str]:
    """The text cut before each top-level definition (with the description just above
    it); the pieces concatenate back to ``sdl``."""
    cuts: list[int] = []
    for match in _DEFINITION_LINE.finditer(sdl):
        cuts.append(_description_start(sdl, match.start()))
    if not cuts:
        return [sdl]
    cuts[0] = 0  # leading comments and blank lines go with the first definition
    cuts.append(len(sdl))
    return [sdl[start:end] for start, end in itertools.pairwise(cuts)]


def _description_start(sdl: str, line_start: int) -> int:
    """Where the description on the lines just above ``line_start`` starts, if any."""
    if line_start == 0:
        return 0
    above = sdl.rfind("\n", 0, line_start - 1) + 1
    line = sdl[above : line_start - 1]
    if not line.endswith('"'):
        return line_start
    if line.endswith('"""') and not (line.startswith('"""') and len(line) >= 6):
        opening = sdl.rfind('"""', 0, above)  # a block string over several lines
        return line_start if opening < 0 else opening
    return above if line.startswith('"') else line_start


def parse_definitions(
    sdl: str, previous: ParsedDefinitions | None = None
) -> tuple[DocumentNode, dict[str, tuple[DefinitionNode, ...]]]:
    """The document of ``sdl`` (no locations), and its pieces for the next load.

    Raises ``GraphQLSyntaxError`` (graphql-core's, for the whole text) when it does not
    parse."""
    reused = previous or {}
    pieces: dict[str, tuple[DefinitionNode, ...]] = {}
    definitions: list[DefinitionNode] = []
    try:
        for piece in split_definitions(sdl):
            parsed = pieces.get(piece) or reused.get(piece)
            if parsed is None:
                parsed = parse(piece, no_location=True).definitions
            pieces[piece] = parsed
            definitions.extend(parsed)
    except GraphQLSyntaxError:
        document = parse(sdl, no_location=True)  # raises graphql-core's own error
        return document, {sdl: document.definitions}
    return DocumentNode(definitions=tuple(definitions)), pieces
