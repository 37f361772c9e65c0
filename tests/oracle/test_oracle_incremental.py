"""The streamed truth (oracle.incremental): a failure in a deferred fragment nulls that
fragment's payload only, as the incremental delivery spec says, and the comparison
still sees a streamed answer that nulls further up or carries a wrong value."""

from __future__ import annotations

from graphql import parse, print_ast

from oracle.cases import CASES_DIR, load_case
from oracle.harness import compare, compose_world
from oracle.incremental import nullable_schema, streamed_truth, with_typenames
from oracle.monolith import Monolith
from oracle.server import world_interfaces

# `top` is a Book whose non-null `pages` fails.
WORLD = load_case(CASES_DIR / "interface-object-entity-that-fails.yaml").world
DEFERRED = '{ top { id ... @defer(label: "p") { ... on Book { pages } } } }'


def _answers(query: str) -> tuple[dict, dict]:  # type: ignore[type-arg]
    supergraph = compose_world(WORLD, "http://127.0.0.1:9")
    interfaces = world_interfaces(WORLD)
    monolith = Monolith(WORLD, supergraph.api_schema, supergraph.schema, interfaces)
    raw = Monolith(
        WORLD, nullable_schema(supergraph.api_schema), supergraph.schema, interfaces
    ).execute(print_ast(with_typenames(parse(query))))
    truth = streamed_truth(supergraph.api_schema, parse(query), {}, raw)
    return monolith.execute(query), truth


def test_a_failure_in_a_deferred_fragment_nulls_only_that_payload() -> None:
    merged, truth = _answers(DEFERRED)
    assert merged["data"] == {"top": None}
    assert truth["data"] == {"top": {"id": "b1"}}
    assert [e["path"] for e in truth["errors"]] == [["top", "pages"]]


def test_a_failure_outside_deferred_fragments_nulls_as_in_one_response() -> None:
    query = "{ top { ... on Book { pages } ... @defer { id } } maybe { id } }"
    merged, truth = _answers(query)
    assert (
        truth["data"]
        == merged["data"]
        == {
            "top": None,
            "maybe": [{"id": "b2"}, {"id": "b1"}, {"id": "m1"}],
        }
    )


def test_a_streamed_answer_that_nulls_further_up_or_differs_is_caught() -> None:
    merged, truth = _answers(DEFERRED)
    assert compare(
        truth, {"data": {"top": {"id": "b1"}}, "errors": truth["errors"]}
    ) == ([], "")
    assert "data" in compare(truth, merged)[0]
    wrong = {"data": {"top": {"id": "b2"}}, "errors": truth["errors"]}
    assert "data" in compare(truth, wrong)[0]
    assert "errors" in compare(truth, {"data": {"top": {"id": "b1"}}})[0]


def test_a_deferred_fragment_at_the_root_of_a_query_is_delivered_inline() -> None:
    # The router plans it as one part (README: a known difference from Apollo), so a
    # failure there nulls as in one response; a defer under a field inside it is
    # still its own payload.
    merged, truth = _answers(
        "{ maybe { id } ... @defer { rated { ... on Book { pages } } } }"
    )
    assert truth["data"] == merged["data"] is None
    nested = "{ ... @defer { top { id ... @defer { ... on Book { pages } } } } }"
    merged, truth = _answers(nested)
    assert merged["data"] == {"top": None}
    assert truth["data"] == {"top": {"id": "b1"}}
