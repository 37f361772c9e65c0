"""The benchmark's federation generator: deterministic, and exactly the requested size."""

from __future__ import annotations

from graphql import build_ast_schema, parse

from bench.compose.generate import FULL, TINY, Shape, generate


def _named_types(sdl: str) -> set[str]:
    return {
        d.name.value
        for d in parse(sdl).definitions
        if hasattr(d, "name") and d.name.value not in ("Query", "Mutation")
    }


def test_generate_is_deterministic_for_a_seed() -> None:
    assert generate(TINY) == generate(TINY)
    assert generate(TINY) != generate(Shape(TINY.subgraphs, TINY.types, seed=2))


def test_generate_defines_exactly_the_requested_types() -> None:
    federation = generate(Shape(subgraphs=20, types=400))
    names = set().union(*(_named_types(s.sdl) for s in federation.subgraphs))
    assert len(federation.subgraphs) == 20
    assert len(names) == federation.type_count == 400


def test_generate_defaults_to_100_subgraphs_and_3000_types() -> None:
    federation = generate()
    assert (len(federation.subgraphs), federation.type_count) == (100, 3000)
    assert Shape(subgraphs=100, types=3000) == FULL


def test_every_generated_subgraph_parses_with_root_query_fields() -> None:
    for subgraph in generate(TINY).subgraphs:
        document = parse(subgraph.sdl)
        schema = build_ast_schema(document, assume_valid_sdl=True)
        assert schema.query_type is not None and schema.query_type.fields
