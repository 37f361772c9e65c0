"""Compiled shaping (`shaping_compiler`) against the interpreter, byte for byte.

Generated operations (`support.opgen`, over the example API schema and a small schema
with nested lists and a custom scalar) meet random executor trees: valid ones, which the
compiled functions must shape on their own, and faulty ones (nulls in non-null positions,
wrong leaf types, non-lists, non-objects, unknown, interface or unhashable
`__typename`, missing names, planner-added keys), whose value-completion errors must
come out exactly as the interpreter reports them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLCompositeType,
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    build_schema,
    is_abstract_type,
    parse,
    validate,
)
from support.opgen import EXAMPLE_ARGUMENT_VALUES, GeneratedOperation, Options, generate

import router.execution.shaping as shaping
import router.execution.shaping_compiler as shaping_compiler
from bench.plan.corpus import EXAMPLE_SUPERGRAPH
from planner.supergraph import load_supergraph
from router.execution import ResponseShaper

NESTED_SCHEMA = build_schema(
    """
    type Query {
      grid: [[Cell!]]!
      tags: [[String]!]
      blobs: [JSON]
      node: Node
      nodes: [Node]!
      shapes: [Shape!]
      status: [Status!]!
    }
    scalar JSON
    enum Status { ON OFF }
    interface Node { id: ID! }
    interface Named implements Node { id: ID! name: String }
    type Cell implements Node & Named {
      id: ID! name: String value: Float! neighbours: [[Cell]] data: JSON
    }
    type Box implements Node { id: ID! cells: [Cell!]! size: Int! }
    union Shape = Cell | Box
    """
)

_TREES_PER_OPERATION = 12
_FAULT_RATES = (0.0, 0.0, 0.02, 0.1, 0.3)


def _example_schema() -> GraphQLSchema:
    return load_supergraph(EXAMPLE_SUPERGRAPH.read_text(encoding="utf-8")).api_schema


def _operations() -> Iterator[tuple[str, GraphQLSchema, GeneratedOperation]]:
    example = _example_schema()
    options = Options(argument_values=EXAMPLE_ARGUMENT_VALUES, mutation_share=0.1)
    for op in generate(example, 21, 150, options):
        yield "example", example, op
    for op in generate(NESTED_SCHEMA, 22, 80, Options(max_depth=4)):
        yield "nested", NESTED_SCHEMA, op


_OPERATIONS = list(_operations())


class _TreeMaker:
    """Random executor trees for one operation: every selected name (under every
    fragment, whatever the runtime type), valid values unless a fault is drawn."""

    def __init__(
        self, schema: GraphQLSchema, document: DocumentNode, rng: random.Random
    ) -> None:
        self.schema = schema
        self.rng = rng
        self.faults = 0.0
        self.fragments = {
            d.name.value: d
            for d in document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }
        self.interfaces = sorted(
            name
            for name, named in schema.type_map.items()
            if isinstance(named, GraphQLInterfaceType) and not name.startswith("__")
        )
        self.objects = sorted(
            name
            for name, named in schema.type_map.items()
            if isinstance(named, GraphQLObjectType) and not name.startswith("__")
        )

    def fault(self) -> bool:
        return self.rng.random() < self.faults

    def root(self, operation: OperationDefinitionNode) -> dict[str, Any]:
        root_type = self.schema.get_root_type(operation.operation)
        assert root_type is not None
        tree = self.fields(root_type, root_type, [operation.selection_set])
        if self.rng.random() < 0.3:
            tree["__typename"] = root_type.name
        return tree

    def object(
        self, static: GraphQLCompositeType, sets: list[SelectionSetNode]
    ) -> dict[str, Any] | Any:
        rng = self.rng
        if self.fault():
            return rng.choice([5, "object", [{}], True])
        if is_abstract_type(static):
            possible = list(self.schema.get_possible_types(static))  # type: ignore[arg-type]
            runtime: GraphQLObjectType = rng.choice(possible)
        else:
            assert isinstance(static, GraphQLObjectType)
            runtime = static
        tree = self.fields(static, runtime, sets)
        if self.fault():
            interface = rng.choice(self.interfaces or ["X"])
            typename: Any = rng.choice(
                ["Bogus", 7, ["User"], {}, interface, *self.objects]
            )
            tree["__typename"] = typename
        elif is_abstract_type(static) or rng.random() < 0.6:
            # The executor's __typename comes first or last depending on the fetch.
            if rng.random() < 0.5:
                tree = {"__typename": runtime.name, **tree}
            else:
                tree["__typename"] = runtime.name
        return tree

    def fields(
        self,
        static: GraphQLCompositeType,
        runtime: GraphQLObjectType,
        sets: list[SelectionSetNode],
    ) -> dict[str, Any]:
        rng = self.rng
        grouped: dict[str, tuple[GraphQLOutputType, list[SelectionSetNode]]] = {}
        for selection_set in sets:
            self._collect(static, selection_set, grouped, set())
        tree: dict[str, Any] = {}
        for name, (field_type, sub_sets) in grouped.items():
            nullable = not isinstance(field_type, GraphQLNonNull)
            if self.fault() or (nullable and rng.random() < 0.05):
                continue  # missing: shaping reads it as null
            tree[name] = self.value(field_type, sub_sets)
        if rng.random() < 0.3:
            tree["id_key"] = "planner-added"
        if rng.random() < 0.2:
            tree = dict(reversed(list(tree.items())))
        return tree

    def _collect(
        self,
        parent: GraphQLCompositeType,
        selection_set: SelectionSetNode,
        grouped: dict[str, tuple[GraphQLOutputType, list[SelectionSetNode]]],
        visited: set[str],
    ) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                field_name = selection.name.value
                if field_name.startswith("__"):
                    continue
                name = selection.alias.value if selection.alias else field_name
                definition = getattr(parent, "fields", {}).get(field_name)
                if definition is None:
                    continue
                entry = grouped.setdefault(name, (definition.type, []))
                if selection.selection_set:
                    entry[1].append(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                named = (
                    self.schema.get_type(condition.name.value) if condition else parent
                )
                self._collect(named, selection.selection_set, grouped, visited)  # type: ignore[arg-type]
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is None or fragment.name.value in visited:
                    continue
                visited.add(fragment.name.value)
                named = self.schema.get_type(fragment.type_condition.name.value)
                self._collect(named, fragment.selection_set, grouped, visited)  # type: ignore[arg-type]

    def value(self, field_type: GraphQLOutputType, sets: list[SelectionSetNode]) -> Any:
        rng = self.rng
        if isinstance(field_type, GraphQLNonNull):
            if self.fault():
                return None
            return self._inner(field_type.of_type, sets)
        if rng.random() < 0.12:
            return None
        return self._inner(field_type, sets)

    def _inner(
        self, field_type: GraphQLOutputType, sets: list[SelectionSetNode]
    ) -> Any:
        rng = self.rng
        if isinstance(field_type, GraphQLList):
            if self.fault():
                return rng.choice(["list", {"a": 1}, 3])
            return [
                self.value(field_type.of_type, sets) for _ in range(rng.randint(0, 3))
            ]
        if isinstance(field_type, GraphQLScalarType | GraphQLEnumType):
            if self.fault():
                return rng.choice(
                    ["bad", 1.5, True, [1], {"a": 1}, float("inf"), "OFFF"]
                )
            return self._leaf(field_type)
        return self.object(field_type, sets)  # type: ignore[arg-type]

    def _leaf(self, leaf: GraphQLScalarType | GraphQLEnumType) -> Any:
        rng = self.rng
        if isinstance(leaf, GraphQLEnumType):
            return rng.choice(sorted(leaf.values))
        choices: dict[str, list[Any]] = {
            "Int": [rng.randint(-5, 500), 3.0, 0],
            "Float": [1.25, 7, -0.5, 2.0],
            "String": ["s", "", "ünï"],
            "Boolean": [True, False],
            "ID": ["id-1", 42],
        }
        return rng.choice(
            choices.get(leaf.name, ["any", 1, {"x": [1, None]}, [1, "a"], 2.5])
        )


def _variables(op: GeneratedOperation, rng: random.Random) -> dict[str, Any]:
    """The operation's variables with each Boolean (a condition, maybe) redrawn."""
    variables = dict(op.variables)
    for name, value in list(variables.items()):
        if isinstance(value, bool):
            variables[name] = rng.random() < 0.5
    for name in rng.sample(sorted(variables), k=min(1, len(variables))):
        if isinstance(variables[name], bool):
            del variables[name]  # the default, or true
    return variables


@pytest.fixture(autouse=True)
def _compile_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every shape here goes through the compiled functions, the first one too."""
    monkeypatch.setattr(shaping, "COMPILE_AFTER", 0)


def _interpreted(
    shaper: ResponseShaper,
    data: dict[str, Any],
    errors: list[dict[str, Any]],
    variables: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, Any]:
    with monkeypatch.context() as patch:
        patch.setattr(shaping, "root_function", lambda plan, types: None)
        return shaper.shape(data, errors, variables)


def _spy_root_function(
    monkeypatch: pytest.MonkeyPatch,
) -> list[str]:
    """Records, per compiled call, "ok" or "fallback"."""
    outcomes: list[str] = []
    real = shaping_compiler.root_function

    def spy(plan: Any, types: Any) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
        function = real(plan, types)
        if function is None:
            outcomes.append("interpreted")
            return None
        compiled = function

        def recorded(data: dict[str, Any]) -> dict[str, Any]:
            try:
                result = compiled(data)
            except (shaping_compiler.Fallback, TypeError):
                outcomes.append("fallback")
                raise
            outcomes.append("ok")
            return result

        return recorded

    monkeypatch.setattr(shaping, "root_function", spy)
    return outcomes


@pytest.mark.parametrize(
    ("schema_name", "schema", "op"),
    _OPERATIONS,
    ids=[f"{name}-{op.name}" for name, _, op in _OPERATIONS],
)
def test_compiled_shaping_is_byte_identical_to_the_interpreter(
    schema_name: str,
    schema: GraphQLSchema,
    op: GeneratedOperation,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    document = parse(op.document)
    assert not validate(schema, document)
    (operation,) = [
        d for d in document.definitions if isinstance(d, OperationDefinitionNode)
    ]
    rng = random.Random(f"shaping:{schema_name}:{op.name}")
    maker = _TreeMaker(schema, document, rng)
    shaper = ResponseShaper.compile(schema, document, op.name)
    for index in range(_TREES_PER_OPERATION):
        maker.faults = _FAULT_RATES[index % len(_FAULT_RATES)]
        data = maker.root(operation)
        variables = _variables(op, rng)
        errors = [{"message": "fetch failed"}] if rng.random() < 0.15 else []
        snapshot = orjson.dumps(data)

        expected = _interpreted(shaper, data, errors, variables, monkeypatch)
        with monkeypatch.context():
            outcomes = _spy_root_function(monkeypatch)
            response = shaper.shape(data, errors, variables)

        assert orjson.dumps(response) == orjson.dumps(expected), (op.document, data)
        assert orjson.dumps(data) == snapshot  # the tree is read, never changed
        if maker.faults == 0:
            assert outcomes == ["ok"], (op.document, data)


def test_valid_tree_is_shaped_without_the_interpreter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    document = parse(
        "{ nodes { id ... on Cell { v: value tags: neighbours { id } } } }"
    )
    shaper = ResponseShaper.compile(NESTED_SCHEMA, document, None)
    outcomes = _spy_root_function(monkeypatch)
    data = {
        "nodes": [
            {"__typename": "Box", "id": "b", "size": 2},
            None,
            {"__typename": "Cell", "id": "c", "v": 2, "tags": [[None]]},
        ]
    }

    response = shaper.shape(data, [], {})

    assert outcomes == ["ok"]
    assert response == {
        "data": {
            "nodes": [
                {"id": "b"},
                None,
                {"id": "c", "v": 2, "tags": [[None]]},
            ]
        }
    }


def test_value_completion_error_falls_back_to_the_interpreter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    document = parse("{ grid { id } }")
    shaper = ResponseShaper.compile(NESTED_SCHEMA, document, None)
    outcomes = _spy_root_function(monkeypatch)

    response = shaper.shape({"grid": [[{"id": "a"}, {"id": None}]]}, [], {})

    assert outcomes == ["fallback"]
    assert response["data"] == {"grid": [None]}
    (error,) = response["extensions"]["valueCompletion"]
    assert error["path"] == ["grid", 0, 1, "id"]
    assert error["message"] == "Cannot return null for non-nullable field Cell.id."


def test_operation_past_the_compile_budget_is_interpreted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(shaping_compiler, "MAX_COMPILED_FIELDS", 3)
    document = parse("{ shapes { ... on Box { id size cells { id name } } } }")
    shaper = ResponseShaper.compile(NESTED_SCHEMA, document, None)
    outcomes = _spy_root_function(monkeypatch)
    data = {
        "shapes": [{"__typename": "Box", "id": "b", "size": 1, "cells": [{"id": "c"}]}]
    }
    expected = {
        "data": {
            "shapes": [{"id": "b", "size": 1, "cells": [{"id": "c", "name": None}]}]
        }
    }

    first = shaper.shape(data, [], {})
    second = shaper.shape(data, [], {})

    # The Box function passes the budget while shaping the first response; from then
    # on the operation goes straight to the interpreter.
    assert outcomes == ["fallback", "interpreted"]
    assert first == second == expected


def test_generated_code_quotes_response_names(monkeypatch: pytest.MonkeyPatch) -> None:
    schema = build_schema("type Query { a: String b: Int }")
    document = parse("{ x_1: a __typename y: b c: __typename }")
    shaper = ResponseShaper.compile(schema, document, None)
    outcomes = _spy_root_function(monkeypatch)

    response = shaper.shape({"x_1": "s", "y": 1}, [], {})

    assert outcomes == ["ok"]
    assert orjson.dumps(response) == (
        b'{"data":{"x_1":"s","__typename":"Query","y":1,"c":"Query"}}'
    )


def test_an_operation_is_interpreted_until_it_is_shaped_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Compiling costs several interpreted shapes, so an operation sent once is never
    compiled (the uncached-traffic case); the second response is."""
    monkeypatch.setattr(shaping, "COMPILE_AFTER", 1)
    schema = build_schema("type Query { a: String b: Int }")
    shaper = ResponseShaper.compile(schema, parse("{ b a }"), None)
    outcomes = _spy_root_function(monkeypatch)
    first = shaper.shape({"a": "x", "b": 1, "c": 2}, [], {})
    assert outcomes == []
    second = shaper.shape({"a": "x", "b": 1, "c": 2}, [], {})
    assert outcomes == ["ok"]
    assert first == second == {"data": {"b": 1, "a": "x"}}
