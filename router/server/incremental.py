"""The payloads of an incremental (``@defer``) response: what the primary part shows and
what each deferred part sends.

Incremental delivery as Apollo Router speaks it (deferSpec 2022-08-24,
https://github.com/graphql/graphql-spec/pull/742; Apollo's "@defer support" docs):
the first payload is the operation without its deferred fragments, with
``hasNext: true``; each later one is ``{"hasNext", "incremental": [...]}``, one item per
object a deferred part's path reaches (a path through a list gives one item per list
element), each item ``{"label"?, "data", "path", "errors"?, "extensions"?}``, and the
last says ``hasNext: false``.

The executor fills one tree for every part (``router.execution.incremental``); each part
is shaped here when it is released, against its plan block's ``subselection`` (the
fragment without the fragments deferred inside it) and the fields leading to those, so
a part shows exactly its own selections, with nulls propagating no further than the
deferred object. The tree keeps a client alias the planner renamed under its fetched
name (``planner.planning.client_aliases``): plan paths use that name, the shapers read
it, and the items' paths and errors show the client's.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Mapping
from typing import TYPE_CHECKING, Any

from graphql import (
    BooleanValueNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    Visitor,
    get_operation_ast,
    parse,
    visit,
)

from planner.planning.client_aliases import fetched_name
from planner.query_plan import Condition, Defer, DeferredBlock, PlanNode
from router.execution.client_aliases import client_names, client_path, name_error_paths
from router.execution.paths import descend, to_list
from router.execution.shaping import FragmentShaper, ResponseShaper
from router.execution.type_conditions import FRAGMENT_PREFIX

if TYPE_CHECKING:
    from router.execution.incremental import DeferredPart, IncrementalDelivery
    from router.execution.type_conditions import TypeConditions
    from router.server.documents import PreparedDocument

__all__ = [
    "Payloads",
    "active_defer",
    "planned_conditions",
    "primary_document",
    "redacted",
    "subsequent_payloads",
]

# The payloads after the first, as the engine hands them to the HTTP layer.
Payloads = AsyncGenerator[dict[str, Any], None]


def _run_under(
    node: PlanNode | None, variables: Mapping[str, Any]
) -> tuple[PlanNode | None, set[str]]:
    """The node the plan runs under ``variables``, past its ``Condition`` nodes, and the
    variables those conditions decided on the way."""
    decided: set[str] = set()
    while isinstance(node, Condition):
        decided.add(node.condition)
        node = (
            node.if_clause
            if variables.get(node.condition, True) is True
            else node.else_clause
        )
    return node, decided


def active_defer(node: PlanNode | None, variables: Mapping[str, Any]) -> bool:
    """Does the plan, under these variables, run a ``Defer`` node? (``@defer(if: $v)``
    plans a ``Condition`` over a deferred and a plain plan; mutations have none.)"""
    return isinstance(_run_under(node, variables)[0], Defer)


def planned_conditions(node: PlanNode | None, variables: Mapping[str, Any]) -> set[str]:
    """The ``Condition`` variables the plan decides on its way to what runs under
    ``variables``: the ``@defer(if:)`` variables it plans both ways. The planner plans
    a few (``MAX_DEFER_CONDITIONS``); the fragments of the others come inline."""
    return _run_under(node, variables)[1]


def primary_document(
    prepared: PreparedDocument,
    variables: Mapping[str, Any],
    root_type: str,
    planned: set[str],
) -> DocumentNode:
    """The client document without the fragments deferred under ``variables``: what the
    first payload shows. Kept per valuation of the ``if:`` variables.

    A deferred fragment at the root of the operation (no field above it) stays: the
    planner does not defer it, its fields come in the primary part (``root_type``
    names the query type, which a named fragment at the root is on). So does one whose
    ``if:`` variable the plan does not decide (not in ``planned``)."""
    document = prepared.document
    assert document is not None  # validated documents only
    names_key = ("defer-if",)
    names: tuple[str, ...] | None = prepared.derived.get(names_key)
    if names is None:
        names = prepared.derived[names_key] = _if_variables(document)
    deferring = {n: n in planned and variables.get(n, True) is True for n in names}
    key = ("defer-primary", tuple(deferring.values()))
    primary: DocumentNode | None = prepared.derived.get(key)
    if primary is None:
        primary = prepared.derived[key] = visit(
            document, _WithoutDeferred(deferring, root_type)
        )
    return primary


def _deferred(
    node: InlineFragmentNode | FragmentSpreadNode, variables: Mapping[str, bool]
) -> bool:
    for directive in node.directives or ():
        if directive.name.value != "defer":
            continue
        for argument in directive.arguments or ():
            if argument.name.value != "if":
                continue
            if isinstance(argument.value, BooleanValueNode):
                return argument.value.value
            if isinstance(argument.value, VariableNode):
                return variables[argument.value.name.value]
        return True
    return False


class _WithoutDeferred(Visitor):
    def __init__(self, variables: Mapping[str, bool], root_type: str) -> None:
        super().__init__()
        self._variables = variables
        self._root_type = root_type

    def enter_inline_fragment(
        self, node: InlineFragmentNode, _key: Any, _parent: Any, _path: Any, up: Any
    ) -> Any:
        return self._remove(node, up)

    def enter_fragment_spread(
        self, node: FragmentSpreadNode, _key: Any, _parent: Any, _path: Any, up: Any
    ) -> Any:
        return self._remove(node, up)

    def _remove(
        self, node: InlineFragmentNode | FragmentSpreadNode, ancestors: Any
    ) -> Any:
        if not _deferred(node, self._variables):
            return None
        at_root = True
        for ancestor in ancestors:
            if isinstance(ancestor, FieldNode) or (
                isinstance(ancestor, FragmentDefinitionNode)
                and ancestor.type_condition.name.value != self._root_type
            ):
                at_root = False
                break
        return None if at_root else self.REMOVE


def _if_variables(document: DocumentNode) -> tuple[str, ...]:
    names: set[str] = set()

    class Collect(Visitor):
        def enter_directive(self, node: Any, *_: Any) -> None:
            if node.name.value == "defer":
                for argument in node.arguments or ():
                    if argument.name.value == "if" and isinstance(
                        argument.value, VariableNode
                    ):
                        names.add(argument.value.name.value)

    visit(document, Collect())
    return tuple(sorted(names))


def _part_selection(
    prepared: PreparedDocument,
    operation_name: str | None,
    block: DeferredBlock,
    shadowed: frozenset[str],
) -> SelectionSetNode:
    """What a block's part shows: its subselection (for a block with deferred fragments
    inside, its nested ``Defer``'s primary one), plus the fields on the way to each
    fragment deferred inside it, so that every later item's path exists on the client.

    PORT_NOTE: Apollo's subselections leave out a field whose selections are all
    deferred deeper; Apollo Router then sends items at paths the client never got
    (Apollo Client creates them). We send the field, as graphql-js would.
    """
    text = block.subselection
    inner: tuple[DeferredBlock, ...] = ()
    if isinstance(block.node, Defer):
        text = text or block.node.primary.subselection
        inner = block.node.deferred
    # Everything the result depends on (blocks alike but for their label share it).
    key = (
        "defer-part",
        operation_name,
        block.query_path,
        text,
        tuple(child.query_path for child in inner),
    )
    found: SelectionSetNode | None = prepared.derived.get(key)
    if found is not None:
        return found
    selections: list[Any] = []
    if text is not None:
        definition = parse(text, no_location=True).definitions[0]
        assert isinstance(definition, OperationDefinitionNode)
        selections += definition.selection_set.selections
    document = prepared.document
    assert document is not None  # validated documents only
    for child in inner:
        chain = _chain(
            document, operation_name, child.query_path, len(block.query_path), shadowed
        )
        if chain is not None:
            selections.append(chain)
    found = prepared.derived[key] = SelectionSetNode(selections=tuple(selections))
    return found


def _chain(
    document: DocumentNode,
    operation_name: str | None,
    query_path: tuple[str, ...],
    start: int,
    shadowed: frozenset[str],
) -> Any:
    """The client's fields along ``query_path`` (fetched names: ``shadowed`` says
    which aliases the planner renamed) from step ``start`` on, nested, each
    with nothing else selected (``a { ... on T { b { } } }``); None when the
    operation has no such path."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return None
    fragments = {
        d.name.value: d
        for d in document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }
    steps: list[Any] = []
    sets = [operation.selection_set]
    for index, step in enumerate(query_path):
        if step.startswith("... on "):
            if index >= start:
                steps.append(step[len("... on ") :])
            continue
        fields = _fields_named(sets, step, fragments, shadowed)
        if not fields:
            return None
        if index >= start:
            steps.append(fields[0])
        sets = [f.selection_set for f in fields if f.selection_set is not None]
    node: Any = None
    for step in reversed(steps):
        inside = SelectionSetNode(selections=(node,) if node is not None else ())
        if isinstance(step, str):
            node = InlineFragmentNode(
                type_condition=NamedTypeNode(name=NameNode(value=step)),
                directives=(),
                selection_set=inside,
            )
        else:
            node = FieldNode(
                alias=step.alias,
                name=step.name,
                arguments=(),
                # A field the client skips stays skipped.
                directives=tuple(
                    d
                    for d in step.directives or ()
                    if d.name.value in ("skip", "include")
                ),
                selection_set=inside,
            )
    return node


def _fields_named(
    sets: list[SelectionSetNode],
    fetched: str,
    fragments: Mapping[str, FragmentDefinitionNode],
    shadowed: frozenset[str],
) -> list[FieldNode]:
    found: list[FieldNode] = []
    pending = list(sets)
    seen: set[str] = set()
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                name = (selection.alias or selection.name).value
                if fetched_name(name, selection.name.value, shadowed) == fetched:
                    found.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is not None and fragment.name.value not in seen:
                    seen.add(fragment.name.value)
                    pending.append(fragment.selection_set)
    return found


async def subsequent_payloads(
    delivery: IncrementalDelivery,
    data: dict[str, Any],
    primary: Any,
    *,
    prepared: PreparedDocument,
    operation_name: str | None,
    full: ResponseShaper,
    schema: GraphQLSchema,
    types: TypeConditions,
    variables: Mapping[str, Any],
    client_aliases: tuple[str, ...] = (),
    shadowed: frozenset[str] = frozenset(),
) -> Payloads:
    """The payloads after the first, each as soon as its part is released; ``data`` is
    the executor's tree, ``primary`` the first payload's shaped ``data``, ``full`` the
    shaper of the whole operation (it knows the type at each path). ``client_aliases``
    are the plan's renamed aliases, ``shadowed`` the planner's names they were renamed
    away from (``full`` was compiled with them). Closing the iterator early stops the
    parts still running."""
    names = client_names(client_aliases)
    # Shaped data already sent that a later item's path may run through: a null there
    # means the item's object is gone (Apollo Router skips such items too).
    # Kept per part (None: the primary one): a part's null data hides only the parts
    # nested in it, never a sibling part's items at the same objects.
    sent: dict[DeferredPart | None, dict[tuple[str | int, ...], Any]] = {
        None: {(): primary}
    }
    try:
        async for part in delivery.released():
            items = _items(
                part,
                data,
                prepared,
                operation_name,
                full,
                schema,
                types,
                variables,
                sent,
                names,
                shadowed,
            )
            has_next = delivery.pending > 0
            if items:
                yield {"hasNext": has_next, "incremental": items}
            elif not has_next:
                yield {"hasNext": False}
    finally:
        delivery.cancel()


def _items(
    part: DeferredPart,
    data: dict[str, Any],
    prepared: PreparedDocument,
    operation_name: str | None,
    full: ResponseShaper,
    schema: GraphQLSchema,
    types: TypeConditions,
    variables: Mapping[str, Any],
    sent_by_part: dict[DeferredPart | None, dict[tuple[str | int, ...], Any]],
    names: Mapping[str, str],
    shadowed: frozenset[str],
) -> list[dict[str, Any]]:
    block = part.block
    # What the client got from this part's enclosing parts, the outermost first.
    sent: dict[tuple[str | int, ...], Any] = {}
    lineage: list[DeferredPart | None] = [None]
    above = part.parent
    while above is not None:
        lineage.insert(1, above)
        above = above.parent
    for enclosing in lineage:
        sent.update(sent_by_part.get(enclosing, {}))
    own = sent_by_part.setdefault(part, {})
    if any(variables.get(name) is not value for name, value in block.conditions):
        return []  # an @skip/@include around the deferred fragment turns it off
    static = full.type_at(block.query_path, variables)
    if static is None:
        return []
    shaper = FragmentShaper(
        schema,
        _part_selection(prepared, operation_name, block, shadowed),
        static,
        variables,
        shadowed,
    )
    name_error_paths(part.errors, names)
    nested = isinstance(block.node, Defer)
    items: list[dict[str, Any]] = []
    for obj, node in descend([(data, None)], block.query_path, types):
        path = client_path(to_list(node), names)
        if _gone(path, sent):
            continue
        shaped, completion = shaper.shape(obj, path)
        item: dict[str, Any] = {}
        if block.label is not None:
            item["label"] = block.label
        item["data"] = shaped
        item["path"] = path
        if completion and not part.errors:
            item["extensions"] = {"valueCompletion": completion}
        items.append(item)
        if nested or shaped is None:
            own[tuple(path)] = shaped
    if part.errors and not items:
        items = _failed_items(part.errors, block, sent, own)
    if part.errors and items:
        _assign_errors(part.errors, items)
    return [
        item
        for item in items
        if item["data"] is not None or "errors" in item or "extensions" in item
    ]


def _failed_items(
    errors: list[dict[str, Any]],
    block: DeferredBlock,
    sent: dict[tuple[str | int, ...], Any],
    own: dict[tuple[str | int, ...], Any],
) -> list[dict[str, Any]]:
    """Items with ``data: null`` for a part whose own failure took every object it was
    for out of the tree (an entity fetch that answered null for a non-null field), at
    the paths its errors are under, so the client still gets the errors: the spec's
    payload whose null reached the deferred fragment. The client keeps the objects the
    first payload gave it; the merged answer nulls them."""
    depth = sum(1 for step in block.query_path if not step.startswith(FRAGMENT_PREFIX))
    items: dict[tuple[str | int, ...], dict[str, Any]] = {}
    for error in errors:
        where = error.get("path")
        if type(where) is not list or len(where) < depth:
            continue
        path = where[:depth]
        if tuple(path) in items or _gone(path, sent):
            continue
        item: dict[str, Any] = {}
        if block.label is not None:
            item["label"] = block.label
        item["data"] = None
        item["path"] = path
        items[tuple(path)] = item
        own[tuple(path)] = None
    return list(items.values())


def _assign_errors(errors: list[dict[str, Any]], items: list[dict[str, Any]]) -> None:
    """Each error to one item: the first whose path holds the error's, else the first
    under the error's path (an error for a whole list), else the first item.

    PORT_NOTE: Apollo Router copies an error for a whole list into every item; one copy
    keeps the errors a client collects equal to the one-response answer's.
    """
    for error in errors:
        where = error.get("path")
        chosen = items[0]
        if type(where) is list:
            below = next(
                (i for i in items if where[: len(i["path"])] == i["path"]), None
            )
            above = next((i for i in items if i["path"][: len(where)] == where), None)
            chosen = below or above or chosen
        chosen.setdefault("errors", []).append(error)
    for item in items:
        if "errors" in item and "extensions" in item:
            del item["extensions"]


def _gone(path: list[str | int], sent: dict[tuple[str | int, ...], Any]) -> bool:
    """Is some ancestor of ``path`` null in the data already sent? (``sent``: shaped
    data by the path it was sent at.)"""
    for start in range(len(path) + 1):
        at = tuple(path[:start])
        if at not in sent:
            continue
        value = sent[at]
        for key in path[start:]:
            if value is None:
                return True
            found = (type(value) is dict and type(key) is str and key in value) or (
                type(value) is list and type(key) is int and key < len(value)
            )
            if not found:
                break
            value = value[key]
        else:
            if value is None:
                return True
    return False


async def redacted(
    payloads: Payloads,
    redact: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
) -> Payloads:
    """``payloads`` with ``redact`` applied to each item's errors
    (``include_subgraph_errors``)."""
    try:
        async for payload in payloads:
            for item in payload.get("incremental", ()):
                if item.get("errors"):
                    item["errors"] = redact(item["errors"])
            yield payload
    finally:
        await payloads.aclose()
