"""Random operations over a world's API schema, with values that reach its records.

``support.opgen`` writes the operations (fragments on every abstract type, aliases of
one field with other arguments, variables with defaults, ``@skip``/``@include`` with
variables, ``__typename``); this module gives it the world's keys as argument values,
now and then repeats a field unaliased inside one selection (``a { x } a { y }``),
which must merge, and now and then aliases a field with the name of another field of
its type (``id: title``), which the router must not confuse with that field (a key or
a ``@requires`` input it fetches on its own), and adds ``@defer`` to some of them
(``oracle.deferring``; ``defer_share`` of the operations, drawn from a stream of its own
so that the operations it leaves alone are those of campaigns before it).

Generation validates every operation with graphql-core, which made it most of the time
of a campaign's world; the operations of a world are therefore kept in the test cache
(``support.derived_cache``), keyed by the world, its API schema, the arguments,
graphql-core's version and the source of the modules that write them.
"""

from __future__ import annotations

import random
from typing import Any

import graphql
from graphql import (
    GraphQLSchema,
    NameNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    parse,
    print_ast,
    print_schema,
    validate,
    visit,
)
from graphql.language import FieldNode, SelectionSetNode
from support.derived_cache import cached_json, source_digest
from support.opgen import Options, generate

from oracle.deferring import add_defers
from oracle.generate import argument_values
from oracle.harness import CheckedOperation
from oracle.world import World
from planner.supergraph.api_schema import with_defer

__all__ = ["DEFER_SHARE", "operations_for"]

# The share of operations that get `@defer` (each is then also run streamed).
DEFER_SHARE = 0.1


def operations_for(
    world: World,
    api_schema: GraphQLSchema,
    seed: int,
    count: int,
    *,
    max_depth: int = 4,
    max_fields: int = 3,
    defer_share: float = DEFER_SHARE,
) -> list[CheckedOperation]:
    key = [
        world.dumps(),
        print_schema(api_schema),
        repr((seed, count, max_depth, max_fields, defer_share, graphql.version)),
        source_digest(*_WRITERS),
    ]
    written = cached_json(
        "oracle-operations",
        key,
        lambda: _write(
            world, api_schema, seed, count, max_depth, max_fields, defer_share
        ),
    )
    return [
        CheckedOperation(query, variables, name, validated=True)
        for query, variables, name in written
    ]


# The modules whose code decides which operations a world gets.
_WRITERS = (
    "tests/support/opgen.py",
    "tests/oracle/operations.py",
    "tests/oracle/deferring.py",
    "tests/oracle/generate.py",
    "tests/oracle/world.py",
)


def _write(
    world: World,
    api_schema: GraphQLSchema,
    seed: int,
    count: int,
    max_depth: int,
    max_fields: int,
    defer_share: float,
) -> list[tuple[str, dict[str, Any], str]]:
    options = Options(
        max_depth=max_depth,
        max_fields=max_fields,
        mutation_share=0.15,  # drawn only where the world has a Mutation type
        argument_values=argument_values(world),
        name_prefix="Op",
    )
    rng = random.Random(f"oracle-ops:{seed}:{world.name}")
    # Its own draws: the operations it leaves alone stay as they were before it.
    alias_rng = random.Random(f"oracle-alias:{seed}:{world.name}")
    defer_rng = random.Random(f"oracle-defer:{seed}:{world.name}")
    client_schema = with_defer(api_schema)
    result = []
    for operation in generate(api_schema, seed, count, options):
        query = operation.document
        if rng.random() < 0.2:
            query = _repeat_a_field(api_schema, query, rng)
        if alias_rng.random() < 0.1:
            query = _alias_as_another_field(api_schema, query, alias_rng)
        variables = dict(operation.variables)
        if defer_rng.random() < defer_share:
            query, variables = add_defers(client_schema, query, variables, defer_rng)
        result.append((query, variables, operation.name))
    return result


def _repeat_a_field(schema: GraphQLSchema, query: str, rng: random.Random) -> str:
    """The same document with one composite field selected twice, each copy keeping a
    part of its sub-selection; unchanged when that would not be valid."""
    document = parse(query)
    candidates: list[tuple[SelectionSetNode, int]] = []

    def walk(selection_set: SelectionSetNode | None) -> None:
        if selection_set is None:
            return
        for index, node in enumerate(selection_set.selections):
            if (
                isinstance(node, FieldNode)
                and node.selection_set is not None
                and len(node.selection_set.selections) >= 2
            ):
                candidates.append((selection_set, index))
            walk(getattr(node, "selection_set", None))

    for definition in document.definitions:
        walk(getattr(definition, "selection_set", None))
    if not candidates:
        return query
    parent, index = rng.choice(candidates)
    field = parent.selections[index]
    assert isinstance(field, FieldNode) and field.selection_set is not None
    inner = list(field.selection_set.selections)
    cut = rng.randrange(1, len(inner))
    first = FieldNode(
        alias=field.alias,
        name=field.name,
        arguments=field.arguments,
        directives=field.directives,
        selection_set=SelectionSetNode(selections=tuple(inner[:cut])),
    )
    second = FieldNode(
        alias=field.alias,
        name=field.name,
        arguments=field.arguments,
        directives=field.directives,
        selection_set=SelectionSetNode(selections=tuple(inner[cut:])),
    )
    selections = list(parent.selections)
    selections[index : index + 1] = [first, second]
    replacement = SelectionSetNode(selections=tuple(selections))

    class _Replace(Visitor):
        def enter_selection_set(self, node: SelectionSetNode, *_: object) -> object:
            return replacement if node is parent else None

    printed = print_ast(visit(document, _Replace()))
    if validate(schema, parse(printed)):
        return query
    return printed


def _alias_as_another_field(
    schema: GraphQLSchema, query: str, rng: random.Random
) -> str:
    """The same document with one field aliased as another field of its parent type
    (``id`` when there is one, half the time); unchanged when that would not be
    valid."""
    document = parse(query)
    type_info = TypeInfo(schema)
    candidates: list[tuple[FieldNode, list[str]]] = []

    class _Collect(Visitor):
        def enter_field(self, node: FieldNode, *_: object) -> None:
            parent = type_info.get_parent_type()
            fields = getattr(parent, "fields", None) or {}
            names = sorted(n for n in fields if n != node.name.value)
            if names and node.name.value != "__typename":
                candidates.append((node, names))

    visit(document, TypeInfoVisitor(type_info, _Collect()))
    if not candidates:
        return query
    target, names = rng.choice(candidates)
    alias = "id" if "id" in names and rng.random() < 0.5 else rng.choice(names)
    renamed = FieldNode(
        alias=NameNode(value=alias),
        name=target.name,
        arguments=target.arguments,
        directives=target.directives,
        selection_set=target.selection_set,
    )

    class _Replace(Visitor):
        def enter_field(self, node: FieldNode, *_: object) -> object:
            return renamed if node is target else None

    printed = print_ast(visit(document, _Replace()))
    if validate(schema, parse(printed)):
        return query
    return printed
