"""Result shaping: the executor's tree projected onto the client operation.

QUERY_PLANNING.md §4.6, with Apollo gateway's ``computeResponse`` as the behavioural
reference. One pass over the compiled operation (``selection_plan``): only requested
response names, in query order, aliases honoured; fragments by runtime ``__typename``;
``@skip``/``@include`` applied again; the root ``__typename`` filled in; leaf values
checked; nulls propagated through non-null positions to the nearest nullable ancestor, or
``data: null``. Planner-added fields (keys, required fields) are simply never read; a
client alias the planner fetched under another name (``<alias>__client_alias``, so as
not to shadow such a field) is read from there, given the planner's ``shadowed`` names.

The per-request work runs as Python generated for the operation (``shaping_compiler``);
the ``_Shaping`` interpreter below shapes what the generated code does not take on (any
response with a value-completion error), so it alone defines error behaviour.

Errors found here ("Cannot return null for non-nullable field T.f.", invalid leaf values,
unknown ``__typename``) are coded ``INVALID_GRAPHQL`` and, like Apollo's gateway and
router, reported in ``extensions.valueCompletion`` and only when execution recorded no
error: after a failed fetch they would repeat what the fetch error already says.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLCompositeType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    type_from_ast,
    value_from_ast,
)
from graphql.utilities import get_operation_ast

from router.execution.codes import INVALID_GRAPHQL
from router.execution.paths import PathNode, to_list
from router.execution.selection_plan import (
    COMPOSITE,
    LEAF,
    LEAF_FIELD,
    LIST,
    NON_NULL,
    NON_NULL_LEAF_FIELD,
    TYPENAME,
    VALUE,
    SelectionPlan,
    ShapeContext,
    TypeShape,
)
from router.execution.shaping_compiler import Fallback, root_function

__all__ = ["FragmentShaper", "ResponseShaper"]

# complete() results besides values: a null whose error is already recorded, and a null in
# a non-null position that the enclosing object must take on.
_ERRORED_NULL: Any = object()
_BUBBLE: Any = object()
# Condition valuations kept per operation; 2**n exist for n condition variables.
_MAX_VALUATIONS = 64
# Responses an operation shapes with the interpreter before its Python is generated:
# compiling costs about five interpreted shapes, wasted on an operation sent once.
COMPILE_AFTER = 1


class ResponseShaper:
    """Shapes responses for one operation of one document against one API schema.

    Compile once per (API schema, document, operation name) and cache it with the plan;
    ``shape`` is the per-request hot path.
    """

    __slots__ = (
        "_condition_defaults",
        "_condition_names",
        "_fragments",
        "_operation",
        "_plans",
        "_root_type",
        "_schema",
        "_shadowed",
        "_shapes",
        "_types",
    )

    def __init__(
        self,
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        fragments: Mapping[str, FragmentDefinitionNode],
        shadowed: frozenset[str] = frozenset(),
    ) -> None:
        root_type = schema.get_root_type(operation.operation)
        if root_type is None:
            raise ValueError(f"The schema has no {operation.operation.value} type")
        self._schema = schema
        self._operation = operation
        self._fragments = fragments
        self._shadowed = shadowed
        self._root_type: GraphQLObjectType = root_type
        self._types = _composite_types(schema)
        names = _condition_variables(operation.selection_set, fragments)
        self._condition_names = tuple(sorted(names))
        self._condition_defaults = _defaults(schema, operation, names)
        self._plans: dict[tuple[bool, ...], SelectionPlan] = {}
        self._shapes = 0

    @classmethod
    def compile(
        cls,
        api_schema: GraphQLSchema,
        document: DocumentNode,
        operation_name: str | None,
        shadowed: frozenset[str] = frozenset(),
    ) -> ResponseShaper:
        """``shadowed``: the planner's ``planner_field_names`` (what its plans rename
        a client alias away from). Raises ValueError when the document has no such
        operation."""
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            raise ValueError(f"No operation {operation_name!r} in the document")
        fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        shaper = cls(api_schema, operation, fragments, shadowed)
        if not shaper._condition_names:
            shaper._plan_for({})
        return shaper

    def shape(
        self,
        data: dict[str, Any] | None,
        errors: list[dict[str, Any]],
        variables: Mapping[str, Any],
    ) -> dict[str, Any]:
        """The client response: ``{"errors"?, "data", "extensions"?}``.

        ``data`` is the executor's tree (root ``__schema``/``__type`` already placed by
        the pipeline), ``errors`` the execution errors, ``variables`` the coerced ones.
        """
        response: dict[str, Any] = {}
        if errors:
            response["errors"] = errors
        if data is None:
            response["data"] = None
            return response
        plan = self._plan_for(variables)
        self._shapes += 1
        compiled = (
            root_function(plan, self._types) if self._shapes > COMPILE_AFTER else None
        )
        if compiled is not None and type(data) is dict:
            try:
                response["data"] = compiled(data)
            except (Fallback, TypeError):
                # A value-completion error somewhere (or an unhashable __typename):
                # the interpreter below is the one definition of what follows.
                pass
            else:
                return response
        run = _Shaping(self._types)
        shaped = run.object(data, plan, self._root_type, None)
        response["data"] = None if shaped is _ERRORED_NULL else shaped
        if run.errors and not errors:
            response["extensions"] = {"valueCompletion": run.errors}
        return response

    def type_at(
        self, query_path: tuple[str, ...], variables: Mapping[str, Any]
    ) -> GraphQLCompositeType | None:
        """The static type of the objects at a plan's query path (fetched names and
        ``... on T`` steps, lists implied), or None when the operation has no such
        composite position."""
        plan = self._plan_for(variables)
        current: GraphQLCompositeType = self._root_type
        for step in query_path:
            if step.startswith("... on "):
                named = self._types.get(step[len("... on ") :])
                if named is None:
                    return None
                current = named
                continue
            shape = next(
                (f.shape for f in plan.fields_for(current) if f.source == step),
                None,
            )
            while shape is not None and shape.kind in (NON_NULL, LIST):
                shape = shape.inner
            if shape is None or shape.selection is None:
                return None
            plan = shape.selection
            current = plan.static_type
        return current

    def _plan_for(self, variables: Mapping[str, Any]) -> SelectionPlan:
        defaults = self._condition_defaults
        key = tuple(
            variables.get(name, defaults.get(name, True)) is True
            for name in self._condition_names
        )
        plan = self._plans.get(key)
        if plan is None:
            if len(self._plans) >= _MAX_VALUATIONS:
                self._plans.clear()
            context = ShapeContext(
                self._schema,
                self._fragments,
                dict(zip(self._condition_names, key, strict=True)),
                self._shadowed,
            )
            plan = SelectionPlan(
                context, self._root_type, (self._operation.selection_set,), is_root=True
            )
            self._plans[key] = plan
        return plan


class FragmentShaper:
    """Shapes objects of the executor's tree against one selection set: a deferred
    part's subselection, at the objects its path reaches (``router.server.incremental``).

    The same rules as ``ResponseShaper`` (the interpreter: parts are few), with null
    propagation stopping at the object shaped: a deferred part whose non-null field
    is null has ``data: null`` in its payload, as the incremental delivery spec says.
    """

    __slots__ = ("_shape", "_types")

    def __init__(
        self,
        schema: GraphQLSchema,
        selection_set: SelectionSetNode,
        static_type: GraphQLCompositeType,
        variables: Mapping[str, Any],
        shadowed: frozenset[str] = frozenset(),
    ) -> None:
        context = ShapeContext(schema, {}, variables, shadowed)
        plan = SelectionPlan(context, static_type, (selection_set,))
        self._shape = TypeShape(COMPOSITE, static_type.name, selection=plan)
        self._types = _composite_types(schema)

    def shape(
        self, obj: dict[str, Any], path: list[str | int]
    ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """The shaped object (None when a null took it over) and the value-completion
        errors met; ``path`` is the object's path in the response."""
        node: PathNode = None
        for key in path:
            node = (node, key)
        run = _Shaping(self._types)
        shaped = run.complete(obj, self._shape, node, self._shape.type_name)
        if shaped is _ERRORED_NULL or shaped is _BUBBLE or type(shaped) is not dict:
            return None, run.errors
        return shaped, run.errors


class _Shaping:
    """One shaping pass: walks data and plan together, collecting errors."""

    __slots__ = ("errors", "types")

    def __init__(self, types: Mapping[str, GraphQLCompositeType]) -> None:
        self.types = types
        self.errors: list[dict[str, Any]] = []

    def object(
        self,
        obj: dict[str, Any],
        plan: SelectionPlan,
        runtime: GraphQLCompositeType,
        path: PathNode,
    ) -> Any:
        """The output object, or ``_ERRORED_NULL`` when a non-null field bubbled up."""
        out: dict[str, Any] = {}
        runtime_name = runtime.name
        for mode, name, exact, check, shape, parent_name, source in plan.fields_for(
            runtime
        ):
            if mode <= NON_NULL_LEAF_FIELD:
                value = obj.get(source)
                if type(value) is exact or (
                    value is not None and (check is None or check(value))
                ):
                    out[name] = value
                    continue
                if value is None and mode == LEAF_FIELD:
                    out[name] = None
                    continue
            elif mode == VALUE:
                value = obj.get(source)
            elif mode == TYPENAME:
                if not isinstance(runtime, GraphQLObjectType):
                    # An interface name where a runtime type belongs (an @interfaceObject
                    # answer whose follow-up fetch failed): the object cannot be shown.
                    return _ERRORED_NULL
                out[name] = runtime_name
                continue
            else:
                out[name] = obj.get(source)
                continue
            # Slow path: nested values, and leaves that are null or invalid.
            result = self.complete(
                value,
                shape,  # type: ignore[arg-type]
                (path, name),
                parent_name or runtime_name,
            )
            if result is _BUBBLE:
                return _ERRORED_NULL
            out[name] = None if result is _ERRORED_NULL else result
        return out

    def complete(
        self, value: Any, shape: TypeShape, path: PathNode, parent_name: str
    ) -> Any:
        kind = shape.kind
        if kind == NON_NULL:
            inner: TypeShape = shape.inner  # type: ignore[assignment]
            result = self.complete(value, inner, path, parent_name)
            if result is None:
                self._error(
                    f"Cannot return null for non-nullable "
                    f"{_describe(path, inner.type_name, parent_name)}.",
                    path,
                )
                return _BUBBLE
            if result is _ERRORED_NULL:
                return _BUBBLE
            return result
        if value is None:
            return None
        if kind == LEAF:
            if type(value) is shape.exact or shape.check is None or shape.check(value):
                return value
            return self._invalid_value(path, shape, parent_name)
        if kind == LIST:
            if type(value) is not list:
                return self._invalid_value(path, shape, parent_name)
            item_shape: TypeShape = shape.inner  # type: ignore[assignment]
            items = []
            bubbled = False
            for index, item in enumerate(value):
                result = self.complete(item, item_shape, (path, index), parent_name)
                if result is _BUBBLE:
                    # Like Apollo's gateway, finish the list: every bad item is reported.
                    bubbled = True
                elif not bubbled:
                    items.append(None if result is _ERRORED_NULL else result)
            return _ERRORED_NULL if bubbled else items
        if type(value) is not dict:
            return self._invalid_value(path, shape, parent_name)
        plan: SelectionPlan = shape.selection  # type: ignore[assignment]
        typename = value.get("__typename")
        if typename is None:
            runtime = plan.static_type
        else:
            found = self.types.get(typename) if type(typename) is str else None
            if found is None:
                # Unknown to the API schema (maybe @inaccessible): never echo the name.
                self._error(
                    "Invalid __typename found for object at "
                    f"{_describe(path, shape.type_name, parent_name)}.",
                    path,
                )
                return _ERRORED_NULL
            runtime = found
        return self.object(value, plan, runtime, path)

    def _invalid_value(self, path: PathNode, shape: TypeShape, parent_name: str) -> Any:
        self._error(
            f"Invalid value found for {_describe(path, shape.type_name, parent_name)}.",
            path,
        )
        return _ERRORED_NULL

    def _error(self, message: str, path: PathNode) -> None:
        self.errors.append(
            {
                "message": message,
                "path": to_list(path),
                "extensions": {"code": INVALID_GRAPHQL},
            }
        )


def _describe(path: PathNode, type_name: str, parent_name: str) -> str:
    """Apollo gateway's wording for the value at the end of ``path``."""
    assert path is not None
    key = path[1]
    if type(key) is int:
        return f"array element of type {type_name} at index {key}"
    return f"field {parent_name}.{key}"


_TYPES_BY_SCHEMA: weakref.WeakKeyDictionary[
    GraphQLSchema, dict[str, GraphQLCompositeType]
] = weakref.WeakKeyDictionary()


def _composite_types(schema: GraphQLSchema) -> dict[str, GraphQLCompositeType]:
    """The API schema's composite types by name: what a ``__typename`` may name."""
    types = _TYPES_BY_SCHEMA.get(schema)
    if types is None:
        types = {
            name: named
            for name, named in schema.type_map.items()
            if isinstance(
                named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType
            )
        }
        _TYPES_BY_SCHEMA[schema] = types
    return types


def _condition_variables(
    selection_set: SelectionSetNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> set[str]:
    """Variables used by ``@skip``/``@include`` in the operation and its fragments."""
    names: set[str] = set()
    pending = [selection_set, *(f.selection_set for f in fragments.values())]
    while pending:
        for selection in pending.pop().selections:
            if not isinstance(
                selection, FieldNode | InlineFragmentNode | FragmentSpreadNode
            ):
                continue
            for directive in selection.directives or ():
                if directive.name.value in ("skip", "include"):
                    for argument in directive.arguments or ():
                        if isinstance(argument.value, VariableNode):
                            names.add(argument.value.name.value)
            if (
                not isinstance(selection, FragmentSpreadNode)
                and selection.selection_set
            ):
                pending.append(selection.selection_set)
    return names


def _defaults(
    schema: GraphQLSchema, operation: OperationDefinitionNode, names: set[str]
) -> dict[str, Any]:
    defaults: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name in names and definition.default_value is not None:
            input_type = type_from_ast(schema, definition.type)
            if input_type is not None:
                defaults[name] = value_from_ast(definition.default_value, input_type)  # type: ignore[arg-type]
    return defaults
