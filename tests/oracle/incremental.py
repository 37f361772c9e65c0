"""What a multipart client must hold after a deferred operation: the monolith's answer
as the incremental delivery spec delivers it.

The router speaks ``deferSpec=20220824`` (graphql-js 17.0.0-alpha.2): the first payload
is the operation without its deferred fragments; each active deferred fragment is a
later payload at its object's path, with every field of the fragment (those the first
payload has too) and its own nested defers as payloads after it. A non-null field that
fails nulls up to the nearest nullable field *of its own payload*: reaching a deferred
fragment's root, that payload's ``data`` is null and only its fields are missing, where
the monolith (and the merged answer) nulls further up. A deferred fragment at the root of
a query (no field above it) is delivered inline, in the first payload, as our planner
plans it (README: a known difference from Apollo; the incremental delivery working
group lets a server inline any deferred fragment): a non-null field failing there nulls
as in one response; so is every deferred fragment of a mutation (the router strips
``@defer`` from mutations). A payload whose object was nulled
in the payload above it is never sent. The client deep-merges the payloads in order
(``support.incremental.merge_parts``), parents before children.

``streamed_truth`` computes that from the monolith's *raw* answer: the operation without
``@defer`` executed on the API schema with every output type made nullable (so a failing
field is null with its error and nothing above it is), with each object's ``__typename``
alongside; the payloads are then completed from it, and null propagation applied per
payload, by walking the operation the way graphql-js does.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLDeferDirective,
    GraphQLIncludeDirective,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Visitor,
    build_ast_schema,
    is_leaf_type,
    parse,
    print_schema,
    visit,
)
from graphql.execution.values import get_directive_values, get_variable_values
from support.incremental import merge_parts

from router.server.introspection import without_defer

__all__ = ["TYPENAME", "nullable_schema", "streamed_truth", "with_typenames"]

# The response name the raw answer carries each object's type under.
TYPENAME = "oracleTypename__"
_PROPAGATE = object()  # a non-null field's null, on its way up


def nullable_schema(schema: GraphQLSchema) -> GraphQLSchema:
    """``schema`` with every field's output type nullable, items too (arguments and
    input fields as they were)."""

    class _Nullable(Visitor):
        def leave_field_definition(self, node: Any, *_: object) -> object:
            return node.__class__(
                **{
                    **{k: getattr(node, k) for k in node.keys if k != "loc"},
                    "type": _strip(node.type),
                }
            )

    document = visit(parse(print_schema(schema)), _Nullable())
    return build_ast_schema(document, assume_valid_sdl=True)


def _strip(type_node: Any) -> Any:
    if isinstance(type_node, NonNullTypeNode):
        return _strip(type_node.type)
    if isinstance(type_node, NamedTypeNode):
        return type_node
    return type_node.__class__(type=_strip(type_node.type))


def with_typenames(document: DocumentNode) -> DocumentNode:
    """``document`` without ``@defer``, each field's selection set (and the
    operation's) also asking ``__typename`` as ``TYPENAME``."""
    marker = FieldNode(
        alias=NameNode(value=TYPENAME),
        name=NameNode(value="__typename"),
        arguments=(),
        directives=(),
    )

    class _Mark(Visitor):
        def leave_selection_set(self, node: SelectionSetNode, *args: Any) -> object:
            parent = args[1] if len(args) > 1 else None
            if isinstance(parent, FieldNode | OperationDefinitionNode):
                return SelectionSetNode(selections=(*node.selections, marker))
            return None

    marked: DocumentNode = visit(without_defer(document), _Mark())
    return marked


@dataclass
class _Patch:
    path: list[str | int]
    type_: GraphQLObjectType
    raw: Mapping[str, Any]
    selection_sets: list[SelectionSetNode]


class _Walker:
    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any],
        raw_errors: set[tuple[str | int, ...]],
    ) -> None:
        self.schema = schema
        self.fragments = {
            d.name.value: d
            for d in document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }
        coerced = get_variable_values(
            schema, operation.variable_definitions or (), dict(variables)
        )
        if isinstance(coerced, list):
            raise ValueError(f"variables do not coerce: {coerced}")
        self.variables = coerced
        self.error_paths = set(raw_errors)
        self.patches: list[_Patch] = []
        # The router strips @defer from mutations: one response.
        self.inline_all = operation.operation != OperationType.QUERY

    def _included(self, node: Any) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (include and include.get("if") is False)

    def _deferred(self, node: Any) -> bool:
        if self.inline_all:
            return False
        defer = get_directive_values(GraphQLDeferDirective, node, self.variables)
        return defer is not None and defer.get("if") is not False

    def _applies(
        self, condition: NamedTypeNode | None, type_: GraphQLObjectType
    ) -> bool:
        if condition is None:
            return True
        conditional = self.schema.get_type(condition.name.value)
        if conditional is type_:
            return True
        if isinstance(conditional, GraphQLAbstractType):
            return self.schema.is_sub_type(conditional, type_)
        return False

    def collect(
        self,
        type_: GraphQLObjectType,
        selection_sets: list[SelectionSetNode],
        fields: dict[str, list[FieldNode]],
        deferred: list[list[SelectionSetNode]],
        *,
        at_root: bool = False,
    ) -> None:
        """``at_root``: the operation's own selections (no field above them), whose
        deferred fragments the router delivers inline (see the module's docstring)."""
        for selection_set in selection_sets:
            for node in selection_set.selections:
                if not self._included(node):
                    continue
                if isinstance(node, FieldNode):
                    key = (node.alias or node.name).value
                    fields.setdefault(key, []).append(node)
                    continue
                condition: NamedTypeNode | None
                if isinstance(node, FragmentSpreadNode):
                    fragment = self.fragments[node.name.value]
                    condition, inner = fragment.type_condition, fragment.selection_set
                else:
                    assert isinstance(node, InlineFragmentNode)
                    condition, inner = node.type_condition, node.selection_set
                if not self._applies(condition, type_):
                    continue
                if self._deferred(node) and not at_root:
                    deferred.append([inner])
                else:
                    self.collect(type_, [inner], fields, deferred, at_root=at_root)

    def fields(
        self,
        type_: GraphQLObjectType,
        raw: Mapping[str, Any],
        selection_sets: list[SelectionSetNode],
        path: list[str | int],
        patches: list[_Patch],
    ) -> Any:
        fields: dict[str, list[FieldNode]] = {}
        deferred: list[list[SelectionSetNode]] = []
        at_root = not path and type_ is self.schema.query_type
        self.collect(type_, selection_sets, fields, deferred, at_root=at_root)
        for inner in deferred:
            patches.append(_Patch(path, type_, raw, inner))
        result: dict[str, Any] = {}
        propagate = False
        for key, nodes in fields.items():
            name = nodes[0].name.value
            if name == "__typename":
                result[key] = type_.name
                continue
            field_type = type_.fields[name].type
            value = self.value(field_type, nodes, raw.get(key), [*path, key], patches)
            propagate = propagate or value is _PROPAGATE
            result[key] = value
        return _PROPAGATE if propagate else result

    def value(
        self,
        type_: GraphQLOutputType,
        nodes: list[FieldNode],
        raw: Any,
        path: list[str | int],
        patches: list[_Patch],
    ) -> Any:
        """The completed value, or ``_PROPAGATE`` when a non-null ``type_`` has none."""
        if isinstance(type_, GraphQLNonNull):
            value = self._inner(type_.of_type, nodes, raw, path, patches)
            if value is None:
                self.error_paths.add(tuple(path))  # the field's error, or null's
                return _PROPAGATE
            return value
        value = self._inner(type_, nodes, raw, path, patches)
        return None if value is _PROPAGATE else value

    def _inner(
        self,
        type_: GraphQLOutputType,
        nodes: list[FieldNode],
        raw: Any,
        path: list[str | int],
        patches: list[_Patch],
    ) -> Any:
        if raw is None:
            return None
        if isinstance(type_, GraphQLList):
            items = [
                self.value(type_.of_type, nodes, item, [*path, index], patches)
                for index, item in enumerate(raw)
            ]
            return _PROPAGATE if any(i is _PROPAGATE for i in items) else items
        if is_leaf_type(type_):
            return raw
        runtime = self.schema.get_type(raw[TYPENAME])
        assert isinstance(runtime, GraphQLObjectType)
        return self.fields(
            runtime,
            raw,
            [n.selection_set for n in nodes if n.selection_set is not None],
            path,
            patches,
        )


def streamed_truth(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any],
    raw: Mapping[str, Any],
) -> dict[str, Any]:
    """What a multipart client holds (``{"data", "errors"}``, errors with their paths
    only) after the deferred operation ``document``, given the monolith's raw answer
    ``raw`` to ``with_typenames(document)`` on ``nullable_schema(schema)``."""
    operation = next(
        d for d in document.definitions if isinstance(d, OperationDefinitionNode)
    )
    raw_errors = {tuple(e["path"]) for e in raw.get("errors") or () if e.get("path")}
    walker = _Walker(schema, document, operation, variables, raw_errors)
    root_type = (
        schema.mutation_type
        if operation.operation == OperationType.MUTATION
        else schema.query_type
    )
    assert isinstance(root_type, GraphQLObjectType)
    found: list[_Patch] = []
    data = None
    if raw.get("data") is not None:
        data = walker.fields(
            root_type, raw["data"], [operation.selection_set], [], found
        )
        if data is _PROPAGATE:
            data, found = None, []
    payloads: list[dict[str, Any]] = [{"data": copy.deepcopy(data)}]
    # (patch, the data of the payload it was found in, that payload's path)
    pending: list[tuple[_Patch, Any, list[str | int]]] = [
        (patch, data, []) for patch in found
    ]
    # Breadth first: a patch's payload comes after the one it was found in.
    while pending:
        later: list[tuple[_Patch, Any, list[str | int]]] = []
        for patch, base, base_path in pending:
            if _at(base, patch.path[len(base_path) :]) is None:
                continue  # its object was nulled: never sent
            found = []
            value = walker.fields(
                patch.type_, patch.raw, patch.selection_sets, patch.path, found
            )
            if value is _PROPAGATE:
                value, found = None, []
            payloads.append(
                {"incremental": [{"data": copy.deepcopy(value), "path": patch.path}]}
            )
            later.extend((child, value, patch.path) for child in found)
        pending = later
    merged = merge_parts(payloads)
    return {
        "data": merged["data"],
        "errors": [{"path": list(p)} for p in sorted(walker.error_paths, key=str)],
    }


def _at(value: Any, path: list[str | int]) -> Any:
    for step in path:
        if isinstance(value, dict) and isinstance(step, str):
            value = value.get(step)
        elif isinstance(value, list) and isinstance(step, int) and step < len(value):
            value = value[step]
        else:
            return None
    return value
