"""The schema coordinates an operation uses, as `router check --usage` compares them.

Coordinates follow the spec (https://spec.graphql.org/draft/#sec-Schema-Coordinates),
the same strings `planner.schema_diff` gives its changes: `Type` for every composite
type selected from, every type condition and every variable's named type,
`Type.field` for every field selected, `Type.field(arg:)` for every argument given,
`Enum.VALUE` for every enum literal, `Input.field` for every input-object literal
field. Introspection fields (`__typename`, `__schema`) are left out.
"""

from __future__ import annotations

from graphql import (
    ArgumentNode,
    DocumentNode,
    EnumValueNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLSchema,
    InlineFragmentNode,
    ObjectFieldNode,
    OperationDefinitionNode,
    TypeInfo,
    VariableDefinitionNode,
    Visitor,
    get_named_type,
    visit,
)
from graphql.utilities import type_from_ast
from graphql.utilities.type_info import TypeInfoVisitor

__all__ = ["operation_coordinates"]


class _Collector(Visitor):
    def __init__(
        self, schema: GraphQLSchema, info: TypeInfo, fragments: set[str]
    ) -> None:
        super().__init__()
        self.schema = schema
        self.info = info
        self.fragments = fragments  # fragments this operation spreads (transitively)
        self.found: set[str] = set()
        self.fields: list[str | None] = []  # `Type.field` of the fields entered

    def enter_fragment_definition(
        self, node: FragmentDefinitionNode, *_: object
    ) -> object:
        return None if node.name.value in self.fragments else self.SKIP

    def enter_operation_definition(
        self, node: OperationDefinitionNode, *_: object
    ) -> object:
        return None

    def enter_variable_definition(
        self, node: VariableDefinitionNode, *_: object
    ) -> None:
        found = type_from_ast(self.schema, node.type)
        if found is not None:
            self.found.add(get_named_type(found).name)

    def enter_inline_fragment(self, node: InlineFragmentNode, *_: object) -> None:
        if node.type_condition is not None:
            self.found.add(node.type_condition.name.value)

    def enter_field(self, node: FieldNode, *_: object) -> None:
        parent = self.info.get_parent_type()
        name = node.name.value
        self.fields.append(None if parent is None else f"{parent.name}.{name}")
        if parent is None or name.startswith("__"):
            return
        self.found.add(parent.name)
        self.found.add(f"{parent.name}.{name}")

    def leave_field(self, *_: object) -> None:
        self.fields.pop()

    def enter_argument(self, node: ArgumentNode, *_: object) -> None:
        directive = self.info.get_directive()
        if directive is not None:
            self.found.add(f"@{directive.name}({node.name.value}:)")
        elif self.fields and self.fields[-1] is not None:
            self.found.add(f"{self.fields[-1]}({node.name.value}:)")

    def enter_enum_value(self, node: EnumValueNode, *_: object) -> None:
        input_type = self.info.get_input_type()
        if input_type is not None:
            self.found.add(f"{get_named_type(input_type).name}.{node.value}")

    def enter_object_field(self, node: ObjectFieldNode, *_: object) -> None:
        parent = self.info.get_parent_input_type()
        if parent is not None:
            named = get_named_type(parent)
            self.found.add(named.name)
            self.found.add(f"{named.name}.{node.name.value}")


def _spread_fragments(
    document: DocumentNode, operation: OperationDefinitionNode
) -> set[str]:
    fragments = {
        d.name.value: d
        for d in document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }
    seen: set[str] = set()
    pending: list[object] = [operation]
    while pending:
        node = pending.pop()
        for name in _spreads(node):
            if name not in seen and name in fragments:
                seen.add(name)
                pending.append(fragments[name])
    return seen


def _spreads(node: object) -> set[str]:
    names: set[str] = set()

    class Spreads(Visitor):
        def enter_fragment_spread(self, spread: object, *_: object) -> None:
            names.add(spread.name.value)  # type: ignore[attr-defined]

    visit(node, Spreads())  # type: ignore[arg-type]
    return names


def operation_coordinates(
    schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode
) -> frozenset[str]:
    """The coordinates `operation` (of `document`, valid against `schema`) uses."""
    info = TypeInfo(schema)
    collector = _Collector(schema, info, _spread_fragments(document, operation))
    others = [
        d
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode) and d is not operation
    ]
    pruned = DocumentNode(
        definitions=tuple(d for d in document.definitions if d not in others)
    )
    visit(pruned, TypeInfoVisitor(info, collector))
    return frozenset(collector.found)
