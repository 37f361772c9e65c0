"""Which fields an extracted subgraph marks ``@shareable``.

Composition refuses a field that two subgraphs resolve unless both say ``@shareable``, and
the supergraph does not record the directive, so extraction infers it: a field without
``@join__field`` on an object type in several subgraphs, or a field that several subgraphs
resolve (not external, not overridden).

PORT_NOTE: Apollo counts only non-external copies; composition also counts an external copy
that a ``@provides`` of its subgraph serves, so we count those too, or the extracted
subgraphs would not compose again.
"""

from __future__ import annotations

from planner.supergraph.ast_edit import named_type
from planner.supergraph.fieldsets import walk_field_set
from planner.supergraph.model import FieldJoin, Supergraph, TypeJoin, TypeKind
from planner.supergraph.read_join import TypeNode
from planner.supergraph.type_draft import field_nodes

__all__ = ["Shareability"]


class Shareability:
    """Answers "is this field @shareable?" for every subgraph of one supergraph."""

    def __init__(
        self, supergraph: Supergraph, nodes: dict[str, list[TypeNode]]
    ) -> None:
        self.nodes = nodes
        # (graph, type, field) for every field some @provides in that graph selects.
        self.provided: set[tuple[str, str, str]] = set()
        for type_join in supergraph.types.values():
            for field_join in type_join.fields.values():
                target = self._field_type(type_join.name, field_join.name)
                for join in field_join.joins:
                    if join.provides and join.graph and target:
                        self._collect(join.graph, join.provides, target)

    def is_shareable(self, type_join: TypeJoin, field_join: FieldJoin) -> bool:
        """Whether 2+ subgraphs resolve this field of this type."""
        if type_join.kind is not TypeKind.OBJECT:
            return False
        if field_join.implicit:
            return len(type_join.graphs) > 1
        resolving = [
            join
            for join in field_join.joins
            if not join.used_overridden
            and (
                not join.external
                or (join.graph, type_join.name, field_join.name) in self.provided
            )
        ]
        return len(resolving) > 1

    def _collect(self, graph: str, field_set: str, parent: str) -> None:
        def visit(parent: str, name: str) -> str | None:
            self.provided.add((graph, parent, name))
            return self._field_type(parent, name)

        walk_field_set(field_set, parent, visit)

    def _field_type(self, parent: str, name: str) -> str | None:
        for node in field_nodes(self.nodes.get(parent, [])):
            if node.name.value == name:
                return named_type(node.type)
        return None
