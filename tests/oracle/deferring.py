"""``@defer`` added to a generated operation, at random, where a client may put it.

A deferred operation is answered twice by the harness: merged (the router answers it
as the operation without ``@defer``) and streamed, as a multipart client gets it
(``oracle.incremental`` says what that client must hold). This module makes such
operations out of ``support.opgen``'s: ``@defer`` on an existing inline fragment or
fragment spread (type conditions on abstract types included), or a run of selections
wrapped in ``... @defer { }`` (around fields of lists, of entities reached through a
join, at the query's root), one to three times, so that defers nest now and then.
A defer has a unique ``label`` or none, and ``if:`` now and then: a literal, or a
``Boolean`` variable (non-null, or nullable with a default, given or left out).

Each step is kept only when the document stays valid against the API schema with
Apollo's ``@defer`` definition (graphql-core's rules: no ``@defer`` on a mutation's or
subscription's root fields, labels unique); an invalid step is dropped, not repaired.
"""

from __future__ import annotations

import random
from typing import Any

from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    StringValueNode,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    parse,
    print_ast,
    validate,
    visit,
)

__all__ = ["add_defers"]


def add_defers(
    schema: GraphQLSchema,
    query: str,
    variables: dict[str, Any],
    rng: random.Random,
) -> tuple[str, dict[str, Any]]:
    """``query`` with one to three ``@defer`` steps, and its variables (a step with a
    variable ``if:`` adds one); ``schema`` is the API schema with ``@defer``."""
    variables = dict(variables)
    steps = 1 + (rng.random() < 0.4) + (rng.random() < 0.2)
    for _ in range(steps):
        document = parse(query)
        operation = _operation(document)
        if operation is None or operation.operation == OperationType.SUBSCRIPTION:
            break
        step = _step(document, operation, variables, rng)
        if step is None:
            continue
        printed, added = step
        if validate(schema, parse(printed)):
            continue
        query = printed
        variables.update(added)
    return query, variables


def _operation(document: DocumentNode) -> OperationDefinitionNode | None:
    operations = [
        d for d in document.definitions if isinstance(d, OperationDefinitionNode)
    ]
    return operations[0] if len(operations) == 1 else None


def _step(
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: dict[str, Any],
    rng: random.Random,
) -> tuple[str, dict[str, Any]] | None:
    fragments: list[InlineFragmentNode | FragmentSpreadNode] = []
    selection_sets: list[SelectionSetNode] = []
    # A mutation's root fields run in order and are never deferred.
    root = (
        operation.selection_set if operation.operation != OperationType.QUERY else None
    )

    def walk(selection_set: SelectionSetNode | None) -> None:
        if selection_set is None:
            return
        if selection_set is not root:
            selection_sets.append(selection_set)
        for node in selection_set.selections:
            if isinstance(node, InlineFragmentNode | FragmentSpreadNode) and not any(
                d.name.value == "defer" for d in node.directives or ()
            ):
                fragments.append(node)
            walk(getattr(node, "selection_set", None))

    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode):
            walk(definition.selection_set)
    added: dict[str, Any] = {}
    directive = _defer_directive(document, operation, variables, added, rng)
    if fragments and rng.random() < 0.4:
        target: Any = rng.choice(fragments)
        replacement: Any = target.__class__(
            **{
                **{k: getattr(target, k) for k in target.keys if k != "loc"},
                "directives": (*(target.directives or ()), directive),
            }
        )
    elif selection_sets:
        target = rng.choice(selection_sets)
        inner = list(target.selections)
        start = rng.randrange(len(inner))
        end = rng.randrange(start + 1, len(inner) + 1)
        deferred = InlineFragmentNode(
            type_condition=None,
            directives=(directive,),
            selection_set=SelectionSetNode(selections=tuple(inner[start:end])),
        )
        inner[start:end] = [deferred]
        replacement = SelectionSetNode(selections=tuple(inner))
    else:
        return None

    class _Replace(Visitor):
        def enter(self, node: Any, *_: object) -> object:
            return replacement if node is target else None

    document = visit(document, _Replace())
    if added:
        document = _declare(document, added, rng)
    return print_ast(document), {k: v for k, v in added.items() if v is not None}


def _defer_directive(
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: dict[str, Any],
    added: dict[str, Any],
    rng: random.Random,
) -> DirectiveNode:
    printed = print_ast(document)
    arguments = []
    if rng.random() < 0.5:
        number = 0
        while f'"d{number}"' in printed:
            number += 1
        arguments.append(
            ArgumentNode(
                name=NameNode(value="label"), value=StringValueNode(value=f"d{number}")
            )
        )
    draw = rng.random()
    if draw < 0.1:
        arguments.append(
            ArgumentNode(
                name=NameNode(value="if"),
                value=BooleanValueNode(value=rng.random() < 0.5),
            )
        )
    elif draw < 0.35:
        declared = {v.variable.name.value for v in operation.variable_definitions or ()}
        number = 0
        while f"deferIf{number}" in declared or f"deferIf{number}" in variables:
            number += 1
        name = f"deferIf{number}"
        # True, False, or None: declared nullable with a default and left out.
        added[name] = rng.choice((True, False, None))
        arguments.append(
            ArgumentNode(
                name=NameNode(value="if"), value=VariableNode(name=NameNode(value=name))
            )
        )
    return DirectiveNode(name=NameNode(value="defer"), arguments=tuple(arguments))


def _declare(
    document: DocumentNode, added: dict[str, Any], rng: random.Random
) -> DocumentNode:
    """The operation with a variable definition for each of ``added``."""
    boolean = NamedTypeNode(name=NameNode(value="Boolean"))
    definitions = []
    for name, value in added.items():
        variable = VariableNode(name=NameNode(value=name))
        if value is None or rng.random() < 0.3:
            default = BooleanValueNode(value=rng.random() < 0.5)
            definitions.append(
                VariableDefinitionNode(
                    variable=variable,
                    type=boolean,
                    default_value=default,
                    directives=(),
                )
            )
        else:
            definitions.append(
                VariableDefinitionNode(
                    variable=variable, type=NonNullTypeNode(type=boolean), directives=()
                )
            )

    class _Declare(Visitor):
        def enter_operation_definition(
            self, node: OperationDefinitionNode, *_: object
        ) -> object:
            return OperationDefinitionNode(
                operation=node.operation,
                name=node.name,
                variable_definitions=(*(node.variable_definitions or ()), *definitions),
                directives=node.directives,
                selection_set=node.selection_set,
            )

    declared: DocumentNode = visit(document, _Declare())
    return declared
