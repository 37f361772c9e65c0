"""The operation generator and the hand-written corpus: valid, bounded, varied, repeatable."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
    print_ast,
    validate,
)
from graphql.execution.values import get_variable_values
from support.opgen import (
    EXAMPLE_ARGUMENT_VALUES,
    GeneratedOperation,
    Options,
    generate,
    generate_operations,
)

from bench.plan.corpus import EXAMPLE_SUPERGRAPH, load_hand_written
from planner.supergraph import load_supergraph

_COUNT = 120


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return load_supergraph(EXAMPLE_SUPERGRAPH.read_text(encoding="utf-8")).api_schema


@pytest.fixture(scope="module")
def operations(schema: GraphQLSchema) -> list[GeneratedOperation]:
    return generate(schema, 7, _COUNT, Options(argument_values=EXAMPLE_ARGUMENT_VALUES))


def _operation(document: DocumentNode) -> OperationDefinitionNode:
    (operation,) = [
        d for d in document.definitions if isinstance(d, OperationDefinitionNode)
    ]
    return operation


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {
        d.name.value: d
        for d in document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }


def _field_depth(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
) -> int:
    """Levels of fields below ``selection_set``, fragments expanded."""
    if selection_set is None:
        return 0
    deepest = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            deepest = max(deepest, 1 + _field_depth(selection.selection_set, fragments))
        elif isinstance(selection, InlineFragmentNode):
            deepest = max(deepest, _field_depth(selection.selection_set, fragments))
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments[selection.name.value]
            deepest = max(deepest, _field_depth(fragment.selection_set, fragments))
    return deepest


def _selection_sets(node: object) -> Iterator[SelectionSetNode]:
    selection_set = getattr(node, "selection_set", None)
    if selection_set is None:
        return
    yield selection_set
    for selection in selection_set.selections:
        yield from _selection_sets(selection)


def test_operations_are_valid_against_the_schema(
    schema: GraphQLSchema, operations: list[GeneratedOperation]
) -> None:
    for op in operations:
        assert validate(schema, parse(op.document)) == [], op.document


def test_same_seed_same_operations_other_seed_other_operations(
    schema: GraphQLSchema,
) -> None:
    first = generate_operations(schema, 3, 20)
    assert first == generate_operations(schema, 3, 20)
    assert first != generate_operations(schema, 4, 20)


def test_operations_are_distinct_and_named_in_order(
    operations: list[GeneratedOperation],
) -> None:
    names = [op.name for op in operations]
    assert names == [f"Generated{i + 1}" for i in range(_COUNT)]
    bodies = {op.document.split("{", 1)[1] for op in operations}
    assert len(bodies) == _COUNT


def test_operations_respect_depth_and_width_bounds(schema: GraphQLSchema) -> None:
    options = Options(max_depth=3, max_fields=2)
    for op in generate(schema, 11, 60, options):
        document = parse(op.document)
        fragments = _fragments(document)
        assert _field_depth(_operation(document).selection_set, fragments) <= 3, (
            op.document
        )
        for definition in document.definitions:
            for selection_set in _selection_sets(definition):
                assert len(selection_set.selections) <= 2, op.document


def test_default_bounds_are_depth_five_and_four_selections(
    operations: list[GeneratedOperation],
) -> None:
    depths = []
    for op in operations:
        document = parse(op.document)
        depths.append(
            _field_depth(_operation(document).selection_set, _fragments(document))
        )
        for definition in document.definitions:
            for selection_set in _selection_sets(definition):
                assert len(selection_set.selections) <= 4
    assert max(depths) == 5


def test_variable_values_coerce_for_every_operation(
    schema: GraphQLSchema, operations: list[GeneratedOperation]
) -> None:
    for op in operations:
        definitions = _operation(parse(op.document)).variable_definitions or ()
        coerced = get_variable_values(schema, definitions, dict(op.variables))
        assert not isinstance(coerced, list), (op.document, op.variables, coerced)


def _texts(operations: list[GeneratedOperation]) -> str:
    return "\n".join(op.document for op in operations)


@pytest.mark.parametrize(
    ("feature", "pattern"),
    [
        ("named fragment", "fragment "),
        ("fragment spread", r"\.\.\.ProductFields"),
        ("inline fragment on an interface member", r"\.\.\. on Book"),
        ("union member condition", r"\.\.\. on Product \{"),
        ("nested abstract condition", r"\.\.\. on SearchResult"),
        ("@skip with a variable", r"@skip\(if: \$"),
        ("@include with a literal", r"@include\(if: true\)"),
        ("variable with a default", r"\$\w+: \w+ = "),
        ("__typename", "__typename"),
        ("mutation", "mutation Generated"),
        ("alias", "Products: topProducts"),
        ("variable argument", r"\(upc: \$"),
        ("input object literal", r"\[\{ ?upc: "),
    ],
)
def test_operations_cover_the_feature(
    operations: list[GeneratedOperation], feature: str, pattern: str
) -> None:
    found = re.search(pattern, _texts(operations))
    assert found, f"no generated operation has {feature}"


def test_some_operation_selects_one_field_twice_with_other_arguments(
    operations: list[GeneratedOperation],
) -> None:
    def twice(op: GeneratedOperation) -> bool:
        document = parse(op.document)
        for definition in document.definitions:
            for selection_set in _selection_sets(definition):
                seen: dict[str, set[str]] = {}
                for selection in selection_set.selections:
                    if isinstance(selection, FieldNode) and selection.arguments:
                        arguments = print_ast(selection).split("{")[0]
                        seen.setdefault(selection.name.value, set()).add(arguments)
                if any(len(variants) > 1 for variants in seen.values()):
                    return True
        return False

    assert any(twice(op) for op in operations)


def test_some_operation_conditions_on_every_possible_type(
    schema: GraphQLSchema, operations: list[GeneratedOperation]
) -> None:
    everything = {"Book", "Furniture", "Product"}  # SearchResult's members
    found = False
    for op in operations:
        for definition in parse(op.document).definitions:
            for selection_set in _selection_sets(definition):
                conditions = {
                    s.type_condition.name.value
                    for s in selection_set.selections
                    if isinstance(s, InlineFragmentNode) and s.type_condition
                }
                found = found or everything <= conditions
    assert found


def test_hand_written_corpus_is_valid_named_and_executable(
    schema: GraphQLSchema,
) -> None:
    entries = load_hand_written()
    assert len(entries) >= 60
    for entry in entries:
        document = parse(entry.query)
        assert validate(schema, document) == [], entry.name
        operation = _operation(document)
        assert operation.name is not None and operation.name.value == entry.name
        definitions = operation.variable_definitions or ()
        coerced = get_variable_values(schema, definitions, entry.variables)
        assert not isinstance(coerced, list), (entry.name, coerced)
