"""Nulls a subgraph spread further than the client's schema allows, and the re-fetch
that takes them back.

A ``@shareable`` field can be non-null in the subgraph that resolves it (``author:
Author!``) and nullable in the supergraph (another subgraph says ``author: Author``).
When something under it fails, the subgraph's own null propagation passes the field and
stops at the nearest position *its* schema lets be null: often the entity itself, and
every sibling field of the same fetch goes with it, though one monolithic schema would
have nulled the field alone. The lost siblings cannot be read back from that answer, so
the fetch is sent again, for the representations (or the root) that lost data only,
without the fields whose failure spread; those fields then stay null with their errors,
as the monolith answers.

Only a field reached from the fetch's root through fields alone (no list between) is
taken out: its one instance per representation is exactly the one that failed. A failure
whose client-side stop is inside a list is left as the subgraph answered it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    NameNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    parse,
    print_ast,
    visit,
)
from graphql.language import Visitor

from planner.query_plan import Fetch
from router.execution.subgraph_errors import entity_index, error_path

__all__ = ["mend_entities", "mend_root"]

# Re-fetches of one unit at most: each can reveal another field that failed.
MAX_REFETCHES = 3

Path = tuple[str, ...]
# Sends a fetch with the given variables; returns the response body, or None when the
# request failed (the caller then keeps the first answer).
Send = Callable[[Fetch, dict[str, Any]], Awaitable[dict[str, Any] | None]]


async def mend_entities(
    fetch: Fetch,
    variables: dict[str, Any],
    representations: list[Any],
    body: dict[str, Any],
    schema: GraphQLSchema,
    send: Send,
) -> dict[str, Any]:
    """``body`` (an ``_entities`` answer to ``representations``) with the entities that
    lost fields to a spread null fetched again without the failed fields."""
    data = body.get("data")
    raw_errors = body.get("errors")
    if type(raw_errors) is not list or not raw_errors or type(data) is not dict:
        return body
    entities = data.get("_entities")
    if type(entities) is not list or len(entities) != len(representations):
        return body
    top = _entities_selection(fetch.operation)
    if top is None:
        return body
    by_index: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for raw in raw_errors:
        index = entity_index(raw)
        if index is not None and index < len(entities):
            by_index[index].append(raw)
    pruned: dict[int, frozenset[Path]] = {}
    for index, errors in by_index.items():
        typename = _typename(representations[index])
        if typename is None:
            continue
        paths = spread_paths(
            schema, top, typename, entities[index], [_path(e)[2:] for e in errors]
        )
        if paths:
            pruned[index] = paths
    if not pruned:
        return body
    mended_entities = list(entities)
    mended_errors: dict[int, list[dict[str, Any]]] = {}
    pending = dict(pruned)
    for attempt in range(MAX_REFETCHES):
        if not pending:
            break
        groups: dict[tuple[str, frozenset[Path]], list[int]] = defaultdict(list)
        for index, paths in pending.items():
            groups[(_typename(representations[index]) or "", paths)].append(index)
        pending = {}
        for (typename, paths), indexes in groups.items():
            operation = pruned_operation(
                fetch.operation, frozenset(("_entities", *p) for p in paths)
            )
            if operation is None:
                continue
            answer = await send(
                replace(fetch, operation=operation),
                {**variables, "representations": [representations[i] for i in indexes]},
            )
            got = _entities_of(answer, len(indexes))
            if got is None:
                continue
            assert answer is not None
            again: dict[int, list[dict[str, Any]]] = defaultdict(list)
            for raw in _errors_of(answer):
                at = entity_index(raw)
                if at is not None and at < len(indexes):
                    again[at].append(raw)
            retop = _entities_selection(operation)
            for slot, index in enumerate(indexes):
                errors = again.get(slot, [])
                more = (
                    spread_paths(
                        schema,
                        retop,
                        typename,
                        got[slot],
                        [_path(e)[2:] for e in errors],
                    )
                    if errors and retop is not None
                    else frozenset()
                )
                if more and attempt + 1 < MAX_REFETCHES:
                    pending[index] = paths | more
                    continue
                mended_entities[index] = got[slot]
                mended_errors[index] = [
                    raw for raw in by_index[index] if _under(_path(raw)[2:], paths)
                ] + [_reindexed(raw, index) for raw in errors]
    if not mended_errors:
        return body
    errors = [raw for raw in raw_errors if entity_index(raw) not in mended_errors]
    for index in sorted(mended_errors):
        errors.extend(mended_errors[index])
    return {
        **body,
        "data": {**data, "_entities": mended_entities},
        "errors": errors,
    }


async def mend_root(
    fetch: Fetch,
    variables: dict[str, Any],
    body: dict[str, Any],
    schema: GraphQLSchema,
    send: Send,
) -> dict[str, Any]:
    """``body`` (a root query fetch's answer) fetched again without the fields whose
    failure spread past where the supergraph stops it."""
    raw_errors = body.get("errors")
    if (
        fetch.operation_kind != "query"
        or type(raw_errors) is not list
        or not raw_errors
    ):
        return body
    query_type = schema.query_type
    top = _root_selection(fetch.operation)
    if query_type is None or top is None:
        return body
    data = body.get("data")
    paths = spread_paths(
        schema, top, query_type.name, data, [_path(e) for e in raw_errors]
    )
    if not paths:
        return body
    first_errors = raw_errors
    for _attempt in range(MAX_REFETCHES):
        operation = pruned_operation(fetch.operation, paths)
        if operation is None:
            return body
        answer = await send(replace(fetch, operation=operation), variables)
        if answer is None or (
            answer.get("data") is not None and type(answer.get("data")) is not dict
        ):
            return body
        errors = _errors_of(answer)
        retop = _root_selection(operation)
        more = (
            spread_paths(
                schema,
                retop,
                query_type.name,
                answer.get("data"),
                [_path(e) for e in errors],
            )
            if errors and retop is not None
            else frozenset()
        )
        if not more:
            kept = [raw for raw in first_errors if _under(_path(raw), paths)]
            return {**answer, "errors": kept + errors}
        paths = paths | more
    return body


def spread_paths(
    schema: GraphQLSchema,
    selection: SelectionSetNode,
    typename: str,
    value: Any,
    error_paths: Iterable[list[str | int]],
) -> frozenset[Path]:
    """The response-key paths (from the fetch's root, of type ``typename``, answered
    ``value``) of the fields where the supergraph stops a null that the subgraph spread
    further, for each error path that has one reachable without a list."""
    found: set[Path] = set()
    for path in error_paths:
        stop = _spread_stop(schema, selection, typename, value, path)
        if stop is not None:
            found.add(stop)
    return frozenset(found)


def _spread_stop(
    schema: GraphQLSchema,
    selection: SelectionSetNode,
    typename: str,
    value: Any,
    path: list[str | int],
) -> Path | None:
    runtime = schema.get_type(typename)
    selections = [selection]
    current: GraphQLOutputType | None = None
    # Depths along ``path``: where the supergraph stops the null (the deepest nullable
    # position) and where the subgraph's answer is first null.
    supergraph_stop = 0
    answered_null = 0 if value is None else None
    for depth, step in enumerate(path, 1):
        if type(step) is str:
            if not isinstance(runtime, GraphQLObjectType | GraphQLInterfaceType):
                return None
            current, selections = _field(schema, runtime, selections, step)
            if current is None:
                return None
        else:
            inner = current.of_type if isinstance(current, GraphQLNonNull) else current
            if not isinstance(inner, GraphQLList):
                return None
            current = inner.of_type
        if not isinstance(current, GraphQLNonNull):
            supergraph_stop = depth
        if answered_null is None:
            value = _step(value, step)
            if value is None:
                answered_null = depth
        named = get_named_type(current)
        known = value.get("__typename") if type(value) is dict else None
        runtime = (schema.get_type(known) if type(known) is str else None) or named
    if answered_null is None or supergraph_stop <= answered_null:
        return None
    stop = path[:supergraph_stop]
    if not all(type(step) is str for step in stop):
        return None
    return tuple(str(step) for step in stop)


def _field(
    schema: GraphQLSchema,
    parent: GraphQLObjectType | GraphQLInterfaceType,
    selections: list[SelectionSetNode],
    key: str,
) -> tuple[GraphQLOutputType | None, list[SelectionSetNode]]:
    """The supergraph type of the field answered under ``key`` (None when the
    fragments selecting it disagree or it is unknown) and its subselections."""
    types: list[GraphQLOutputType] = []
    subselections: list[SelectionSetNode] = []
    for node, on in _fields_named(schema, parent, selections, key):
        if node.name.value == "__typename":
            types.append(GraphQLNonNull(schema.get_type("String")))  # type: ignore[arg-type]
        else:
            definition = on.fields.get(node.name.value)
            if definition is None:
                return None, []
            types.append(definition.type)
        if node.selection_set is not None:
            subselections.append(node.selection_set)
    if not types or any(
        isinstance(t, GraphQLNonNull) != isinstance(types[0], GraphQLNonNull)
        for t in types
    ):
        return None, []
    return types[0], subselections


def _fields_named(
    schema: GraphQLSchema,
    parent: GraphQLObjectType | GraphQLInterfaceType,
    selections: list[SelectionSetNode],
    key: str,
) -> list[tuple[FieldNode, GraphQLObjectType | GraphQLInterfaceType]]:
    """The field nodes answered under ``key``, each with the type it is selected on."""
    out: list[tuple[FieldNode, GraphQLObjectType | GraphQLInterfaceType]] = []
    for selection_set in selections:
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                if (node.alias or node.name).value == key:
                    out.append((node, parent))
            elif isinstance(node, InlineFragmentNode):
                on = parent
                if node.type_condition is not None:
                    named = schema.get_type(node.type_condition.name.value)
                    if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
                        continue
                    if not _may_be(schema, parent, named):
                        continue
                    on = named
                out.extend(_fields_named(schema, on, [node.selection_set], key))
    return out


def _may_be(
    schema: GraphQLSchema,
    parent: GraphQLObjectType | GraphQLInterfaceType,
    condition: GraphQLObjectType | GraphQLInterfaceType,
) -> bool:
    """Can an object of (possibly abstract) ``parent`` match ``... on condition``?"""
    if parent is condition:
        return True
    if isinstance(parent, GraphQLObjectType):
        return isinstance(condition, GraphQLInterfaceType) and schema.is_sub_type(
            condition, parent
        )
    return any(
        _may_be(schema, possible, condition)
        for possible in schema.get_possible_types(parent)
    )


@lru_cache(maxsize=512)
def pruned_operation(operation: str, paths: frozenset[Path]) -> str | None:
    """``operation`` without the fields at ``paths`` (response keys from the
    operation's root, through any inline fragment); a selection left empty keeps
    ``__typename``, and variables no longer used lose their definitions."""
    document = _document(operation)
    if document is None:
        return None
    definition = document.definitions[0]
    assert isinstance(definition, OperationDefinitionNode)
    selection_set = _pruned(definition.selection_set, paths)
    used: set[str] = set()

    class _Uses(Visitor):
        def enter_variable(self, node: VariableNode, *_: Any) -> None:
            used.add(node.name.value)

    visit(selection_set, _Uses())
    pruned = OperationDefinitionNode(
        operation=definition.operation,
        name=definition.name,
        variable_definitions=tuple(
            d
            for d in definition.variable_definitions or ()
            if d.variable.name.value in used
        ),
        directives=definition.directives,
        selection_set=selection_set,
    )
    return print_ast(DocumentNode(definitions=(pruned,)))


def _pruned(selection_set: SelectionSetNode, paths: Iterable[Path]) -> SelectionSetNode:
    here: set[str] = set()
    deeper: dict[str, set[Path]] = defaultdict(set)
    for path in paths:
        if len(path) == 1:
            here.add(path[0])
        elif path:
            deeper[path[0]].add(path[1:])
    kept: list[Any] = []
    for node in selection_set.selections:
        if isinstance(node, FieldNode):
            key = (node.alias or node.name).value
            if key in here:
                continue
            if key in deeper and node.selection_set is not None:
                node = FieldNode(
                    alias=node.alias,
                    name=node.name,
                    arguments=node.arguments,
                    directives=node.directives,
                    selection_set=_pruned(node.selection_set, deeper[key]),
                )
        elif isinstance(node, InlineFragmentNode):
            node = InlineFragmentNode(
                type_condition=node.type_condition,
                directives=node.directives,
                selection_set=_pruned(node.selection_set, paths),
            )
        kept.append(node)
    if not kept:
        kept.append(FieldNode(name=NameNode(value="__typename")))
    return SelectionSetNode(selections=tuple(kept))


@lru_cache(maxsize=512)
def _document(operation: str) -> DocumentNode | None:
    """The fetch's parsed operation, when it is one operation without named fragments
    (what the planner prints)."""
    try:
        document = parse(operation, no_location=True)
    except GraphQLError:
        return None
    if len(document.definitions) != 1 or not isinstance(
        document.definitions[0], OperationDefinitionNode
    ):
        return None
    return document


def _root_selection(operation: str) -> SelectionSetNode | None:
    document = _document(operation)
    if document is None:
        return None
    definition = document.definitions[0]
    assert isinstance(definition, OperationDefinitionNode)
    return definition.selection_set


def _entities_selection(operation: str) -> SelectionSetNode | None:
    root = _root_selection(operation)
    if root is None:
        return None
    for node in root.selections:
        if (
            isinstance(node, FieldNode)
            and (node.alias or node.name).value == "_entities"
            and node.selection_set is not None
        ):
            return node.selection_set
    return None


def _step(value: Any, step: str | int) -> Any:
    if type(step) is str:
        return value.get(step) if type(value) is dict else None
    if type(value) is list and 0 <= step < len(value):  # type: ignore[operator]
        return value[step]  # type: ignore[index]
    return None


def _path(raw: Any) -> list[str | int]:
    return error_path(raw) or []


def _reindexed(raw: dict[str, Any], index: int) -> dict[str, Any]:
    path = _path(raw)
    return {**raw, "path": ["_entities", index, *path[2:]]}


def _under(path: list[str | int], prefixes: frozenset[Path]) -> bool:
    return any(
        len(path) >= len(prefix) and tuple(path[: len(prefix)]) == prefix
        for prefix in prefixes
    )


def _typename(representation: Any) -> str | None:
    typename = (
        representation.get("__typename") if type(representation) is dict else None
    )
    return typename if type(typename) is str else None


def _errors_of(answer: dict[str, Any]) -> list[Any]:
    errors = answer.get("errors")
    return errors if type(errors) is list else []


def _entities_of(answer: dict[str, Any] | None, count: int) -> list[Any] | None:
    if answer is None:
        return None
    data = answer.get("data")
    entities = data.get("_entities") if type(data) is dict else None
    if type(entities) is not list or len(entities) != count:
        return None
    return entities
