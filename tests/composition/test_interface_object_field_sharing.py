"""An @interfaceObject resolves its fields for every implementation of the interface, so
a field it shares with an implementation (or with another @interfaceObject) must be
@shareable on both sides: INVALID_FIELD_SHARING, worded as Apollo 2.14.4 words it (messages
recorded from `oracle/compose.mjs` on the corpus cases named below)."""

from __future__ import annotations

import pytest
from support.corpus import CASES_DIR, load_case
from support.ours import compose_case

THROUGH_TITLE = '"catalog" (through @interfaceObject field "Media.title")'
THROUGH_POPULARITY = '(through @interfaceObject field "Media.popularity")'
APOLLO_MESSAGES = {
    "191-invalid-field-sharing-interface-object": (
        'Non-shareable field "Book.title" is resolved from multiple subgraphs: it is'
        f' resolved from subgraphs {THROUGH_TITLE} and "media" and defined as'
        " non-shareable in all of them"
    ),
    "192-invalid-field-sharing-two-interface-objects": (
        'Non-shareable field "Song.popularity" is resolved from multiple subgraphs: it'
        f' is resolved from subgraphs "plays" {THROUGH_POPULARITY} and "ratings"'
        f" {THROUGH_POPULARITY} and defined as non-shareable in all of them"
    ),
    "193-invalid-field-sharing-interface-object-one-side": (
        'Non-shareable field "Book.title" is resolved from multiple subgraphs: it is'
        f' resolved from subgraphs {THROUGH_TITLE} and "media" and defined as'
        f" non-shareable in subgraph {THROUGH_TITLE}"
    ),
}


@pytest.mark.parametrize("name", sorted(APOLLO_MESSAGES))
def test_interface_object_field_sharing_is_reported_in_apollos_words(name: str) -> None:
    result = compose_case(load_case(CASES_DIR / name))
    assert result.supergraph_sdl is None
    assert [(e.code, e.message) for e in result.errors] == [
        ("INVALID_FIELD_SHARING", APOLLO_MESSAGES[name])
    ]
