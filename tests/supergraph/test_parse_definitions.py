"""Parsing a supergraph piece by piece gives graphql-core's document, and a reload
reuses the pieces whose text did not change without changing what is served."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
from graphql import GraphQLSyntaxError, parse, print_ast

from planner.supergraph import SupergraphError, load_supergraph
from planner.supergraph.api_schema import build_api_schema
from planner.supergraph.links import read_links
from planner.supergraph.parse_definitions import parse_definitions, split_definitions
from planner.supergraph.printing import print_sorted_schema

from .test_sdl_check import REPO, SUPERGRAPH_FILES

BASE = (REPO / "supergraph.graphql").read_text(encoding="utf-8")

# Texts where a naive cut at definition keywords goes wrong.
AWKWARD = {
    "description lines reading like definitions": (
        '"""\ntype Nope {\n"""\ntype A { f: Int }\n'
        '"""\nschema\nextend type B\n"""\nscalar S\n'
    ),
    "escaped triple quotes in a block string": (
        '"""\nsays \\"""\ntype X\n"""\ntype A { f: Int }\n'
    ),
    "single-line descriptions": '"one"\ntype A { f: Int }\n"two"\nenum E { V }\n',
    "one-line block descriptions": '"""one"""\ntype A { f: Int }\n',
    "comments and blank lines": "# head\n\n# type Z\ntype A { f: Int }\n\n# tail\n",
    "keyword-like field names at the start of a line": "type A {\ntype: Int\n}\n",
    "strings in directive arguments": (
        'scalar S @specifiedBy(url: "u")\n"d"\ntype A { f: Int }\n'
    ),
    "a union split over lines": "union U =\n| A\n| B\ntype A { f: Int }\ntype B { f: Int }\n",
}


@pytest.mark.parametrize(
    "path", SUPERGRAPH_FILES, ids=[str(p.relative_to(REPO)) for p in SUPERGRAPH_FILES]
)
def test_piecewise_parse_equals_graphql_core_parse(path: Path) -> None:
    sdl = path.read_text(encoding="utf-8")
    assert "".join(split_definitions(sdl)) == sdl
    try:
        expected = print_ast(parse(sdl))
    except GraphQLSyntaxError:
        with pytest.raises(GraphQLSyntaxError):
            parse_definitions(sdl)
        return
    document, pieces = parse_definitions(sdl)
    assert print_ast(document) == expected
    # Each definition was parsed on its own (the cut went right).
    assert len(pieces) == len(split_definitions(sdl)) > 1


@pytest.mark.parametrize("name", sorted(AWKWARD))
def test_awkward_text_parses_as_graphql_core_parses_it(name: str) -> None:
    sdl = AWKWARD[name]
    document, _ = parse_definitions(sdl)
    assert print_ast(document) == print_ast(parse(sdl))


@pytest.mark.parametrize(
    "path", SUPERGRAPH_FILES, ids=[str(p.relative_to(REPO)) for p in SUPERGRAPH_FILES]
)
def test_api_schema_is_the_one_built_from_graphql_cores_document(path: Path) -> None:
    sdl = path.read_text(encoding="utf-8")
    try:
        supergraph = load_supergraph(sdl)
    except SupergraphError:
        return
    document = parse(sdl)
    expected = build_api_schema(document, read_links(document))
    assert print_sorted_schema(supergraph.api_schema) == print_sorted_schema(expected)


def test_reload_reuses_unchanged_definitions_and_serves_what_a_fresh_load_serves() -> (
    None
):
    old = load_supergraph(BASE)
    changed = BASE.replace("type Review\n", '"Changed."\ntype Review\n', 1)
    assert changed != BASE
    new = load_supergraph(changed, previous=old)
    fresh = load_supergraph(changed)
    assert print_sorted_schema(new.api_schema) == print_sorted_schema(fresh.api_schema)
    assert print_ast(new.document) == print_ast(fresh.document)
    assert repr(new.types) == repr(fresh.types)
    reused = set(map(id, old.document.definitions)) & set(
        map(id, new.document.definitions)
    )
    assert len(reused) == len(new.document.definitions) - 1
    # Nor were their type joins read again (unions always are).
    assert new.types["Product"] is old.types["Product"]
    assert new.types["Review"] is not old.types["Review"]
    # And their API schema definitions were not filtered again.
    assert old.api_definitions is not None and new.api_definitions is not None
    assert all(
        new.api_definitions.kept[key][1] is old.api_definitions.kept[key][1]
        for key in reused
    )


INACCESSIBLE = REPO / "tests/supergraph/fixtures/inaccessible/supergraph.graphql"


def test_reload_that_changes_what_is_inaccessible_filters_every_definition_again() -> (
    None
):
    hidden = INACCESSIBLE.read_text(encoding="utf-8")
    shown = hidden.replace(
        "type Ad\n  @join__type(graph: MAIN)\n  @inaccessible\n",
        "type Ad\n  @join__type(graph: MAIN)\n",
        1,
    )
    assert shown != hidden
    first = load_supergraph(hidden)
    second = load_supergraph(shown, previous=first)
    third = load_supergraph(hidden, previous=second)
    assert "type Ad" not in print_sorted_schema(first.api_schema)
    assert print_sorted_schema(second.api_schema) == print_sorted_schema(
        load_supergraph(shown).api_schema
    )
    assert "type Ad" in print_sorted_schema(second.api_schema)
    assert print_sorted_schema(third.api_schema) == print_sorted_schema(
        first.api_schema
    )


def test_reload_of_text_that_does_not_parse_is_refused_with_its_location() -> None:
    old = load_supergraph(BASE)
    broken = BASE.replace("type Review\n", "type Review {{\n", 1)
    with pytest.raises(SupergraphError) as raised:
        load_supergraph(broken, previous=old)
    assert raised.value.code == "INVALID_SUPERGRAPH"
    with pytest.raises(GraphQLSyntaxError) as parsed:
        parse(broken)
    assert str(parsed.value) in raised.value.message


def test_reload_that_changes_a_subgraph_url_reads_every_type_join_again() -> None:
    old = load_supergraph(BASE)
    moved = BASE.replace(
        "http://127.0.0.1:4001/graphql", "http://10.0.0.9:4001/graphql"
    )
    assert moved != BASE
    new = load_supergraph(moved, previous=old)
    fresh = load_supergraph(moved)
    assert [graph.url for graph in new.graphs.values()] == [
        graph.url for graph in fresh.graphs.values()
    ]
    assert repr(new.types) == repr(fresh.types)
    assert new.types["Product"] is not old.types["Product"]


def _composed(subgraphs: dict[str, str]) -> str | None:
    from planner.composition import SubgraphInput, compose

    result = compose(
        [
            SubgraphInput(name, f"http://127.0.0.1:4000/{name}", sdl)
            for name, sdl in subgraphs.items()
        ]
    )
    return result.supergraph_sdl if result.ok else None


def _variants() -> list[tuple[str, str, str]]:
    """(name, first text, second text): each supergraph of the repository followed by the
    next one, and generated worlds followed by the same world composed without one of its
    subgraphs (most definitions equal, some changed, some gone)."""
    from oracle.generate import generate_world

    texts = [path.read_text(encoding="utf-8") for path in SUPERGRAPH_FILES]
    pairs = [
        (f"{SUPERGRAPH_FILES[i].name} then {SUPERGRAPH_FILES[i + 1].name}", a, b)
        for i, (a, b) in enumerate(pairwise(texts))
    ]
    for seed in range(10):
        subgraphs = generate_world(19, seed).subgraphs
        whole = _composed(subgraphs)
        if whole is None:
            continue
        for dropped in sorted(subgraphs)[:3]:
            part = _composed({n: s for n, s in subgraphs.items() if n != dropped})
            if part is not None:
                pairs.append((f"world {seed} without {dropped}", whole, part))
    return pairs


def test_any_reload_serves_what_a_fresh_load_of_the_new_text_serves() -> None:
    compared = 0
    for name, first, second in _variants():
        try:
            old = load_supergraph(first)
            fresh = load_supergraph(second)
        except SupergraphError:
            continue
        new = load_supergraph(second, previous=old)
        assert print_ast(new.document) == print_ast(fresh.document), name
        assert print_sorted_schema(new.api_schema) == print_sorted_schema(
            fresh.api_schema
        ), name
        assert print_sorted_schema(new.schema) == print_sorted_schema(fresh.schema), (
            name
        )
        assert repr(new.types) == repr(fresh.types), name
        assert repr(new.graphs) == repr(fresh.graphs), name
        assert new.schema_hash == fresh.schema_hash, name
        # And back again: the first text reloaded over the second.
        back = load_supergraph(first, previous=new)
        assert print_sorted_schema(back.api_schema) == print_sorted_schema(
            old.api_schema
        ), name
        assert repr(back.types) == repr(old.types), name
        compared += 1
    assert compared > 100, compared
