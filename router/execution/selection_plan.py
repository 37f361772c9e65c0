"""The client operation compiled for shaping: per runtime type, the fields to output.

Shaping walks this structure, not the AST. A ``SelectionPlan`` is one composite position
of the operation (the root, or a field's sub-selection); asked for the runtime type of an
object, it answers with the ordered ``OutputField`` tuple that GraphQL's CollectFields
gives for that type: fragments whose type condition applies are inlined, fields with the
same response name merged, ``@skip``/``@include`` already decided. Each answer is computed
on first use and kept, so a repeated operation does no AST work at all.

Skip/include depend on variables, so a plan is built for one valuation of the
operation's condition variables (``Conditions``); the shaper keeps one per valuation seen.
Each plan also holds the functions ``shaping_compiler`` generated for it (``compiled``),
and the context counts the fields compiled for the valuation, to bound them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from graphql import (
    BooleanValueNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLCompositeType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    SelectionSetNode,
    VariableNode,
    is_abstract_type,
    is_composite_type,
    is_leaf_type,
)

from planner.planning.client_aliases import fetched_name
from router.execution.leaf_values import LeafCheck, leaf_check, leaf_exact_type

__all__ = [
    "COMPOSITE",
    "COPY",
    "LEAF",
    "LEAF_FIELD",
    "LIST",
    "NON_NULL",
    "NON_NULL_LEAF_FIELD",
    "TYPENAME",
    "VALUE",
    "OutputField",
    "SelectionPlan",
    "ShapeContext",
    "TypeShape",
]

# TypeShape kinds.
NON_NULL, LIST, LEAF, COMPOSITE = 0, 1, 2, 3
# OutputField modes: a nullable leaf, a non-null leaf, any other schema field, __typename,
# or a value copied as it is (introspection answered by the pipeline). Leaves get their
# own modes so the shaper checks them inline, without a call per value.
LEAF_FIELD, NON_NULL_LEAF_FIELD, VALUE, TYPENAME, COPY = 0, 1, 2, 3, 4

_INTROSPECTION_ROOT_FIELDS = frozenset({"__schema", "__type"})


class ShapeContext:
    """What compiling needs: the API schema, the fragments, the condition valuation,
    and the names the planner renames a client alias away from (``shadowed``: its
    ``planner_field_names``), so each field is read where it was fetched."""

    __slots__ = (
        "compiled_fields",
        "condition_values",
        "fragments",
        "over_budget",
        "schema",
        "shadowed",
    )

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        condition_values: Mapping[str, Any],
        shadowed: frozenset[str] = frozenset(),
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.condition_values = condition_values
        self.shadowed = shadowed
        # Fields compiled to Python for this valuation, and whether compiling stopped.
        self.compiled_fields = 0
        self.over_budget = False

    def included(
        self, node: FieldNode | InlineFragmentNode | FragmentSpreadNode
    ) -> bool:
        for directive in node.directives or ():
            name = directive.name.value
            if name not in ("skip", "include"):
                continue
            value: Any = True
            for argument in directive.arguments or ():
                if argument.name.value != "if":
                    continue
                if isinstance(argument.value, BooleanValueNode):
                    value = argument.value.value
                elif isinstance(argument.value, VariableNode):
                    value = self.condition_values.get(argument.value.name.value, True)
            if (name == "skip") == (value is True):
                return False
        return True

    def applies(self, condition: str | None, runtime: GraphQLCompositeType) -> bool:
        """Does a fragment on ``condition`` apply to an object of type ``runtime``?"""
        if condition is None or condition == runtime.name:
            return True
        abstract = self.schema.get_type(condition)
        if abstract is None or not is_abstract_type(abstract):
            return False
        if isinstance(runtime, GraphQLUnionType):
            return False
        return self.schema.is_sub_type(abstract, runtime)


class TypeShape:
    """A field's output type, unwrapped one layer per node: non-null, list, leaf or
    composite (with the sub-selection to apply)."""

    __slots__ = ("check", "exact", "inner", "kind", "selection", "type_name")

    def __init__(
        self,
        kind: int,
        type_name: str,
        inner: TypeShape | None = None,
        check: LeafCheck | None = None,
        selection: SelectionPlan | None = None,
        exact: type | None = None,
    ) -> None:
        self.kind = kind
        self.exact = exact
        self.type_name = type_name  # the type as printed in error messages
        self.inner = inner
        self.check = check
        self.selection = selection


class OutputField(NamedTuple):
    """One response name to output for objects of one runtime type (a tuple, so the
    shaper's loop unpacks it instead of reading attributes)."""

    mode: int
    response_name: str
    # Leaves: a Python type always valid for the scalar, then the full check (None: any).
    exact: type | None
    check: LeafCheck | None
    shape: TypeShape | None
    # The fragment type the field was selected on, named in error messages the way
    # Apollo's gateway names it; None means the object's own type.
    parent_name: str | None
    # Where the value is in the executor's tree: the name the planner fetched it
    # under (``planner.planning.client_aliases.fetched_name``), mostly the response
    # name itself.
    source: str


class SelectionPlan:
    """One composite position: its static type and the selection sets merged there."""

    __slots__ = (
        "_by_type",
        "_context",
        "_selection_sets",
        "compiled",
        "is_root",
        "static_type",
    )

    def __init__(
        self,
        context: ShapeContext,
        static_type: GraphQLCompositeType,
        selection_sets: tuple[SelectionSetNode, ...],
        is_root: bool = False,
    ) -> None:
        self._context = context
        self.static_type = static_type
        self._selection_sets = selection_sets
        self.is_root = is_root
        self._by_type: dict[str, tuple[OutputField, ...]] = {}
        # Compiled object functions by ``__typename`` (None: absent, the static type).
        self.compiled: dict[str | None, Callable[[dict[str, Any]], dict[str, Any]]] = {}

    @property
    def context(self) -> ShapeContext:
        return self._context

    def fields_for(self, runtime: GraphQLCompositeType) -> tuple[OutputField, ...]:
        """The fields to output for an object whose runtime type is ``runtime``."""
        fields = self._by_type.get(runtime.name)
        if fields is None:
            fields = self._by_type[runtime.name] = self._compile(runtime)
        return fields

    def _compile(self, runtime: GraphQLCompositeType) -> tuple[OutputField, ...]:
        grouped: dict[str, tuple[str | None, list[FieldNode]]] = {}
        for selection_set in self._selection_sets:
            self._collect(runtime, selection_set, None, grouped, set())
        fields = []
        for response_name, (parent_name, nodes) in grouped.items():
            fields.append(
                self._output_field(runtime, response_name, parent_name, nodes)
            )
        return tuple(fields)

    def _collect(
        self,
        runtime: GraphQLCompositeType,
        selection_set: SelectionSetNode,
        parent_name: str | None,
        grouped: dict[str, tuple[str | None, list[FieldNode]]],
        visited: set[str],
    ) -> None:
        context = self._context
        for selection in selection_set.selections:
            if not context.included(selection):  # type: ignore[arg-type]
                continue
            if isinstance(selection, FieldNode):
                name = (
                    selection.alias.value if selection.alias else selection.name.value
                )
                if name in grouped:
                    grouped[name][1].append(selection)
                else:
                    grouped[name] = (parent_name, [selection])
            elif isinstance(selection, InlineFragmentNode):
                condition = (
                    selection.type_condition.name.value
                    if selection.type_condition
                    else None
                )
                if context.applies(condition, runtime):
                    self._collect(
                        runtime,
                        selection.selection_set,
                        condition or parent_name,
                        grouped,
                        visited,
                    )
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = context.fragments.get(name)
                if fragment is None or name in visited:
                    continue
                visited.add(name)
                condition = fragment.type_condition.name.value
                if context.applies(condition, runtime):
                    self._collect(
                        runtime, fragment.selection_set, condition, grouped, visited
                    )

    def _output_field(
        self,
        runtime: GraphQLCompositeType,
        response_name: str,
        parent_name: str | None,
        nodes: list[FieldNode],
    ) -> OutputField:
        field_name = nodes[0].name.value
        if field_name == "__typename":
            return OutputField(
                TYPENAME, response_name, None, None, None, parent_name, response_name
            )
        if self.is_root and field_name in _INTROSPECTION_ROOT_FIELDS:
            # Answered by the pipeline, under the client's name.
            return OutputField(
                COPY, response_name, None, None, None, parent_name, response_name
            )
        source = fetched_name(response_name, field_name, self._context.shadowed)
        definition = getattr(runtime, "fields", {}).get(field_name)
        if definition is None:
            # Not a field of this type (validation makes this unreachable for a
            # validated document); output it as the pipeline left it.
            return OutputField(
                COPY, response_name, None, None, None, parent_name, source
            )
        sub_sets = tuple(node.selection_set for node in nodes if node.selection_set)
        shape = self._shape(definition.type, sub_sets)
        leaf = shape.inner if shape.kind == NON_NULL else shape
        if leaf is not None and leaf.kind == LEAF:
            mode = NON_NULL_LEAF_FIELD if leaf is not shape else LEAF_FIELD
            return OutputField(
                mode, response_name, leaf.exact, leaf.check, shape, parent_name, source
            )
        return OutputField(VALUE, response_name, None, None, shape, parent_name, source)

    def _shape(
        self, output_type: GraphQLOutputType, sub_sets: tuple[SelectionSetNode, ...]
    ) -> TypeShape:
        if isinstance(output_type, GraphQLNonNull):
            inner = self._shape(output_type.of_type, sub_sets)
            return TypeShape(NON_NULL, str(output_type), inner)
        if isinstance(output_type, GraphQLList):
            inner = self._shape(output_type.of_type, sub_sets)
            return TypeShape(LIST, str(output_type), inner)
        if is_leaf_type(output_type):
            return TypeShape(
                LEAF,
                output_type.name,
                check=leaf_check(output_type),
                exact=leaf_exact_type(output_type),
            )
        assert is_composite_type(output_type)
        selection = SelectionPlan(self._context, output_type, sub_sets)
        return TypeShape(COMPOSITE, output_type.name, selection=selection)
