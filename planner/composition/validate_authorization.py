"""Apollo's rules for authorization requirements (`@authenticated`, `@requiresScopes`,
`@policy`), added in federation 2.9.4 and checked against `@apollo/composition` 2.14.4.

- A subgraph may not put a requirement on an interface, an interface field or an
  `@interfaceObject` type (`AUTH_REQUIREMENTS_APPLIED_ON_INTERFACE`): composition copies
  the implementations' requirements onto interfaces instead (`merge_authorization`).
- A field with `@requires` must carry every requirement of the data its field set
  reads, fields and their types alike (`MISSING_TRANSITIVE_AUTH_REQUIREMENTS`);
  otherwise a client could read protected data through it.

https://www.apollographql.com/docs/graphos/reference/federation/errors
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from graphql import FieldNode, InlineFragmentNode, SelectionSetNode

from planner.composition.authorization import Scopes, dnf_conjunction
from planner.composition.errors import error_at
from planner.composition.field_sets import FieldSetError, parse_field_set
from planner.composition.merge_authorization import AUTH_DIRECTIVES
from planner.composition.result import CompositionError
from planner.composition.subgraph_model import Applied, Subgraph
from planner.composition.supergraph_model import MergedType, SupergraphModel
from planner.composition.type_refs import named_type

__all__ = ["check_requirements_on_interfaces", "check_transitive_requirements"]


def _applies(applied: Applied, directive: str) -> bool:
    if directive == "authenticated":
        return applied.authenticated
    if directive == "requiresScopes":
        return bool(applied.scopes)
    return bool(applied.policies)


def check_requirements_on_interfaces(subgraph: Subgraph) -> list[CompositionError]:
    """`AUTH_REQUIREMENTS_APPLIED_ON_INTERFACE` for each application, by directive."""
    errors: list[CompositionError] = []
    for directive in AUTH_DIRECTIVES:
        name = subgraph.directive(directive)
        for t in subgraph.types.values():
            targets: list[tuple[str, str, object]] = []
            if t.kind == "INTERFACE" or t.interface_object:
                kind = "interface" if t.kind == "INTERFACE" else "interface object"
                if _applies(t.applied, directive):
                    targets.append((kind, t.name, t.node))
            if t.kind == "INTERFACE":
                targets.extend(
                    ("field", f"{t.name}.{f.name}", f.node)
                    for f in t.fields.values()
                    if _applies(f.applied, directive)
                )
            for kind, coordinate, node in targets:
                errors.append(
                    error_at(
                        "AUTH_REQUIREMENTS_APPLIED_ON_INTERFACE",
                        subgraph.name,
                        f'Invalid use of {name} on {kind} "{coordinate}": {name} cannot '
                        "be applied on interfaces, interface fields and interface "
                        "objects",
                        node,  # type: ignore[arg-type]
                        coordinate,
                    )
                )
    return errors


@dataclass(frozen=True, slots=True)
class _Requirements:
    """What reading an element needs; `None` formulas mean "no such requirement"."""

    authenticated: bool = False
    scopes: Scopes | None = None
    policies: Scopes | None = None

    def satisfies(self, other: _Requirements | None) -> bool:
        """Whether holding these requirements implies holding `other`'s."""
        if other is None:
            return True
        return (
            (self.authenticated or not other.authenticated)
            and _implies(self.scopes, other.scopes)
            and _implies(self.policies, other.policies)
        )


def _implies(first: Scopes | None, second: Scopes | None) -> bool:
    """Every alternative of `first` contains some alternative of `second` (both DNF)."""
    lhs = first or [[]]
    rhs = second or [[]]
    return all(any(set(inner) <= set(left) for inner in rhs) for left in lhs)


def _formula(applications: list[Scopes]) -> Scopes | None:
    if not applications:
        return None
    return applications[0] if len(applications) == 1 else dnf_conjunction(applications)


def _on(applied: Applied) -> _Requirements | None:
    """The requirements an element carries in the supergraph, as Apollo reads them."""
    if not (applied.authenticated or applied.scopes or applied.policies):
        return None
    return _Requirements(
        applied.authenticated, _formula(applied.scopes), _formula(applied.policies)
    )


def _of_field(
    type_requirements: _Requirements | None, field_requirements: _Requirements | None
) -> _Requirements:
    """What a field with `@requires` demands: its type's and its own, ANDed."""
    parts = [r for r in (type_requirements, field_requirements) if r is not None]
    scopes = [r.scopes for r in parts if r.scopes is not None]
    policies = [r.policies for r in parts if r.policies is not None]
    return _Requirements(
        any(r.authenticated for r in parts),
        dnf_conjunction(scopes) if scopes else None,
        dnf_conjunction(policies) if policies else None,
    )


class _Missing(Exception):
    pass


def check_transitive_requirements(
    model: SupergraphModel, subgraphs: Sequence[Subgraph]
) -> list[CompositionError]:
    """`MISSING_TRANSITIVE_AUTH_REQUIREMENTS`: the first protected element each
    `@requires` reads without carrying its requirements."""
    if not model.auth_features:
        return []
    errors: list[CompositionError] = []
    seen: set[str] = set()
    graph_names = {graph: name for graph, name, _ in model.graphs}
    for sg in sorted(subgraphs, key=lambda s: s.name):
        for t in sg.types.values():
            for f in t.fields.values():
                coordinate = f"{t.name}.{f.name}"
                if f.requires is None or coordinate in seen:
                    continue
                seen.add(coordinate)
                merged = model.types.get(t.name)
                field = merged.fields.get(f.name) if merged else None
                if merged is None or field is None:
                    continue
                demanded = _of_field(_on(merged.applied), _on(field.applied))
                for join in field.join_fields:
                    if join.requires is None:
                        continue
                    subgraph = graph_names.get(join.graph or "", sg.name)
                    try:
                        selection = parse_field_set(join.requires)
                    except FieldSetError:
                        continue
                    message = _check(model, demanded, coordinate, merged, selection)
                    if message is not None:
                        errors.append(
                            error_at(
                                "MISSING_TRANSITIVE_AUTH_REQUIREMENTS",
                                subgraph,
                                message,
                                f.node,
                                coordinate,
                            )
                        )
    return errors


def _check(
    model: SupergraphModel,
    demanded: _Requirements,
    coordinate: str,
    parent: MergedType,
    selection_set: SelectionSetNode,
) -> str | None:
    """The message for the first selection `demanded` does not cover, if any."""
    lead = (
        f'Field "{coordinate}" does not specify necessary @authenticated, '
        "@requiresScopes and/or @policy auth requirements to access the transitive"
    )
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            name = selection.name.value
            field = parent.fields.get(name)
            if field is None:
                continue  # __typename, or a field set that validation rejected
            returned = model.types.get(named_type(field.type))
            if not demanded.satisfies(_on(field.applied)) or (
                returned is not None and not demanded.satisfies(_on(returned.applied))
            ):
                return (
                    f'{lead} field "{parent.name}.{name}" data from @requires '
                    "selection set."
                )
            if selection.selection_set is not None and returned is not None:
                found = _check(
                    model, demanded, coordinate, returned, selection.selection_set
                )
                if found is not None:
                    return found
        elif isinstance(selection, InlineFragmentNode):
            target = parent
            if selection.type_condition is not None:
                condition = selection.type_condition.name.value
                target = model.types.get(condition, parent)
                if not demanded.satisfies(_on(target.applied)):
                    return (
                        f'{lead} data in inline fragment type condition "{condition}" '
                        "from @requires selection set."
                    )
            found = _check(model, demanded, coordinate, target, selection.selection_set)
            if found is not None:
                return found
    return None
