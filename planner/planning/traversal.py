"""Walks the normalised operation and collects, for every leaf, its options.

Each leaf (a field without sub-selections) becomes a *branch*: the options that reach it
from the root, each a set of simultaneous paths. A plan is one option per branch; the
search (``planner.planning.search``) picks the combination. Root-level fragments carry
only conditions (validation guarantees their type is the root type), so their directives
are pushed down onto their fields first.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import DirectiveNode, FieldNode, InlineFragmentNode, SelectionSetNode

from planner.planning.errors import QueryPlanningError
from planner.planning.operation import OpField, OpFragment, OpSelection
from planner.planning.paths import NEVER, GraphPath, Option, PathAdvancer, Vertex

__all__ = [
    "Branch",
    "collect_branches",
    "collect_branches_from",
    "distribute_root_fragments",
    "field_set_selections",
]

PATHS_LIMIT = 12

_TYPENAME = OpField(
    name="__typename",
    alias=None,
    arguments=(),
    directives=(),
    selections=None,
    merge_key="__typename",
)


@dataclass(frozen=True, slots=True)
class Branch:
    options: tuple[Option, ...]


def distribute_root_fragments(
    selections: tuple[OpSelection, ...], inherited: tuple[DirectiveNode, ...] = ()
) -> tuple[OpField, ...]:
    """Root selections as fields only: ``... @include(if: $x) { a }`` becomes
    ``a @include(if: $x)``."""
    fields: list[OpField] = []
    for selection in selections:
        if isinstance(selection, OpField):
            if inherited:
                directives = (*selection.directives, *inherited)
                selection = OpField(
                    name=selection.name,
                    alias=selection.alias,
                    arguments=selection.arguments,
                    directives=directives,
                    selections=selection.selections,
                    merge_key=selection.merge_key + "|" + str(id(inherited)),
                )
            fields.append(selection)
        else:
            fields.extend(
                distribute_root_fragments(
                    selection.selections, (*inherited, *selection.directives)
                )
            )
    return tuple(fields)


def collect_branches(
    advancer: PathAdvancer, root_type: str, selections: tuple[OpSelection, ...]
) -> list[Branch]:
    """The branches of ``selections`` planned from the root (raises if one has no
    option)."""
    root: Option = (GraphPath((), Vertex(root_type, None), 0),)
    branches: list[Branch] = []
    _walk(advancer, selections, [root], branches)
    return branches


def collect_branches_from(
    advancer: PathAdvancer, start: Vertex, selections: tuple[OpSelection, ...]
) -> list[Branch]:
    """Like ``collect_branches``, but from an entity already reached (for conditions)."""
    branches: list[Branch] = []
    _walk(advancer, selections, [(GraphPath((), start, 0),)], branches)
    return branches


def field_set_selections(node: SelectionSetNode) -> tuple[OpSelection, ...]:
    """A parsed field set (``@requires``) as operation selections."""
    result: list[OpSelection] = []
    for selection in node.selections:
        if isinstance(selection, FieldNode):
            name = selection.name.value
            alias = selection.alias.value if selection.alias else None
            result.append(
                OpField(
                    name=name,
                    alias=alias,
                    arguments=tuple(selection.arguments or ()),
                    directives=(),
                    selections=field_set_selections(selection.selection_set)
                    if selection.selection_set
                    else None,
                    merge_key=alias or name,
                )
            )
        elif isinstance(selection, InlineFragmentNode) and selection.type_condition:
            condition = selection.type_condition.name.value
            result.append(
                OpFragment(
                    type_condition=condition,
                    directives=(),
                    selections=field_set_selections(selection.selection_set),
                    merge_key="..." + condition,
                )
            )
    return tuple(result)


def _walk(
    advancer: PathAdvancer,
    selections: tuple[OpSelection, ...],
    parents: list[Option],
    branches: list[Branch],
) -> None:
    for selection in selections:
        options: list[Option] = []
        applies = False
        for parent in parents:
            advanced = advancer.advance_option(parent, selection)
            if advanced is NEVER:
                continue
            applies = True
            assert isinstance(advanced, list)
            options.extend(advanced)
        if not applies:
            continue
        if not options:
            raise QueryPlanningError(
                "QUERY_PLANNING_FAILED",
                f"No subgraph can resolve {_describe(selection)} from where the "
                "query reaches it.",
            )
        options = _prune(options)
        children = selection.selections
        if children is None:
            branches.append(Branch(tuple(options)))
            continue
        before = len(branches)
        _walk(advancer, children, options, branches)
        if len(branches) == before and isinstance(selection, OpField):
            _walk(advancer, (_TYPENAME,), options, branches)


def _prune(options: list[Option]) -> list[Option]:
    seen = set()
    unique = []
    for option in options:
        key = tuple(path.steps for path in option)
        if key not in seen:
            seen.add(key)
            unique.append(option)
    unique.sort(key=lambda option: sum(path.cost for path in option))
    return unique[:PATHS_LIMIT]


def _describe(selection: OpSelection) -> str:
    if isinstance(selection, OpFragment):
        return f'"... on {selection.type_condition}"'
    return f'field "{selection.name}"'
