"""Removing from an operation what a request may not see, before it is planned.

Apollo Router's filtering (https://www.apollographql.com/docs/graphos/routing/security/
authorization#how-it-works): a field goes when its definition or its return type (named
type, lists and non-null unwrapped) carries a requirement the request does not meet; an
inline fragment or fragment spread goes when its type condition does; a field selecting
fields of an interface directly goes when some implementation, or the implementation's
field, is out of reach (the data could be of that type). A field whose selection set
ends up empty goes too. Each removal is reported once, with Apollo's path form: field
names, `"@"` after a list field, `"... on T"` for a type condition.

The client's document is never changed: the filtered copy is what gets planned, and
shaping against the client's document returns the removed fields as null.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    get_named_type,
)

from planner.authorization.rules import AuthorizationRules, AuthState

__all__ = ["FilteredOperation", "filter_operation"]

Path = tuple[str, ...]
_TYPENAME = "__typename"


@dataclass(frozen=True, slots=True)
class FilteredOperation:
    """The operation as planned for one auth state.

    `document` holds the filtered operation and the fragments it still uses (None when
    nothing was removed); `removed` the paths of what was removed, in document order;
    `empty` is true when nothing is left to plan.
    """

    document: DocumentNode | None
    removed: tuple[Path, ...]
    empty: bool = False


def filter_operation(
    document: DocumentNode,
    operation: OperationDefinitionNode,
    schema: GraphQLSchema,
    rules: AuthorizationRules,
    state: AuthState,
) -> FilteredOperation:
    """`operation` (of the validated `document`) without what `state` may not see."""
    walk = _Filter(document, schema, rules, state)
    root = schema.get_root_type(operation.operation)
    if root is None:
        return FilteredOperation(None, ())
    if not rules.type_allows(root.name, state):
        # PORT_NOTE: Apollo reports a protected root type once, at the empty path; we
        # report each root field, like any other removal.
        kept = None
        walk.removed.extend(_root_paths(operation, walk))
    else:
        kept = walk.selection_set(operation.selection_set, root.name, ())
    if not walk.removed:
        return FilteredOperation(None, ())
    if kept is None:
        return FilteredOperation(None, tuple(walk.removed), empty=True)
    filtered = _with_selections(operation, kept)
    fragments = [walk.fragments[name] for name in walk.used_fragments()]
    return FilteredOperation(
        DocumentNode(definitions=(filtered, *fragments)), tuple(walk.removed)
    )


def _root_paths(operation: OperationDefinitionNode, walk: _Filter) -> list[Path]:
    paths: list[Path] = []
    seen: set[str] = set()
    pending = [operation.selection_set]
    while pending:
        for selection in pending.pop(0).selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if name not in seen and name != _TYPENAME:
                    seen.add(name)
                    paths.append((name,))
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                definition = walk.source_fragments.get(selection.name.value)
                if definition is not None:
                    pending.append(definition.selection_set)
    return paths


@dataclass(slots=True)
class _FragmentResult:
    definition: FragmentDefinitionNode | None  # None: nothing left in it
    removed: list[Path]
    spreads: set[str]


@dataclass(slots=True)
class _Filter:
    document: DocumentNode
    schema: GraphQLSchema
    rules: AuthorizationRules
    state: AuthState
    removed: list[Path] = field(default_factory=list)
    source_fragments: dict[str, FragmentDefinitionNode] = field(default_factory=dict)
    fragments: dict[str, FragmentDefinitionNode] = field(default_factory=dict)
    _done: dict[str, _FragmentResult] = field(default_factory=dict)
    _spreads: list[set[str]] = field(default_factory=lambda: [set()])

    def __post_init__(self) -> None:
        self.source_fragments = {
            d.name.value: d
            for d in self.document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }

    def used_fragments(self) -> list[str]:
        """Fragments the filtered operation still spreads, transitively, in order."""
        used: set[str] = set()
        pending = list(self._spreads[0])
        while pending:
            name = pending.pop()
            if name in used or name not in self._done:
                continue
            used.add(name)
            pending.extend(self._done[name].spreads)
        return [name for name in self.source_fragments if name in used]

    def selection_set(
        self, node: SelectionSetNode, parent: str, path: Path
    ) -> SelectionSetNode | None:
        """The selection set without what is out of reach; None when nothing is left."""
        kept: list[Any] = []
        changed = False
        for selection in node.selections:
            result: SelectionNode | None
            if isinstance(selection, FieldNode):
                result = self._field(selection, parent, path)
            elif isinstance(selection, InlineFragmentNode):
                result = self._inline_fragment(selection, parent, path)
            elif isinstance(selection, FragmentSpreadNode):
                result = self._spread(selection, path)
            else:  # pragma: no cover - graphql-core has no other selection
                kept.append(selection)
                continue
            if result is None:
                changed = True
            else:
                changed = changed or result is not selection
                kept.append(result)
        if not kept:
            return None
        if not changed:
            return node
        return SelectionSetNode(selections=tuple(kept))

    def _field(self, node: FieldNode, parent: str, path: Path) -> FieldNode | None:
        name = node.name.value
        if name.startswith("__"):
            return node  # __typename, and root introspection answered apart
        parent_type = self.schema.get_type(parent)
        if not isinstance(parent_type, GraphQLObjectType | GraphQLInterfaceType):
            return node  # validation already refused anything else
        definition = parent_type.fields.get(name)
        if definition is None:
            return node
        here = (*path, name, "@") if _is_list(definition.type) else (*path, name)
        returned = get_named_type(definition.type).name
        if not self._field_allowed(parent_type, name, returned, node):
            self.removed.append(here)
            return None
        if node.selection_set is None:
            return node
        kept = self.selection_set(node.selection_set, returned, here)
        if kept is None:
            return None
        if kept is node.selection_set:
            return node
        return _with_selections(node, kept)

    def _field_allowed(
        self,
        parent: GraphQLObjectType | GraphQLInterfaceType,
        name: str,
        returned: str,
        node: FieldNode,
    ) -> bool:
        rules, state = self.rules, self.state
        if not rules.field_allows(parent.name, name, state):
            return False
        if not rules.type_allows(returned, state):
            return False
        if isinstance(parent, GraphQLInterfaceType) and not all(
            rules.field_allows(t, name, state)
            for t in rules.possible.get(parent.name, ())
        ):
            return False  # some implementation protects its own field
        if node.selection_set is not None and _selects_fields_directly(node):
            returned_type = self.schema.get_type(returned)
            if isinstance(returned_type, GraphQLInterfaceType | GraphQLUnionType):
                return all(
                    rules.type_allows(t, state)
                    for t in rules.possible.get(returned, ())
                )
        return True

    def _inline_fragment(
        self, node: InlineFragmentNode, parent: str, path: Path
    ) -> InlineFragmentNode | None:
        condition = node.type_condition.name.value if node.type_condition else None
        if condition is None:
            # PORT_NOTE: Apollo adds an empty fragment element to paths here; an inline
            # fragment without a type condition adds nothing to ours.
            kept = self.selection_set(node.selection_set, parent, path)
        else:
            here = (*path, f"... on {condition}")
            if not self.rules.type_allows(condition, self.state):
                self.removed.append(here)
                return None
            kept = self.selection_set(node.selection_set, condition, here)
        if kept is None:
            return None
        if kept is node.selection_set:
            return node
        return _with_selections(node, kept)

    def _spread(
        self, node: FragmentSpreadNode, path: Path
    ) -> FragmentSpreadNode | None:
        name = node.name.value
        definition = self.source_fragments.get(name)
        if definition is None:
            return node
        condition = definition.type_condition.name.value
        if not self.rules.type_allows(condition, self.state):
            self.removed.append((*path, f"... on {condition}"))
            return None
        result = self._fragment(name, definition)
        # Paths inside a fragment are relative to where it is spread.
        self.removed.extend((*path, *relative) for relative in result.removed)
        if result.definition is None:
            return None
        self._spreads[-1].add(name)
        return node

    def _fragment(
        self, name: str, definition: FragmentDefinitionNode
    ) -> _FragmentResult:
        done = self._done.get(name)
        if done is not None:
            return done
        outer = self.removed
        self.removed = []
        self._spreads.append(set())
        try:
            condition = definition.type_condition.name.value
            kept = self.selection_set(definition.selection_set, condition, ())
        finally:
            removed, self.removed = self.removed, outer
            spreads = self._spreads.pop()
        filtered: FragmentDefinitionNode | None = None
        if kept is not None:
            filtered = definition
            if kept is not definition.selection_set:
                filtered = _with_selections(definition, kept)
            self.fragments[name] = filtered
        result = _FragmentResult(filtered, removed, spreads)
        self._done[name] = result
        return result


def _is_list(type_: Any) -> bool:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


def _selects_fields_directly(node: FieldNode) -> bool:
    """Whether the selection set asks for fields other than `__typename` outside any
    type condition (only then can an object of any implementation show through)."""
    assert node.selection_set is not None
    return any(
        isinstance(s, FieldNode) and s.name.value != _TYPENAME
        for s in node.selection_set.selections
    )


_N = TypeVar(
    "_N", FieldNode, InlineFragmentNode, FragmentDefinitionNode, OperationDefinitionNode
)


def _with_selections(node: _N, selection_set: SelectionSetNode) -> _N:
    """A copy of `node` with another selection set (graphql-core nodes are treated as
    immutable: the cached client document is shared by every request)."""
    values = {key: getattr(node, key) for key in node.keys if key != "selection_set"}
    return type(node)(**values, selection_set=selection_set)
