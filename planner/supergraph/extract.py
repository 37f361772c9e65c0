"""Extract each subgraph's view of a supergraph, as a Federation 2 subgraph SDL.

Follows QUERY_PLANNING.md §1.2: a type is in subgraph X iff ``@join__type(graph: X)``; a
field without ``@join__field`` is in every subgraph of its type (``@shareable`` on an object
type in 2+ of them); ``@join__field`` arguments become ``@external``, ``@requires``,
``@provides``, ``@override``; fields a key, ``@requires`` or ``@provides`` selects but the
subgraph lacks are added as ``@external``. Types left without fields (or members) are
dropped, as Apollo drops them.

PORT_NOTE: Apollo's extraction keeps only what planning needs. We also copy descriptions,
``@deprecated``, ``@specifiedBy``, ``@inaccessible`` and ``@tag`` (``@inaccessible`` on
directive arguments too), so the extracted subgraphs re-compose into a supergraph with the
same API schema; the tests check that with Apollo's composer.
"""

from __future__ import annotations

from graphql import (
    ConstDirectiveNode,
    DirectiveDefinitionNode,
    FieldDefinitionNode,
    InputValueDefinitionNode,
    NamedTypeNode,
    NameNode,
    OperationType,
    OperationTypeDefinitionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    parse_type,
    print_ast,
)
from graphql.language import Node

from planner.supergraph.ast_edit import directive_node, named_type, replace_node
from planner.supergraph.fieldsets import walk_field_set
from planner.supergraph.links import INACCESSIBLE_IDENTITY, TAG_IDENTITY
from planner.supergraph.model import (
    JoinField,
    Supergraph,
    TypeJoin,
    TypeKind,
)
from planner.supergraph.read_join import TypeNode, type_nodes_by_name
from planner.supergraph.shareable import Shareability
from planner.supergraph.type_draft import EXECUTABLE_LOCATIONS, TypeDraft, field_nodes

__all__ = ["extract_subgraphs"]

_FEDERATION_URL = "https://specs.apollo.dev/federation/v{}.{}"
_BUILT_IN_KEPT = frozenset({"deprecated", "specifiedBy"})


def extract_subgraphs(supergraph: Supergraph) -> dict[str, str]:
    """Each subgraph's SDL, by subgraph name, in ``join__Graph`` order."""
    nodes = type_nodes_by_name(supergraph.document, supergraph.links)
    sharing = Shareability(supergraph, nodes)
    return {
        name: _SubgraphBuilder(supergraph, name, nodes, sharing).sdl()
        for name in supergraph.subgraph_names
    }


class _SubgraphBuilder:
    """Builds one subgraph's document, recording the federation directives it uses."""

    def __init__(
        self,
        supergraph: Supergraph,
        graph: str,
        nodes: dict[str, list[TypeNode]],
        sharing: Shareability,
    ) -> None:
        self.supergraph = supergraph
        self.graph = graph
        self.nodes = nodes
        self.sharing = sharing
        inaccessible = supergraph.link(INACCESSIBLE_IDENTITY)
        tag = supergraph.link(TAG_IDENTITY)
        self.renames = {
            **(
                {inaccessible.directive_name("inaccessible"): "inaccessible"}
                if inaccessible
                else {}
            ),
            **({tag.directive_name("tag"): "tag"} if tag else {}),
        }
        self.imports: set[str] = set()
        self.version = (2, 0)
        self.drafts: dict[str, TypeDraft] = {}

    def sdl(self) -> str:
        types = self.supergraph.types
        for name, type_join in types.items():
            if self.graph in type_join.graphs:
                self.drafts[name] = self._draft(type_join)
        for name, draft in self.drafts.items():
            self._fill(types[name], draft)
        for name in self.drafts:
            self._complete_field_sets(types[name])
        directives = self._executable_directives()
        # The link comes last: it imports what the definitions above used.
        definitions: list[Node] = [self._federation_link()]
        roots = self._root_definition()
        if roots is not None:
            definitions.append(roots)
        definitions.extend(directives)
        definitions.extend(
            node for draft in self.drafts.values() if (node := draft.build())
        )
        # One print per definition: printing the whole document at once is quadratic in
        # graphql-core 3.3's printer (it re-joins buffers).
        return "\n\n".join(print_ast(definition) for definition in definitions) + "\n"

    def directive(
        self, name: str, version: tuple[int, int] = (2, 0), /, **args: object
    ) -> ConstDirectiveNode:
        """A federation directive application, recorded for the ``@link`` import list."""
        self.imports.add(name)
        self.version = max(self.version, version)
        return directive_node(name, **args)

    def kept(
        self, directives: tuple[ConstDirectiveNode, ...] | None
    ) -> tuple[ConstDirectiveNode, ...]:
        """The applications a subgraph keeps: @deprecated, @specifiedBy, @inaccessible, @tag."""
        kept = []
        for directive in directives or ():
            name = directive.name.value
            if name in _BUILT_IN_KEPT:
                kept.append(directive)
            elif name in self.renames:
                kept.append(
                    replace_node(directive, name=NameNode(value=self.renames[name]))
                )
                self.imports.add(self.renames[name])
        return tuple(kept)

    def _draft(self, type_join: TypeJoin) -> TypeDraft:
        nodes = self.nodes[type_join.name]
        interface_object = type_join.is_interface_object(self.graph)
        directives: list[ConstDirectiveNode] = []
        seen_keys: set[tuple[str, bool]] = set()
        for join in type_join.keys(self.graph):
            assert join.key is not None
            if (join.key, join.resolvable) in seen_keys:
                continue
            seen_keys.add((join.key, join.resolvable))
            version = (2, 3) if type_join.kind is TypeKind.INTERFACE else (2, 0)
            resolvable = {} if join.resolvable else {"resolvable": False}
            directives.append(
                self.directive("key", version, fields=join.key, **resolvable)
            )
        if interface_object:
            directives.append(self.directive("interfaceObject", (2, 3)))
        for context in type_join.contexts:
            if context.graph == self.graph:
                directives.append(self.directive("context", (2, 8), name=context.name))
        directives.extend(
            self.kept(tuple(d for node in nodes for d in node.directives or ()))
        )
        return TypeDraft(
            name=type_join.name,
            kind=TypeKind.OBJECT if interface_object else type_join.kind,
            nodes=nodes,
            directives=directives,
            interfaces=[]
            if interface_object
            else list(type_join.interfaces_in(self.graph)),
            members=list(type_join.members_in(self.graph)),
        )

    def _fill(self, type_join: TypeJoin, draft: TypeDraft) -> None:
        if type_join.kind is TypeKind.ENUM:
            for value in draft.enum_value_nodes():
                if self.graph in type_join.enum_values[value.name.value].graphs:
                    draft.values.append(
                        replace_node(value, directives=self.kept(value.directives))
                    )
            return
        for node in field_nodes(draft.nodes):
            field_join = type_join.fields[node.name.value]
            join = field_join.in_graph(self.graph)
            if join is None:
                continue
            if isinstance(node, InputValueDefinitionNode):
                draft.fields[node.name.value] = replace_node(
                    node,
                    type=parse_type(join.type) if join.type else node.type,
                    directives=self.kept(node.directives),
                )
            else:
                shareable = self.sharing.is_shareable(type_join, field_join)
                draft.fields[node.name.value] = self._field(node, join, shareable)

    def _field(
        self, node: FieldDefinitionNode, join: JoinField, shareable: bool
    ) -> FieldDefinitionNode:
        directives = list(self.kept(node.directives))
        if join.external:
            directives.append(self.directive("external"))
        elif join.used_overridden and not join.override_label:
            # The overridden copy only serves keys; the reason tells planners (Apollo's
            # included) not to resolve the field here.
            directives.append(self.directive("external", reason="[overridden]"))
        if join.requires:
            directives.append(self.directive("requires", fields=join.requires))
        if join.provides:
            directives.append(self.directive("provides", fields=join.provides))
        if join.override:
            if join.override_label:
                override = self.directive(
                    "override",
                    (2, 7),
                    **{"from": join.override, "label": join.override_label},
                )
            else:
                override = self.directive("override", **{"from": join.override})
            directives.append(override)
        if shareable and not join.external and not join.used_overridden:
            directives.append(self.directive("shareable"))
        arguments = [
            replace_node(argument, directives=self.kept(argument.directives))
            for argument in node.arguments or ()
        ]
        for context_argument in join.context_arguments:
            context = context_argument.context.rpartition("__")[2]
            selection = f"${context} {context_argument.selection.strip()}"
            arguments.append(
                InputValueDefinitionNode(
                    name=NameNode(value=context_argument.name),
                    type=parse_type(context_argument.type),
                    directives=(
                        self.directive("fromContext", (2, 8), field=selection),
                    ),
                )
            )
        return replace_node(
            node,
            type=parse_type(join.type) if join.type else node.type,
            arguments=tuple(arguments),
            directives=tuple(directives),
        )

    def _complete_field_sets(self, type_join: TypeJoin) -> None:
        """Add, as @external, fields that keys, @requires and @provides select but we lack."""
        for type_key in type_join.keys(self.graph):
            assert type_key.key is not None
            walk_field_set(type_key.key, type_join.name, self._ensure_field)
        draft = self.drafts[type_join.name]
        for name, field_join in type_join.fields.items():
            join = field_join.in_graph(self.graph)
            field = draft.fields.get(name)
            if join is None or not isinstance(field, FieldDefinitionNode):
                continue
            if join.requires:
                walk_field_set(join.requires, type_join.name, self._ensure_field)
            if join.provides:
                walk_field_set(
                    join.provides, named_type(field.type), self._ensure_field
                )

    def _ensure_field(self, parent: str, name: str) -> str | None:
        source = next(
            (
                node
                for node in field_nodes(self.nodes.get(parent, []))
                if node.name.value == name
            ),
            None,
        )
        if not isinstance(source, FieldDefinitionNode):
            return None
        draft = self.drafts.get(parent)
        if draft is not None and draft.lacks_field(name):
            draft.fields[name] = replace_node(
                source,
                arguments=tuple(
                    replace_node(argument, directives=self.kept(argument.directives))
                    for argument in source.arguments or ()
                ),
                directives=(*self.kept(source.directives), self.directive("external")),
            )
        return named_type(source.type)

    def _federation_link(self) -> SchemaExtensionNode:
        url = _FEDERATION_URL.format(*self.version)
        imports = [f"@{name}" for name in sorted(self.imports)]
        link = directive_node(
            "link", url=url, **({"import": imports} if imports else {})
        )
        return SchemaExtensionNode(directives=(link,), operation_types=())

    def _root_definition(self) -> SchemaDefinitionNode | None:
        """A ``schema { }`` block, needed only when a root type has a non-default name."""
        schema = self.supergraph.schema
        roots = {
            OperationType.QUERY: schema.query_type,
            OperationType.MUTATION: schema.mutation_type,
            OperationType.SUBSCRIPTION: schema.subscription_type,
        }
        present = {
            operation: root.name
            for operation, root in roots.items()
            if root is not None
            and root.name in self.drafts
            and self.drafts[root.name].fields
        }
        if all(
            name == operation.value.capitalize() for operation, name in present.items()
        ):
            return None
        return SchemaDefinitionNode(
            directives=(),
            operation_types=tuple(
                OperationTypeDefinitionNode(
                    operation=operation, type=NamedTypeNode(name=NameNode(value=name))
                )
                for operation, name in present.items()
            ),
        )

    def _executable_directives(self) -> list[DirectiveDefinitionNode]:
        """Custom executable directive definitions, cut down to their executable locations."""
        kept = []
        for definition in self.supergraph.document.definitions:
            if not isinstance(definition, DirectiveDefinitionNode):
                continue
            name = definition.name.value
            if name in ("defer", "stream") or any(
                link.owns_directive(name) for link in self.supergraph.links
            ):
                continue
            locations = tuple(
                location
                for location in definition.locations
                if location.value in EXECUTABLE_LOCATIONS
            )
            if locations:
                arguments = tuple(
                    replace_node(argument, directives=self.kept(argument.directives))
                    for argument in definition.arguments or ()
                )
                kept.append(
                    replace_node(definition, locations=locations, arguments=arguments)
                )
        return kept
