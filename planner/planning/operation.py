"""Operation normalisation: the client operation as an immutable, merged selection tree.

Named fragments are expanded into inline fragments; fragments that add nothing (no
directives, and a type condition the parent already satisfies) are inlined; duplicate
fields and fragments are merged; literal ``@skip``/``@include`` are folded away (the
variable forms stay on their selection); top-level introspection and ``__typename`` are
removed, since the router answers them itself (QUERY_PLANNING.md §2.1). ``@defer`` never
reaches a subgraph: it becomes the fragment's ``defer`` (a label and the ``if:``
variable), or is dropped when defer is off, ``if: false`` or its variable is planned off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FloatValueNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    ObjectFieldNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableNode,
    get_named_type,
    is_abstract_type,
    is_object_type,
    print_ast,
)
from graphql.type import GraphQLCompositeType

from planner.planning.client_aliases import fetched_name
from planner.planning.errors import QueryPlanningError

__all__ = [
    "DeferInfo",
    "NormalizedOperation",
    "OpField",
    "OpFragment",
    "OpSelection",
    "normalize_operation",
    "select_operation",
]

_INTROSPECTION_ROOT_FIELDS = frozenset({"__schema", "__type", "__typename"})


@dataclass(frozen=True, eq=False, slots=True)
class OpField:
    """A field selection; ``selections`` is None for a leaf."""

    name: str
    alias: str | None
    arguments: tuple[ArgumentNode, ...]
    directives: tuple[DirectiveNode, ...]
    selections: tuple[OpSelection, ...] | None
    merge_key: str
    # A sibling ``__typename`` folded into this field: fetched right before it, wherever
    # it is fetched (QUERY_PLANNING.md §2.1, the sibling typename trick).
    typename_before: bool = False

    @property
    def response_name(self) -> str:
        return self.alias or self.name


@dataclass(frozen=True, eq=False, slots=True)
class OpFragment:
    """An inline fragment kept because it narrows the type or carries directives."""

    type_condition: str
    directives: tuple[DirectiveNode, ...]
    selections: tuple[OpSelection, ...]
    merge_key: str
    # ``... @include(if: $x) { }``: no type condition in the client's fragment.
    untyped: bool = False
    defer: DeferInfo | None = None
    # False when it keeps every object where it stands (``... @include(if: $x)``,
    # ``... on Book @skip(if: $y)`` on a ``Book``): only its directives kept it.
    narrows: bool = True


OpSelection = OpField | OpFragment


@dataclass(frozen=True, slots=True)
class DeferInfo:
    """A ``@defer`` kept by normalisation. ``key`` is unique in the operation (the
    client's label, or a generated one); ``label`` is the client's label, if any;
    ``condition`` the ``if:`` variable; ``wrap`` the fragment's type condition when it
    narrows the parent type or names a fragment (the deferred subselection prints it);
    ``narrows`` whether it narrows the parent type; ``conditions`` the variable
    ``@skip``/``@include`` of the fragment and of the fields and fragments around it
    from the root on, as ``(variable, included when)``: the part is sent only when all
    hold (the subselection, in Apollo's format, cannot say so). A field's count too:
    the same response name selected again without the condition keeps the object in
    the answer, but not this fragment."""

    key: str
    label: str | None
    condition: str | None
    wrap: str | None
    narrows: bool = False
    conditions: tuple[tuple[str, bool], ...] = ()


@dataclass(frozen=True, slots=True)
class NormalizedOperation:
    kind: OperationType
    name: str | None
    root_type: str
    definition: OperationDefinitionNode
    selections: tuple[OpSelection, ...]
    # The ``if:`` variables of the operation's defers, in document order.
    defer_conditions: tuple[str, ...] = ()
    # Client aliases renamed so as not to shadow planner fields (``client_aliases``).
    client_aliases: tuple[str, ...] = ()


def select_operation(
    document: DocumentNode, operation_name: str | None
) -> OperationDefinitionNode:
    """The operation to run, by name (raises GRAPHQL_UNKNOWN_OPERATION_NAME)."""
    operations = [
        d for d in document.definitions if isinstance(d, OperationDefinitionNode)
    ]
    if operation_name is None:
        if len(operations) == 1:
            return operations[0]
        message = (
            "Must provide operation name if query contains multiple operations."
            if operations
            else "The document contains no operation."
        )
        raise QueryPlanningError("GRAPHQL_UNKNOWN_OPERATION_NAME", message)
    for operation in operations:
        if operation.name is not None and operation.name.value == operation_name:
            return operation
    raise QueryPlanningError(
        "GRAPHQL_UNKNOWN_OPERATION_NAME", f'Unknown operation named "{operation_name}".'
    )


def normalize_operation(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    keep_typename: frozenset[str] = frozenset(),
    *,
    defer: bool = False,
    defer_off: frozenset[str] = frozenset(),
    shadowed: frozenset[str] = frozenset(),
) -> NormalizedOperation:
    """Select and normalise the operation (the document must already be valid).

    ``keep_typename``: types whose ``__typename`` must not be folded into a sibling
    (interfaces some subgraph sees as an ``@interfaceObject``). With ``defer``,
    ``@defer`` fragments are kept as deferred (QUERY_PLANNING.md §2.10), except those
    whose ``if:`` variable is in ``defer_off``; without it every ``@defer`` is
    stripped (the whole answer in one response). Defer is a query feature: it is
    stripped from mutations and subscriptions. A client field is fetched under its
    ``fetched_name`` for ``shadowed`` (its renamed aliases: ``client_aliases``)."""
    definition = select_operation(document, operation_name)
    root = schema.get_root_type(definition.operation)
    if root is None:
        raise QueryPlanningError(
            "QUERY_PLANNING_FAILED",
            f"The schema has no {definition.operation.value} type.",
        )
    fragments = {
        d.name.value: d
        for d in document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }
    normalizer = _Normalizer(
        schema,
        fragments,
        keep_typename,
        defer and definition.operation == OperationType.QUERY,
        defer_off,
        shadowed,
    )
    selections = tuple(
        selection
        for selection in normalizer.selection_set(definition.selection_set, root)
        if not (
            isinstance(selection, OpField)
            and selection.name in _INTROSPECTION_ROOT_FIELDS
        )
    )
    return NormalizedOperation(
        kind=definition.operation,
        name=definition.name.value if definition.name else None,
        root_type=root.name,
        definition=definition,
        selections=selections,
        defer_conditions=tuple(normalizer.defer_conditions),
        client_aliases=tuple(normalizer.client_aliases),
    )


def _literal_condition(directive: DirectiveNode) -> bool | None:
    """For ``@skip``/``@include`` with a literal ``if``: whether the selection stays."""
    if directive.name.value not in ("skip", "include"):
        return None
    for argument in directive.arguments or ():
        if argument.name.value == "if" and isinstance(argument.value, BooleanValueNode):
            keep = argument.value.value
            return keep if directive.name.value == "include" else not keep
    return None


def _effective_directives(
    directives: tuple[DirectiveNode, ...] | None,
) -> tuple[DirectiveNode, ...] | None:
    """Directives left once literal conditions are folded; None if the selection is
    excluded."""
    kept: list[DirectiveNode] = []
    for directive in directives or ():
        literal = _literal_condition(directive)
        if literal is None:
            kept.append(directive)
        elif not literal:
            return None
    return tuple(kept)


def _directives_key(directives: tuple[DirectiveNode, ...]) -> str:
    return " ".join(print_ast(d) for d in directives)


def variable_conditions(
    directives: tuple[DirectiveNode, ...],
) -> tuple[DirectiveNode, ...]:
    """The ``@skip``/``@include`` directives whose ``if`` is a variable."""
    return tuple(
        d
        for d in directives
        if d.name.value in ("skip", "include")
        and any(
            a.name.value == "if" and isinstance(a.value, VariableNode)
            for a in d.arguments or ()
        )
    )


def condition_variables(
    directives: tuple[DirectiveNode, ...],
) -> tuple[tuple[str, bool], ...]:
    """The variable ``@skip``/``@include`` conditions: (variable, include-when-true)."""
    conditions = []
    for directive in variable_conditions(directives):
        for argument in directive.arguments or ():
            if argument.name.value == "if" and isinstance(argument.value, VariableNode):
                conditions.append(
                    (argument.value.name.value, directive.name.value == "include")
                )
    return tuple(conditions)


class _Normalizer:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        keep_typename: frozenset[str],
        defer: bool = False,
        defer_off: frozenset[str] = frozenset(),
        shadowed: frozenset[str] = frozenset(),
    ) -> None:
        self.schema = schema
        self.shadowed = shadowed
        self.client_aliases: list[str] = []
        self.fragments = fragments
        self.keep_typename = keep_typename
        self.defer = defer
        self.defer_off = defer_off
        self.defer_conditions: list[str] = []
        self._defer_count = 0
        self._defer_keys: set[str] = set()
        # Variable conditions of the fields and fragments around the selections being
        # collected, from the root on (for ``DeferInfo.conditions``).
        self._enclosing: tuple[tuple[str, bool], ...] = ()
        self.roots = [
            schema.query_type,
            schema.mutation_type,
            schema.subscription_type,
        ]

    def selection_set(
        self,
        node: SelectionSetNode,
        parent: GraphQLCompositeType,
        runtime: frozenset[str] | None = None,
    ) -> tuple[OpSelection, ...]:
        """``runtime``: the object types a value here can be (narrowed by enclosing type
        conditions); fragments that cannot match any of them are dropped."""
        if runtime is None:
            runtime = self.possible(parent)
        collected: list[OpSelection] = []
        self._collect(node, parent, runtime, collected)
        merged = merge_selections(collected)
        if parent.name in self.keep_typename or parent in self.roots:
            return merged
        return _attach_sibling_typename(merged)

    def possible(self, type_: object) -> frozenset[str]:
        if is_abstract_type(type_):
            return frozenset(t.name for t in self.schema.get_possible_types(type_))
        return frozenset((type_.name,))  # type: ignore[attr-defined]

    def _collect(
        self,
        node: SelectionSetNode,
        parent: GraphQLCompositeType,
        runtime: frozenset[str],
        out: list[OpSelection],
    ) -> None:
        for selection in node.selections:
            directives = _effective_directives(selection.directives)
            if directives is None:
                continue
            deferred = next((d for d in directives if d.name.value == "defer"), None)
            if deferred is not None:
                directives = tuple(d for d in directives if d is not deferred)
            if isinstance(selection, FieldNode):
                out.append(self._field(selection, parent, directives))
                continue
            if isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                condition_name: str | None = fragment.type_condition.name.value
                selection_set = fragment.selection_set
            else:
                assert isinstance(selection, InlineFragmentNode)
                condition_name = (
                    selection.type_condition.name.value
                    if selection.type_condition
                    else None
                )
                selection_set = selection.selection_set
            condition = (
                self.schema.get_type(condition_name) if condition_name else parent
            )
            assert condition is not None
            narrowed = runtime & self.possible(condition)
            if not narrowed:
                continue
            defer_info = (
                self._defer_info(
                    deferred,
                    condition_name,
                    parent,
                    spread=isinstance(selection, FragmentSpreadNode),
                    conditions=self._enclosing + condition_variables(directives),
                )
                if deferred is not None
                else None
            )
            narrows = not (
                condition is parent or (is_object_type(parent) and narrowed == runtime)
            )
            if defer_info is None and not directives and not narrows:
                self._collect(selection_set, parent, runtime, out)
                continue
            enclosing = self._enclosing
            self._enclosing = enclosing + condition_variables(directives)
            try:
                inner = self.selection_set(selection_set, condition, narrowed)  # type: ignore[arg-type]
            finally:
                self._enclosing = enclosing
            if (
                defer_info is None
                and not directives
                and is_abstract_type(parent)
                and is_abstract_type(condition)
                # An untyped fragment inside (``... @defer { }``) narrows by this
                # one's condition only: lifted out, it would apply to every object.
                and all(
                    isinstance(item, OpFragment) and not item.untyped for item in inner
                )
            ):
                out.extend(inner)
                continue
            out.append(
                OpFragment(
                    type_condition=condition.name,
                    directives=directives,
                    selections=inner,
                    merge_key=f"...{condition_name or ''}{_directives_key(directives)}"
                    + (f"@defer:{defer_info.key}" if defer_info else ""),
                    untyped=condition_name is None,
                    defer=defer_info,
                    narrows=narrows,
                )
            )

    def _defer_info(
        self,
        directive: DirectiveNode,
        condition_name: str | None,
        parent: GraphQLCompositeType,
        *,
        spread: bool,
        conditions: tuple[tuple[str, bool], ...] = (),
    ) -> DeferInfo | None:
        """What a ``@defer`` on a fragment means here; None when it is not kept. A
        named fragment's type condition is printed in the deferred subselection even
        where it does not narrow the type."""
        if not self.defer:
            return None
        label: str | None = None
        variable: str | None = None
        for argument in directive.arguments or ():
            value = argument.value
            if argument.name.value == "label" and isinstance(value, StringValueNode):
                label = value.value
            elif argument.name.value == "if":
                if isinstance(value, BooleanValueNode) and not value.value:
                    return None
                if isinstance(value, VariableNode):
                    variable = value.name.value
        if variable is not None:
            if variable not in self.defer_conditions:
                self.defer_conditions.append(variable)
            if variable in self.defer_off:
                return None
        # A label is written once but met once per spread of a named fragment: each
        # meeting is its own deferred part, at its own path.
        key = (
            label
            if label is not None and label not in self._defer_keys
            else f"qp__{self._defer_count}"
        )
        self._defer_keys.add(key)
        self._defer_count += 1
        wrap = (
            condition_name
            if condition_name is not None and (spread or condition_name != parent.name)
            else None
        )
        narrows = condition_name is not None and condition_name != parent.name
        return DeferInfo(key, label, variable, wrap, narrows, conditions)

    def _field(
        self,
        node: FieldNode,
        parent: GraphQLCompositeType,
        directives: tuple[DirectiveNode, ...],
    ) -> OpField:
        name = node.name.value
        alias = node.alias.value if node.alias else None
        response_name = name if alias is None else alias
        fetched = fetched_name(response_name, name, self.shadowed)
        if fetched != response_name:
            alias = fetched
            if alias not in self.client_aliases:
                self.client_aliases.append(alias)
        arguments = tuple(node.arguments or ())
        if arguments and name != "__typename":
            definitions = parent.fields[name].args  # type: ignore[union-attr]
            arguments = tuple(
                ArgumentNode(
                    name=argument.name,
                    value=canonical_literal(
                        argument.value, definitions[argument.name.value].type
                    ),
                )
                if argument.name.value in definitions
                else argument
                for argument in arguments
            )
        selections: tuple[OpSelection, ...] | None = None
        if node.selection_set is not None and name != "__typename":
            field = parent.fields[name]  # type: ignore[union-attr]
            child = get_named_type(field.type)
            enclosing = self._enclosing
            self._enclosing = enclosing + condition_variables(directives)
            try:
                selections = self.selection_set(node.selection_set, child)
            finally:
                self._enclosing = enclosing
        return OpField(
            name=name,
            alias=alias,
            arguments=arguments,
            directives=directives,
            selections=selections,
            merge_key=f"{alias or name}{_directives_key(directives)}",
        )


_INTEGER = re.compile(r"-?(0|[1-9][0-9]*)")


def canonical_literal(value: ValueNode, type_: GraphQLInputType) -> ValueNode:
    """A literal as Apollo prints it in subgraph queries: an ``ID`` string holding an
    integer becomes an Int literal, an integral Float literal an Int literal."""
    named = type_
    while isinstance(named, GraphQLNonNull):
        named = named.of_type
    if isinstance(value, ListValueNode) and isinstance(named, GraphQLList):
        return ListValueNode(
            values=tuple(canonical_literal(v, named.of_type) for v in value.values)
        )
    if isinstance(named, GraphQLList):
        return canonical_literal(value, named.of_type)
    if isinstance(value, ObjectValueNode) and isinstance(named, GraphQLInputObjectType):
        return ObjectValueNode(
            fields=tuple(
                ObjectFieldNode(
                    name=field.name,
                    value=canonical_literal(
                        field.value, named.fields[field.name.value].type
                    )
                    if field.name.value in named.fields
                    else field.value,
                )
                for field in value.fields
            )
        )
    if isinstance(named, GraphQLScalarType):
        if (
            named.name == "ID"
            and isinstance(value, StringValueNode)
            and _INTEGER.fullmatch(value.value)
        ):
            return IntValueNode(value=value.value)
        if named.name == "Float" and isinstance(value, FloatValueNode):
            number = float(value.value)
            if number.is_integer() and abs(number) < 1e21:
                return IntValueNode(value=str(int(number)))
    return value


def _satisfied_by(
    schema: GraphQLSchema, condition: object, parent: GraphQLCompositeType
) -> bool:
    """Whether every object of type ``parent`` satisfies ``condition``."""
    if condition is parent:
        return True
    if is_object_type(parent) and is_abstract_type(condition):
        return schema.is_sub_type(condition, parent)
    return False


def _attach_sibling_typename(
    selections: tuple[OpSelection, ...],
) -> tuple[OpSelection, ...]:
    typename = next(
        (
            s
            for s in selections
            if isinstance(s, OpField)
            and s.name == "__typename"
            and s.alias is None
            and not s.directives
        ),
        None,
    )
    sibling = next(
        (s for s in selections if isinstance(s, OpField) and s.name != "__typename"),
        None,
    )
    if typename is None or sibling is None:
        return selections
    result: list[OpSelection] = []
    for selection in selections:
        if selection is typename:
            continue
        if selection is sibling:
            selection = OpField(
                name=sibling.name,
                alias=sibling.alias,
                arguments=sibling.arguments,
                directives=sibling.directives,
                selections=sibling.selections,
                merge_key=sibling.merge_key,
                typename_before=True,
            )
        result.append(selection)
    return tuple(result)


def merge_selections(selections: list[OpSelection]) -> tuple[OpSelection, ...]:
    """Merge fields and fragments with the same key, keeping first-seen order."""
    merged: dict[str, OpSelection] = {}
    for selection in selections:
        existing = merged.get(selection.merge_key)
        if existing is None:
            merged[selection.merge_key] = selection
            continue
        if isinstance(existing, OpField):
            assert isinstance(selection, OpField)
            if existing.selections is None or selection.selections is None:
                continue
            merged[selection.merge_key] = OpField(
                name=existing.name,
                alias=existing.alias,
                arguments=existing.arguments,
                directives=existing.directives,
                selections=merge_selections(
                    [*existing.selections, *selection.selections]
                ),
                merge_key=existing.merge_key,
                typename_before=existing.typename_before or selection.typename_before,
            )
        else:
            assert isinstance(selection, OpFragment)
            merged[selection.merge_key] = OpFragment(
                type_condition=existing.type_condition,
                directives=existing.directives,
                selections=merge_selections(
                    [*existing.selections, *selection.selections]
                ),
                merge_key=existing.merge_key,
                untyped=existing.untyped,
                defer=existing.defer,
                narrows=existing.narrows,
            )
    return tuple(merged.values())
