"""Fetch groups to plan nodes, and each group's subgraph operation.

Groups that can run together form a ``Parallel``; a group's children that depend on it
alone run in a ``Sequence`` right after it, inside its branch; children with several
parents wait until all of them have run. Mutation roots run one after another. A group
whose whole selection shares ``@skip``/``@include`` conditions is wrapped in a
``Condition`` node and the directives leave its subgraph query.

With deferred fragments the plan is a ``Defer`` node: the primary part's groups, then
one ``Deferred`` block per fragment, waiting for the fetches of the enclosing part its
groups depend on (those fetches get an ``id``); a fragment with deferred fragments
inside is a nested ``Defer`` (QUERY_PLANNING.md §2.10).

A subscription is planned as a query, then split into Apollo's ``Subscription`` node:
its one root fetch is the subgraph subscription, the rest runs once per event.
"""

from __future__ import annotations

import re
from dataclasses import replace

from graphql import (
    DirectiveNode,
    Lexer,
    OperationDefinitionNode,
    OperationType,
    Source,
    TokenKind,
    VariableDefinitionNode,
    VariableNode,
    print_ast,
)

from planner.planning.conflicts import alias_conflicts
from planner.planning.errors import QueryPlanningError
from planner.planning.federation import Federation, sanitize_graph_name
from planner.planning.fetch_graph import DeferBlock, FetchGraph, FetchGroup
from planner.planning.operation import OpSelection, condition_variables
from planner.planning.selection import (
    FieldSelection,
    FragmentSelection,
    SelectionTree,
    compact_value,
)
from planner.planning.subselection import print_subselection
from planner.query_plan import (
    Condition,
    Defer,
    DeferredBlock,
    DeferredDependency,
    Fetch,
    Flatten,
    Parallel,
    PlanNode,
    PrimaryBlock,
    QueryPlan,
    Sequence,
    Subscription,
)

__all__ = ["build_plan"]


class _FetchCounter:
    def __init__(self) -> None:
        self.next = 0


def build_plan(
    graph: FetchGraph,
    operation: OperationDefinitionNode,
    federation: Federation,
    selections: tuple[OpSelection, ...] = (),
) -> QueryPlan:
    """``selections``: the normalised operation, for the subselections of a ``Defer``."""
    if not graph.groups and not graph.defers:
        return QueryPlan(None)
    builder = _PlanBuilder(graph, operation)
    node: PlanNode
    if operation.operation == OperationType.MUTATION:
        nodes = [builder.process_set([root]) for root in graph.root_order]
        node = _sequence(nodes)
    elif graph.defers:
        node = builder.defer_node(None, selections, None)
    else:
        roots = [g for g in graph.groups if not g.parents]
        node = builder.process_set(roots)
    fetch_ids = {
        group: number
        for group, number in builder.numbers.items()
        if group in builder.depended
    }
    numbered = _number(node, operation, _FetchCounter(), federation, fetch_ids)
    if operation.operation == OperationType.SUBSCRIPTION:
        return QueryPlan(_subscription(numbered))
    return QueryPlan(numbered)


def _subscription(node: PlanNode) -> Subscription:
    """A subscription's plan: the root fetch (sent once, to the subgraph of the root
    field) as ``Primary``, what completes each event as ``Rest`` (kept a ``Sequence``
    even of one node, as Apollo prints it)."""
    if isinstance(node, Fetch):
        return Subscription(node)
    if (
        isinstance(node, Sequence)
        and len(node.nodes) > 1
        and isinstance(node.nodes[0], Fetch)
        and node.nodes[0].requires is None
    ):
        return Subscription(node.nodes[0], Sequence(node.nodes[1:]))
    # A conditional root field, or one split over several root fetches: no single
    # subgraph subscription can carry it.
    raise QueryPlanningError(
        "QUERY_PLANNING_FAILED",
        "A subscription's root field must come from one subgraph in one fetch.",
    )


class _PlanBuilder:
    def __init__(self, graph: FetchGraph, operation: OperationDefinitionNode) -> None:
        self.graph = graph
        self.operation = operation
        self.processed: set[int] = set()
        self.kind = operation.operation
        # The deferred part being built (None: the primary part), and the groups a
        # deferred part waits for.
        self.scope: str | None = None
        self.depended: set[int] = set()
        self.numbers = _group_numbers(graph) if graph.defers else {}

    def defer_node(
        self,
        scope: str | None,
        selections: tuple[OpSelection, ...],
        wrap: str | None,
    ) -> Defer:
        """The ``Defer`` node of a part (``scope``) holding deferred fragments: its own
        groups as the primary block, each fragment directly inside as a block."""
        primary = self._part(scope)
        blocks = [b for b in self.graph.defers.values() if b.parent == scope]
        deferred = [self._deferred(block) for block in _block_order(blocks)]
        return Defer(
            PrimaryBlock(print_subselection(selections, wrap), primary),
            tuple(deferred),
        )

    def _deferred(self, block: DeferBlock) -> DeferredBlock:
        key = block.info.key
        own = [g for g in self.graph.groups if g.defer == key]
        depends: list[FetchGroup] = []
        for group in own:
            for parent in group.parents:
                if parent.defer != key and parent not in depends:
                    depends.append(parent)
        self.depended.update(g.id for g in depends)
        nested = any(b.parent == key for b in self.graph.defers.values())
        fragment = block.fragment
        subselection: str | None
        if nested:
            node: PlanNode | None = self.defer_node(
                key, fragment.selections, block.info.wrap
            )
            subselection = None
        else:
            node = self._part(key)
            subselection = print_subselection(fragment.selections, block.info.wrap)
        return DeferredBlock(
            depends=tuple(
                DeferredDependency(str(self.numbers[g.id]))
                for g in sorted(depends, key=_by_id)
            ),
            query_path=block.query_path,
            label=block.info.label,
            subselection=subselection,
            node=node,
            conditions=block.info.conditions,
        )

    def _part(self, scope: str | None) -> PlanNode | None:
        """The plan of one part's own groups (those of enclosing parts have run)."""
        outer = self.scope
        self.scope = scope
        try:
            roots = [
                g
                for g in self.graph.groups
                if g.defer == scope and all(p.defer != scope for p in g.parents)
            ]
            return self.process_set(roots) if roots else None
        finally:
            self.scope = outer

    def _children(self, group: FetchGroup) -> list[FetchGroup]:
        return [c for c in self.graph.children_of(group) if c.defer == self.scope]

    def process_set(self, groups: list[FetchGroup]) -> PlanNode:
        branches: list[PlanNode] = []
        waiting: list[FetchGroup] = []
        for group in groups:
            node, rest = self._branch(group)
            branches.append(node)
            for child in rest:
                if child not in waiting:
                    waiting.append(child)
        main = _parallel(branches)
        ready = [
            g
            for g in waiting
            if g.id not in self.processed
            and all(p.id in self.processed for p in g.parents)
        ]
        if not ready:
            return main
        return _sequence([main, self.process_set(ready)])

    def _branch(self, group: FetchGroup) -> tuple[PlanNode, list[FetchGroup]]:
        self.processed.add(group.id)
        node = self._fetch_node(group)
        children = self._children(group)
        own = [c for c in children if c.parents == [group]]
        rest = [c for c in children if c.parents != [group]]
        if not own:
            return node, rest
        inner_branches: list[PlanNode] = []
        for child in _sibling_order(own):
            child_node, child_rest = self._branch(child)
            inner_branches.append(child_node)
            rest.extend(c for c in child_rest if c not in rest)
        inner = _parallel(inner_branches)
        ready = [
            g
            for g in rest
            if g.id not in self.processed
            and all(p.id in self.processed for p in g.parents)
            and _descends_only_from(g, group, self.graph)
        ]
        if ready:
            inner = _sequence([inner, self.process_set(ready)])
            rest = [g for g in rest if g.id not in self.processed]
        return _sequence([node, inner]), rest

    def _fetch_node(self, group: FetchGroup) -> PlanNode:
        conditions: list[tuple[str, bool]] = []
        selection = group.selection
        shared = _shared_conditions(group)
        if shared:
            selection = _strip_conditions(group, shared)
            conditions.extend(c for c in shared if c not in conditions)
        node: PlanNode = _PendingFetch(group, selection, self.operation)  # type: ignore[assignment]
        if group.merge_at:
            node = Flatten(group.typed_path or group.merge_at, node)
        for variable, include in reversed(conditions):
            node = (
                Condition(variable, node, None)
                if include
                else Condition(variable, None, node)
            )
        return node


def _by_id(group: FetchGroup) -> int:
    return group.id


def _block_order(blocks: list[DeferBlock]) -> list[DeferBlock]:
    """Apollo's order of deferred blocks: by response path, paths in the order first
    met, and latest first among blocks at the same path."""
    paths: list[tuple[str, ...]] = []
    for block in blocks:
        if block.query_path not in paths:
            paths.append(block.query_path)
    return [
        block
        for path in paths
        for block in reversed([b for b in blocks if b.query_path == path])
    ]


def _group_numbers(graph: FetchGraph) -> dict[int, int]:
    """Apollo's group numbers, the ids of fetches that deferred blocks wait for: in
    the order it builds groups, the primary part's first, then each deferred part's."""
    parts: list[str | None] = [None, *graph.defers]
    ordered = sorted(graph.groups, key=lambda g: (parts.index(g.defer), g.id))
    return {group.id: number for number, group in enumerate(ordered)}


def _sibling_order(groups: list[FetchGroup]) -> list[FetchGroup]:
    """Apollo's order for groups that run in parallel after one parent: creation order,
    except that key jumps from the same parent position come latest first."""
    origins: list[object] = []
    for group in groups:
        origin = group.origin if group.origin is not None else group.id
        if origin not in origins:
            origins.append(origin)
    return [
        group
        for origin in origins
        for group in reversed(
            [
                g
                for g in groups
                if (g.origin if g.origin is not None else g.id) == origin
            ]
        )
    ]


def _descends_only_from(group: FetchGroup, root: FetchGroup, graph: FetchGraph) -> bool:
    stack = list(group.parents)
    seen = set()
    while stack:
        current = stack.pop()
        if current is root:
            continue
        if current.id in seen:
            continue
        seen.add(current.id)
        if not current.parents:
            return False
        stack.extend(current.parents)
    return True


class _PendingFetch:
    """A fetch whose operation name waits for its number in plan order."""

    def __init__(
        self,
        group: FetchGroup,
        selection: SelectionTree,
        operation: OperationDefinitionNode,
    ) -> None:
        self.group = group
        self.selection = selection
        self.operation = operation


def _number(
    node: PlanNode,
    operation: OperationDefinitionNode,
    counter: _FetchCounter,
    federation: Federation,
    fetch_ids: dict[int, int],
) -> PlanNode:
    def number(child: PlanNode) -> PlanNode:
        return _number(child, operation, counter, federation, fetch_ids)

    def maybe(child: PlanNode | None) -> PlanNode | None:
        return number(child) if child is not None else None

    if isinstance(node, _PendingFetch):
        index = counter.next
        counter.next += 1
        fetch = _make_fetch(federation, node.group, node.selection, operation, index)
        fetch_id = fetch_ids.get(node.group.id)
        return replace(fetch, id=fetch_id) if fetch_id is not None else fetch
    if isinstance(node, Sequence):
        return Sequence(tuple(number(n) for n in node.nodes))
    if isinstance(node, Parallel):
        return Parallel(tuple(number(n) for n in node.nodes))
    if isinstance(node, Flatten):
        return Flatten(node.path, number(node.node))
    if isinstance(node, Condition):
        return Condition(node.condition, maybe(node.if_clause), maybe(node.else_clause))
    if isinstance(node, Defer):
        primary = replace(node.primary, node=maybe(node.primary.node))
        return Defer(
            primary,
            tuple(replace(b, node=maybe(b.node)) for b in node.deferred),
        )
    return node


def _parallel(nodes: list[PlanNode]) -> PlanNode:
    flat: list[PlanNode] = []
    for node in nodes:
        if isinstance(node, Parallel):
            flat.extend(node.nodes)
        else:
            flat.append(node)
    return flat[0] if len(flat) == 1 else Parallel(tuple(flat))


def _sequence(nodes: list[PlanNode]) -> PlanNode:
    flat: list[PlanNode] = []
    for node in nodes:
        for item in node.nodes if isinstance(node, Sequence) else (node,):
            previous = flat[-1] if flat else None
            if _same_condition(previous, item):
                assert isinstance(previous, Condition) and isinstance(item, Condition)
                flat[-1] = _merge_conditions(previous, item)
            else:
                flat.append(item)
    return flat[0] if len(flat) == 1 else Sequence(tuple(flat))


def _same_condition(first: PlanNode | None, second: PlanNode) -> bool:
    """Whether two consecutive stages sit under the same one-sided condition."""
    return (
        isinstance(first, Condition)
        and isinstance(second, Condition)
        and first.condition == second.condition
        and (first.if_clause is None) == (second.if_clause is None)
        and (first.else_clause is None) == (second.else_clause is None)
    )


def _merge_conditions(first: Condition, second: Condition) -> Condition:
    if first.if_clause is not None and second.if_clause is not None:
        return Condition(
            first.condition, _sequence([first.if_clause, second.if_clause])
        )
    assert first.else_clause is not None and second.else_clause is not None
    return Condition(
        first.condition, None, _sequence([first.else_clause, second.else_clause])
    )


# -- conditions ------------------------------------------------------------------


def _item_conditions(
    item: FieldSelection | FragmentSelection,
) -> set[tuple[str, bool]]:
    own = set(condition_variables(item.directives))
    if isinstance(item, FragmentSelection) and item.children:
        inner = [_item_conditions(child) for child in item.children]
        own |= set.intersection(*inner)
    return own


def _shared_conditions(group: FetchGroup) -> tuple[tuple[str, bool], ...]:
    """Conditions every top-level selection of the group is under, in first-seen order."""
    items = list(group.selection)
    if not items:
        return ()
    per_item = [_item_conditions(item) for item in items]
    shared = set.intersection(*per_item)
    ordered: list[tuple[str, bool]] = []
    _collect_order(items[0], ordered)
    return tuple(c for c in ordered if c in shared)


def _collect_order(
    item: FieldSelection | FragmentSelection, out: list[tuple[str, bool]]
) -> None:
    for condition in condition_variables(item.directives):
        if condition not in out:
            out.append(condition)
    if isinstance(item, FragmentSelection):
        for child in item.children:
            _collect_order(child, out)


def _strip_conditions(
    group: FetchGroup, conditions: tuple[tuple[str, bool], ...]
) -> SelectionTree:
    """The group's selection without the directives of ``conditions`` (they become a
    Condition node around the fetch)."""
    names = {variable for variable, _ in conditions}

    def keep(directive: DirectiveNode) -> bool:
        return not (
            directive.name.value in ("skip", "include")
            and any(
                isinstance(a.value, VariableNode) and a.value.name.value in names
                for a in directive.arguments or ()
            )
        )

    def strip(tree: SelectionTree, enclosing: str | None) -> SelectionTree:
        result = SelectionTree()
        for item in tree:
            directives = tuple(d for d in item.directives if keep(d))
            if isinstance(item, FieldSelection):
                added = result.add_field(
                    item.name,
                    item.alias,
                    item.arguments,
                    directives,
                    item.children is not None,
                )
                if item.children is not None and added.children is not None:
                    added.children.merge(item.children)
                continue
            inner = strip(item.children, item.type_condition or enclosing)
            if not directives and item.type_condition in (None, enclosing):
                result.merge(inner)
            else:
                result.add_fragment(item.type_condition, directives).children.merge(
                    inner
                )
        return result

    return strip(group.selection, None)


# -- subgraph operations -----------------------------------------------------------


def _make_fetch(
    federation: Federation,
    group: FetchGroup,
    selection: SelectionTree,
    operation: OperationDefinitionNode,
    index: int,
) -> Fetch:
    graph = group.graph
    renamers = alias_conflicts(
        federation.schema,
        selection,
        group.parent_type or "",
        group.is_entity,
        lambda type_name, field: federation.declared_type(type_name, field, graph),
    )
    body = selection.print_compact()
    used = _used_variables(body, operation)
    definitions = {
        d.variable.name.value: d for d in operation.variable_definitions or ()
    }
    declared = "".join(
        _print_variable(definitions[name]) for name in used if name in definitions
    )
    name = None
    if operation.name is not None:
        name = f"{operation.name.value}__{sanitize_graph_name(group.graph)}__{index}"
    if group.is_entity:
        assert group.inputs is not None
        header = f"query {name}" if name else "query"
        text = (
            f"{header}($representations:[_Any!]!{declared})"
            f"{{_entities(representations:$representations){body}}}"
        )
        kind = "query"
        requires = group.inputs.to_required()
    else:
        kind = operation.operation.value
        requires = None
        if name or declared or kind != "query":
            header = kind + (f" {name}" if name else "")
            text = f"{header}({declared}){body}" if declared else f"{header}{body}"
        else:
            text = body
    return Fetch(
        service_name=group.graph,
        operation=text,
        operation_name=name,
        operation_kind=kind,  # type: ignore[arg-type]
        variable_usages=tuple(name for name in used if name in definitions),
        requires=requires,
        input_rewrites=tuple(group.input_rewrites),
        output_rewrites=renamers,
    )


def _print_variable(definition: VariableDefinitionNode) -> str:
    text = f"${definition.variable.name.value}:{print_ast(definition.type)}"
    if definition.default_value is not None:
        text += "=" + compact_value(print_ast(definition.default_value))
    return text


_VARIABLE = re.compile(r"\$\s*([_A-Za-z][_0-9A-Za-z]*)")


def _used_variables(body: str, operation: OperationDefinitionNode) -> list[str]:
    """Variables referenced in the printed selection, in order of appearance (read with
    GraphQL's own lexer, so `$` inside string and block-string values never counts)."""
    if "$" not in body:
        return []
    known = {d.variable.name.value for d in operation.variable_definitions or ()}
    names: list[str] = []
    if '"' not in body:
        # No string value: every `$` starts a variable.
        for name in _VARIABLE.findall(body):
            if name in known and name not in names:
                names.append(name)
        return names
    lexer = Lexer(Source(body))
    after_dollar = False
    token = lexer.advance()
    while token.kind != TokenKind.EOF:
        if after_dollar and token.kind == TokenKind.NAME:
            name = token.value
            if name in known and name not in names:
                names.append(name)
        after_dollar = token.kind == TokenKind.DOLLAR
        token = lexer.advance()
    return names
