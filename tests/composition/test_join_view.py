"""The merged model seen as a join model (planner.composition.join_view) is what a
router reads from the printed supergraph (load_supergraph): satisfiability runs on the
first, planning on the second, so they must not drift apart.

Compared for every valid corpus case and 60 generated worlds: per type, its kind, its
joins, its fields' joins, implements, union members and enum values; and the type and
field names of the full and API schemas.
"""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLSchema, is_input_object_type, is_object_type
from oracle.generate import generate_world
from support.corpus import load_cases

from planner.composition import SubgraphInput
from planner.composition.compose import merged_model
from planner.composition.join_view import join_view
from planner.composition.print_supergraph import print_supergraph
from planner.supergraph import JoinView, load_supergraph
from planner.supergraph.model import TypeJoin


def _inputs() -> list[tuple[str, list[SubgraphInput]]]:
    found = [
        (case.name, [SubgraphInput(s.name, s.url, s.sdl) for s in case.subgraphs])
        for case in load_cases()
        if case.ok
    ]
    for index in range(60):
        world = generate_world(5, index)
        found.append(
            (
                world.name,
                [
                    SubgraphInput(name, f"http://{name}.invalid", sdl)
                    for name, sdl in world.subgraphs.items()
                ],
            )
        )
    return found


INPUTS = _inputs()


def _type_record(join: TypeJoin) -> dict[str, Any]:
    return {
        "kind": join.kind,
        "joins": join.joins,
        "fields": {name: (f.joins, f.implicit) for name, f in join.fields.items()},
        "implements": join.implements,
        "members": join.union_members,
        "values": dict(join.enum_values),
    }


def _schema_shape(schema: GraphQLSchema) -> dict[str, Any]:
    shape: dict[str, Any] = {}
    for name, named in schema.type_map.items():
        if "__" in name:  # introspection and linked features' machinery
            continue
        fields = getattr(named, "fields", None)
        if is_object_type(named) or is_input_object_type(named) or fields is not None:
            shape[name] = sorted(fields or ())
        else:
            shape[name] = None
    return shape


def _view_of(loaded: JoinView) -> dict[str, Any]:
    return {
        "graphs": loaded.subgraph_names,
        "types": {name: _type_record(t) for name, t in loaded.types.items()},
        "schema": _schema_shape(loaded.schema),
        "api": _schema_shape(loaded.api_schema),
    }


@pytest.mark.parametrize(("name", "inputs"), INPUTS, ids=[n for n, _ in INPUTS])
def test_the_join_view_is_what_the_printed_supergraph_loads_as(
    name: str, inputs: list[SubgraphInput]
) -> None:
    model, errors, _ = merged_model(inputs)
    assert model is not None and not errors, errors
    loaded = load_supergraph(print_supergraph(model))
    view = _view_of(join_view(model))
    expected = _view_of(loaded)
    # The loaded schema also holds the machinery (join__*, link__*) and the scalars
    # the printer declares: compare the types the model has.
    machinery = set(expected["schema"]) - set(view["schema"])
    assert machinery <= {"String", "Int", "Float", "Boolean", "ID"}, machinery
    expected["schema"] = {
        k: v for k, v in expected["schema"].items() if k not in machinery
    }
    assert view["graphs"] == expected["graphs"]
    assert view["types"] == expected["types"]
    assert view["schema"] == expected["schema"]
    assert view["api"] == expected["api"]
