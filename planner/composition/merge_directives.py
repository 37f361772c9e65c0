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

from planner.composition.hints import present_in_some, subgraph_list
from planner.composition.merge_metadata import merge_applied, pick_description
from planner.composition.subgraph_model import DirectiveDef, InputValueDef, Subgraph
from planner.composition.supergraph_model import MergedDirective, MergedInputValue

__all__ = [
    "ArgumentMerger",
    "composed_directives",
    "executable_directive_hints",
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
    names = _executable_names(subgraphs)
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


def _executable_names(subgraphs: Sequence[Subgraph]) -> list[str]:
    """Every directive some subgraph defines with an executable location, in order of
    first definition, but for `@composeDirective`'d ones."""
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
    return names


def executable_directive_hints(
    subgraphs: Sequence[Subgraph],
) -> list[tuple[str, str, str]]:
    """(code, message, coordinate) of the hints Apollo's
    `mergeExecutableDirectiveDefinition` gives: an executable directive missing in some
    subgraphs, without a common location, or whose repeatability or locations differ."""
    names = _executable_names(subgraphs)
    hints = []
    for name in names:
        label = f'Executable directive "@{name}"'
        defs = [(sg, sg.directives[name]) for sg in subgraphs if name in sg.directives]
        if len(defs) < len(subgraphs):
            hints.append(
                (
                    "INCONSISTENT_EXECUTABLE_DIRECTIVE_PRESENCE",
                    present_in_some(
                        f"{label} will not be part of the supergraph as it does not appear in all subgraphs: ",
                        "it is defined in",
                        [sg.name for sg, _ in defs],
                        [sg.name for sg in subgraphs if name not in sg.directives],
                    ),
                    f"@{name}",
                )
            )
            continue
        locations = {
            sg.name: _locations(
                sorted(loc for loc in d.locations if loc in _EXECUTABLE_LOCATIONS)
            )
            for sg, d in defs
        }
        common = sorted(
            loc
            for loc in _EXECUTABLE_LOCATIONS
            if all(loc in d.locations for _, d in defs)
        )
        if not common:
            hints.append(
                (
                    "NO_EXECUTABLE_DIRECTIVE_INTERSECTION",
                    f"{label} has no location that is common to all subgraphs: it will "
                    "not appear in the supergraph as there no intersection between "
                    + _grouped(locations, "")
                    + ".",
                    f"@{name}",
                )
            )
            continue
        repeatable = [sg.name for sg, d in defs if d.repeatable]
        if repeatable and len(repeatable) < len(defs):
            hints.append(
                (
                    "INCONSISTENT_EXECUTABLE_DIRECTIVE_REPEATABLE",
                    f"{label} will not be marked repeatable in the supergraph as it is "
                    "inconsistently marked repeatable in subgraphs: it is not repeatable "
                    f"in {subgraph_list([sg.name for sg, d in defs if not d.repeatable])}"
                    f" but is repeatable in {subgraph_list(repeatable)}.",
                    f"@{name}",
                )
            )
        if len(set(locations.values())) > 1:
            merged = _locations(common)
            same = [sg for sg, locs in locations.items() if locs == merged]
            hints.append(
                (
                    "INCONSISTENT_EXECUTABLE_DIRECTIVE_LOCATIONS",
                    f"{label} has inconsistent locations across subgraphs and will use "
                    f"{merged} (intersection of all subgraphs) in the supergraph, but has: "
                    + (f"{merged} in {subgraph_list(same)} and " if same else "")
                    + _grouped(locations, merged)
                    + ".",
                    f"@{name}",
                )
            )
    return hints


def _locations(locations: Sequence[str]) -> str:
    """Apollo's `locationString`: `location "FIELD"`, `locations "FIELD, QUERY"`."""
    word = "location" if len(locations) == 1 else "locations"
    return f'{word} "{", ".join(locations)}"'


def _grouped(by_subgraph: dict[str, str], skipped: str) -> str:
    """`<value> in <subgraphs>` for each value but `skipped`, joined with " and "."""
    groups: dict[str, list[str]] = {}
    for sg, value in by_subgraph.items():
        groups.setdefault(value, []).append(sg)
    return " and ".join(
        f"{value} in {subgraph_list(names)}"
        for value, names in groups.items()
        if value != skipped
    )


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
