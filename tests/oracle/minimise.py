"""The smallest world and operation that still disagree.

Greedy delta debugging: try one removal at a time and keep it when the router still
disagrees with the monolith (any kind of disagreement the original had). First the
operation (selections, fragments, directives, aliases, arguments), then the world
(fields and types of each subgraph's SDL, records, list items), then the operation
once more. A candidate that does not compose, or whose operation is no longer valid,
is skipped.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import aiohttp
from graphql import (
    DefinitionNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    Node,
    ObjectTypeDefinitionNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Visitor,
    parse,
    print_ast,
    validate,
    visit,
)

from oracle.harness import (
    CheckedOperation,
    Disagreement,
    OracleServer,
    WorldRejected,
    check_world,
    compose_world,
)
from oracle.world import World

__all__ = ["minimise"]

MAX_CHECKS = 400


class _Budget:
    def __init__(self) -> None:
        self.left = MAX_CHECKS


async def minimise(server: OracleServer, found: Disagreement) -> Disagreement:
    budget = _Budget()
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        best = found
        for shrink in (_smaller_operations, _smaller_worlds, _smaller_operations):
            best = await _shrink(session, server, best, budget, shrink)
    return best


async def _shrink(
    session: aiohttp.ClientSession,
    server: OracleServer,
    best: Disagreement,
    budget: _Budget,
    smaller: Callable[[Disagreement], Iterator[tuple[World, CheckedOperation]]],
) -> Disagreement:
    """Keeps the first smaller (world, operation) that still disagrees, until none
    does (or the budget is spent)."""
    changed = True
    while changed and budget.left > 0:
        changed = False
        for world, operation in smaller(best):
            found = await _recheck(
                session, server, world, operation, best.kinds, budget
            )
            if found is not None:
                best, changed = found, True
                break
    return best


def _smaller_operations(
    best: Disagreement,
) -> Iterator[tuple[World, CheckedOperation]]:
    for operation in _operation_candidates(best.operation):
        yield best.world, operation


def _smaller_worlds(best: Disagreement) -> Iterator[tuple[World, CheckedOperation]]:
    for world in _world_candidates(best.world):
        yield world, best.operation


async def _recheck(
    session: aiohttp.ClientSession,
    server: OracleServer,
    world: World,
    operation: CheckedOperation,
    kinds: tuple[str, ...],
    budget: _Budget,
) -> Disagreement | None:
    """The disagreement this world and operation give, if it is still one of ``kinds``."""
    if budget.left <= 0:
        return None
    budget.left -= 1
    try:
        supergraph = compose_world(world, server.url)
    except (WorldRejected, Exception):
        return None
    if validate(supergraph.api_schema, parse(operation.query)):
        return None
    # A world whose records name a type its schema lost is not a smaller world: it
    # only disagrees about data no schema could hold.
    types = supergraph.api_schema.type_map
    if any(record["__typename"] not in types for record in world.records.values()):
        return None
    report = await check_world(
        session, server, world, [operation], supergraph=supergraph
    )
    for disagreement in report.disagreements:
        if set(disagreement.kinds) & set(kinds):
            return disagreement
    return None


# -- the operation ----------------------------------------------------------------------


def _operation_candidates(operation: CheckedOperation) -> Iterator[CheckedOperation]:
    document = parse(operation.query)
    for edited in _document_edits(document):
        text = print_ast(_tidy(edited))
        if text != operation.query:
            variables = {
                k: v for k, v in operation.variables.items() if f"${k}" in text
            }
            yield CheckedOperation(text, variables, operation.operation_name)


def _document_edits(document: DocumentNode) -> Iterator[DocumentNode]:
    """Each document with one thing removed or simplified."""
    selection_sets: list[SelectionSetNode] = []

    class _Collect(Visitor):
        def enter_selection_set(self, node: SelectionSetNode, *_: object) -> None:
            selection_sets.append(node)

    visit(document, _Collect())
    for target in selection_sets:
        for index in range(len(target.selections)):
            if len(target.selections) > 1:
                kept = target.selections[:index] + target.selections[index + 1 :]
                yield _replace(document, target, SelectionSetNode(selections=kept))
            node = target.selections[index]
            for simpler in _simplified(node):
                selections = list(target.selections)
                selections[index] = simpler
                yield _replace(
                    document, target, SelectionSetNode(selections=tuple(selections))
                )


def _simplified(node: Node) -> Iterator[Node]:
    if isinstance(node, FieldNode):
        if node.alias is not None:
            yield _copy(node, alias=None)
        if node.directives:
            yield _copy(node, directives=())
        for index in range(len(node.arguments or ())):
            arguments = tuple(node.arguments)
            yield _copy(node, arguments=arguments[:index] + arguments[index + 1 :])
    elif isinstance(node, InlineFragmentNode):
        if node.directives:
            yield _copy(node, directives=())
        if node.type_condition is not None:
            yield _copy(node, type_condition=None)
    elif isinstance(node, FragmentSpreadNode) and node.directives:
        yield _copy(node, directives=())


def _copy(node: Node, **changes: Any) -> Node:
    fresh = copy.copy(node)
    for key, value in changes.items():
        object.__setattr__(fresh, key, value)
    return fresh


def _replace(
    document: DocumentNode, target: SelectionSetNode, replacement: SelectionSetNode
) -> DocumentNode:
    class _Swap(Visitor):
        def enter_selection_set(self, node: SelectionSetNode, *_: object) -> object:
            return replacement if node is target else None

    result: DocumentNode = visit(document, _Swap())
    return result


def _tidy(document: DocumentNode) -> DocumentNode:
    """Drops fragment definitions no longer spread and variables no longer used."""
    text = print_ast(document)
    definitions: list[DefinitionNode] = []
    for definition in document.definitions:
        if isinstance(
            definition, FragmentDefinitionNode
        ) and f"...{definition.name.value}" not in text.replace(" ", ""):
            continue
        definitions.append(definition)
    body = "".join(
        print_ast(d) for d in definitions if not isinstance(d, OperationDefinitionNode)
    )
    tidy: list[DefinitionNode] = []
    for definition in definitions:
        if isinstance(definition, OperationDefinitionNode):
            inner = print_ast(definition.selection_set) + body
            used = tuple(
                v
                for v in definition.variable_definitions or ()
                if f"${v.variable.name.value}" in inner
            )
            definition = _copy(definition, variable_definitions=used)  # type: ignore[assignment]
        tidy.append(definition)
    return DocumentNode(definitions=tuple(tidy))


# -- the world ----------------------------------------------------------------------------


def _world_candidates(world: World) -> Iterator[World]:
    for name in world.subgraphs:
        if len(world.subgraphs) > 2:
            yield _edited(world, lambda w, n=name: w.subgraphs.pop(n))
    for name, sdl in world.subgraphs.items():
        for smaller in _sdl_edits(sdl):
            yield _edited(
                world, lambda w, n=name, s=smaller: w.subgraphs.update({n: s})
            )
    for record_id in list(world.records):
        yield _edited(world, lambda w, r=record_id: _drop_record(w, r))
    for path in _list_items(world):
        yield _edited(world, lambda w, p=path: _drop_item(w, p))


def _edited(world: World, change: Callable[[World], object]) -> World:
    fresh = World.from_json(copy.deepcopy(world.to_json()))
    change(fresh)
    return fresh


def _sdl_edits(sdl: str) -> Iterator[str]:
    document = parse(sdl)
    definitions = list(document.definitions)
    for index, definition in enumerate(definitions):
        if isinstance(definition, ObjectTypeDefinitionNode) and definition.fields:
            fields = definition.fields
            for position in range(len(fields)):
                kept = fields[:position] + fields[position + 1 :]
                if not kept:
                    continue
                smaller = list(definitions)
                smaller[index] = _copy(definition, fields=kept)  # type: ignore[call-overload]
                yield _print_sdl(smaller)
        if not isinstance(definition, OperationDefinitionNode) and index > 0:
            yield _print_sdl(definitions[:index] + definitions[index + 1 :])


def _print_sdl(definitions: list[DefinitionNode]) -> str:
    return "\n\n".join(print_ast(d) for d in definitions) + "\n"


def _drop_record(world: World, record_id: str) -> None:
    del world.records[record_id]
    ref = {"$ref": record_id}

    def scrub(value: Any) -> Any:
        if isinstance(value, list):
            return [scrub(v) for v in value if v != ref]
        if isinstance(value, dict):
            if value == ref:
                return None
            return {k: scrub(v) for k, v in value.items()}
        return value

    for key, record in list(world.records.items()):
        world.records[key] = scrub(record)
    world.query = scrub(world.query)


def _list_items(world: World) -> list[tuple[Any, ...]]:
    paths: list[tuple[Any, ...]] = []

    def walk(value: Any, path: tuple[Any, ...]) -> None:
        if isinstance(value, list):
            for index in range(len(value)):
                paths.append((*path, index))
                walk(value[index], (*path, index))
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, (*path, key))

    walk(world.records, ("records",))
    walk(world.query, ("query",))
    return paths


def _drop_item(world: World, path: tuple[Any, ...]) -> None:
    container: Any = world.records if path[0] == "records" else world.query
    for step in path[1:-1]:
        container = container[step]
    del container[path[-1]]
