"""Merging the directive definitions a supergraph keeps besides the join and link ones.

An executable directive (one usable in operations: `on FIELD | INLINE_FRAGMENT ...`)
may reach any subgraph inside a query, so Apollo keeps it only when every subgraph
defines it, with the executable locations all of them accept (sorted by name; the
type-system locations are dropped), repeatable only when repeatable everywhere, and
with its arguments merged as a field's are: an optional argument missing somewhere is
dropped, a required one is an error, types narrow to the most specific and default
values must agree (Apollo's `mergeExecutableDirectiveDefinition`;
https://www.apollographql.com/docs/graphos/schema-design/federated-schemas/composition#merging-directives).
A `@composeDirective`'d directive keeps its definition as written instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from planner.composition.merge_metadata import merge_applied, pick_description
from planner.composition.subgraph_model import DirectiveDef, InputValueDef, Subgraph
from planner.composition.supergraph_model import MergedDirective, MergedInputValue

__all__ = [
    "ArgumentMerger",
    "composed_directives",
    "executable_directives",
    "merge_executable_directives",
]

_EXECUTABLE_LOCATIONS = frozenset(
    {
        "QUERY",
        "MUTATION",
        "SUBSCRIPTION",
        "FIELD",
        "FRAGMENT_DEFINITION",
        "FRAGMENT_SPREAD",
        "INLINE_FRAGMENT",
        "VARIABLE_DEFINITION",
    }
)

# Merges the arguments of one element declared in several subgraphs: the merged
# arguments, or None once an error was recorded.
ArgumentMerger = Callable[
    [str, Sequence[tuple[Subgraph, dict[str, InputValueDef]]]],
    dict[str, MergedInputValue] | None,
]


def executable_directives(
    subgraphs: Sequence[Subgraph],
) -> dict[str, tuple[list[tuple[Subgraph, DirectiveDef]], list[str]]]:
    """The executable directives the supergraph keeps: name -> (its definition in each
    subgraph, the executable locations common to all of them, sorted).

    `@composeDirective`'d names are left out (``composed_directives`` keeps them)."""
    composed = {name for sg in subgraphs for name in sg.composed}
    names: list[str] = []
    for sg in subgraphs:
        names.extend(
            name
            for name, definition in sg.directives.items()
            if name not in names
            and name not in composed
            and _EXECUTABLE_LOCATIONS.intersection(definition.locations)
        )
    kept: dict[str, tuple[list[tuple[Subgraph, DirectiveDef]], list[str]]] = {}
    for name in names:
        defs = [(sg, sg.directives[name]) for sg in subgraphs if name in sg.directives]
        if len(defs) < len(subgraphs):
            continue
        locations = sorted(
            loc
            for loc in _EXECUTABLE_LOCATIONS
            if all(loc in d.locations for _, d in defs)
        )
        if locations:
            kept[name] = (defs, locations)
    return kept


def merge_executable_directives(
    subgraphs: Sequence[Subgraph], merge_arguments: ArgumentMerger
) -> dict[str, MergedDirective]:
    """The merged definitions of ``executable_directives``; one whose arguments do not
    merge is left out (``merge_arguments`` recorded why)."""
    merged: dict[str, MergedDirective] = {}
    for name, (defs, locations) in executable_directives(subgraphs).items():
        args = merge_arguments(
            f"@{name}", [(sg, {a.name: a for a in d.args}) for sg, d in defs]
        )
        if args is None:
            continue
        merged[name] = MergedDirective(
            name=name,
            description=pick_description([d.description for _, d in defs]),
            args=args,
            locations=locations,
            repeatable=all(d.repeatable for _, d in defs),
        )
    return merged


def composed_directives(
    subgraphs: Sequence[Subgraph],
) -> tuple[dict[str, MergedDirective], dict[str, list[str]]]:
    """`@composeDirective`'d definitions as the first subgraph composing them writes
    them, and the `@link`s importing them (url -> names)."""
    directives: dict[str, MergedDirective] = {}
    links: dict[str, list[str]] = {}
    for sg in subgraphs:
        for name, url in sg.composed.items():
            definition = sg.directives.get(name)
            if definition is None or name in directives:
                continue
            directives[name] = MergedDirective(
                name=name,
                description=definition.description,
                args={a.name: _as_merged(a) for a in definition.args},
                locations=list(definition.locations),
                repeatable=definition.repeatable,
            )
            links.setdefault(url, []).append(name)
    return directives, links


def _as_merged(value: InputValueDef) -> MergedInputValue:
    return MergedInputValue(
        name=value.name,
        type=value.type,
        default=value.default,
        description=value.description,
        applied=merge_applied([value.applied]),
    )
