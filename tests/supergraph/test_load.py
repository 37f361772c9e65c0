"""load_supergraph: what it accepts, what it refuses (and with which code), what it records."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import pytest

from planner.errors import SUPERGRAPH_ERRORS
from planner.supergraph import Graph, Supergraph, SupergraphError, load_supergraph

from .conftest import CASES, ERROR_CASES

# Refusals where Apollo's router accepts, each on purpose.
APOLLO_ACCEPTS = {
    "connectors_feature": "Apollo Router runs connectors; we have no connector runtime",
    "join_v01": "Apollo still reads Federation 1 supergraphs; we read join v0.2 and later",
    # Apollo builds the API schema without reading join directives; its subgraph
    # extraction then fails on these. We refuse at load time instead.
    "type_without_join_type": "a type no subgraph has",
    "field_in_graph_without_its_type": "a field joined to a subgraph without its type",
    # Apollo's API schema does not read join field sets; a bad one fails its planner
    # later, per operation. We refuse it once, at load time.
    "field_set_with_trailing_text": "a join field set that does not parse",
}


def model_of(supergraph: Supergraph) -> dict[str, Any]:
    """The join model as plain comparable values."""
    return {
        name: (
            type_join.kind,
            type_join.joins,
            dict(type_join.fields),
            type_join.implements,
            type_join.union_members,
            dict(type_join.enum_values),
            type_join.contexts,
        )
        for name, type_join in supergraph.types.items()
    }


@pytest.mark.parametrize("name", sorted(ERROR_CASES))
def test_refused_supergraph_raises_its_catalogued_code(name: str) -> None:
    case = ERROR_CASES[name]
    with pytest.raises(SupergraphError) as raised:
        load_supergraph(case.supergraph)
    assert raised.value.code == case.code
    assert raised.value.code in SUPERGRAPH_ERRORS
    assert case.message in raised.value.message


@pytest.mark.parametrize("name", sorted(ERROR_CASES))
def test_apollo_refuses_what_we_refuse_unless_known(
    name: str, apollo_api: Mapping[str, dict[str, str]]
) -> None:
    refused = "error" in apollo_api[f"errors/{name}"]
    assert refused != (name in APOLLO_ACCEPTS), apollo_api[f"errors/{name}"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_fixture_loads_with_hash_of_its_sdl(
    name: str, supergraphs: Mapping[str, Supergraph]
) -> None:
    supergraph = supergraphs[name]
    assert supergraph.sdl == CASES[name].supergraph
    assert (
        supergraph.schema_hash
        == hashlib.sha256(CASES[name].supergraph.encode()).hexdigest()
    )
    assert supergraph.api_schema is not supergraph.schema


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("join_v02", "v0.2"),
        ("core_v02", "v0.2"),
        ("entities", "v0.3"),
        ("progressive_override", "v0.4"),
        ("context", "v0.5"),
    ],
)
def test_join_version_comes_from_the_join_link(
    name: str, version: str, supergraphs: Mapping[str, Supergraph]
) -> None:
    assert supergraphs[name].join_version == version


def test_graphs_keep_declaration_order_with_names_and_urls(
    supergraphs: Mapping[str, Supergraph],
) -> None:
    supergraph = supergraphs["entities"]
    assert list(supergraph.graphs.values()) == [
        Graph("ACCOUNTS", "accounts", "http://accounts:4000/graphql"),
        Graph("INVENTORY", "inventory", "http://inventory:4000/graphql"),
        Graph("PRODUCTS", "products", "http://products:4000/graphql"),
        Graph("REVIEWS", "reviews", "http://reviews:4000/graphql"),
    ]
    assert supergraph.subgraph_names == ("accounts", "inventory", "products", "reviews")
    assert supergraph.graph_named("reviews").enum_value == "REVIEWS"


def test_security_features_are_accepted_and_recorded(
    supergraphs: Mapping[str, Supergraph],
) -> None:
    supergraph = supergraphs["security"]
    for spec in ("authenticated", "requiresScopes", "policy"):
        link = supergraph.link(f"https://specs.apollo.dev/{spec}")
        assert link is not None
        assert (link.purpose, link.version, link.directive_name(spec)) == (
            "SECURITY",
            "v0.1",
            spec,
        )
    context = supergraphs["context"].link("https://specs.apollo.dev/context")
    assert context is not None and context.purpose == "SECURITY"


def test_unknown_feature_without_purpose_is_accepted() -> None:
    sdl = (
        CASES["entities"]
        .supergraph.replace(
            '@link(url: "https://specs.apollo.dev/link/v1.0")',
            '@link(url: "https://specs.apollo.dev/link/v1.0")\n'
            '  @link(url: "https://example.com/docs/v1.0", import: ["@note"])',
        )
        .replace(
            "directive @link(",
            "directive @note(text: String) on OBJECT\n\ndirective @link(",
        )
        .replace("type Review\n", 'type Review\n  @note(text: "kept out of the API")\n')
    )
    supergraph = load_supergraph(sdl)
    link = supergraph.link("https://example.com/docs")
    assert (
        link is not None
        and link.purpose is None
        and link.directive_name("note") == "note"
    )
    assert "note" not in {
        directive.name for directive in supergraph.api_schema.directives
    }


def test_renamed_links_name_directives_by_their_alias(
    supergraphs: Mapping[str, Supergraph],
) -> None:
    links = {link.name: link for link in supergraphs["renamed_links"].links}
    assert links["join"].directive_name("type") == "j__type"
    assert links["join"].type_name("Graph") == "j__Graph"
    assert links["inaccessible"].directive_name("inaccessible") == "hidden"
    assert links["tag"].directive_name("tag") == "label"
    imported = {link.name: link for link in supergraphs["imported_join"].links}["join"]
    assert imported.directive_name("field") == "field"
    assert imported.directive_name("type") == "participant"
    assert imported.directive_name("graph") == "fed__graph"
    assert imported.type_name("Graph") == "Graph"


@pytest.mark.parametrize(
    ("renamed", "original"),
    [
        ("renamed_links", "inaccessible"),
        ("imported_join", "entities"),
        ("core_v02", "join_v02"),
    ],
)
def test_renamed_links_read_the_same_join_model_as_the_original(
    renamed: str, original: str, supergraphs: Mapping[str, Supergraph]
) -> None:
    assert model_of(supergraphs[renamed]) == model_of(supergraphs[original])
    assert dict(supergraphs[renamed].graphs) == dict(supergraphs[original].graphs)


def test_error_carries_code_and_message() -> None:
    error = SupergraphError("INVALID_SUPERGRAPH", "broken")
    assert (error.code, error.message, str(error)) == (
        "INVALID_SUPERGRAPH",
        "broken",
        "[INVALID_SUPERGRAPH] broken",
    )
    with pytest.raises(ValueError, match="unknown supergraph error code"):
        SupergraphError("NOT_A_CODE", "x")
