"""Composition hints worded as Apollo words them (`@apollo/composition`'s `hints.ts`
and `MismatchReporter`).

A hint reports something that composes but may not be what the subgraph authors meant:
an element missing in some subgraphs, types or descriptions that differ. The messages
are Apollo's, word for word, so that `router check` reads like `rover` and the
differential test compares them (tests/composition/test_hints_with_apollo.py); the
codes are catalogued in `planner/errors.py` (`COMPOSITION_HINTS`).
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "described_differently",
    "did_you_mean",
    "present_in_some",
    "subgraph_list",
]

# Apollo's `printHumanReadableList` shows names up to this many characters, then "...".
_LIST_CUTOFF = 100


def subgraph_list(names: Sequence[str]) -> str:
    """`subgraph "a"` or `subgraphs "a", "b" and "c"` (Apollo's `printSubgraphNames`)."""
    quoted = [f'"{n}"' for n in names]
    if len(quoted) == 1:
        return f"subgraph {quoted[0]}"
    shown, length = 0, 0
    for name in quoted:
        length += len(name)
        if length <= _LIST_CUTOFF:
            shown += 1
    shown = max(1, shown)
    if shown < len(quoted):
        return "subgraphs " + ", ".join(quoted[:shown]) + ", ..."
    return "subgraphs " + ", ".join(quoted[:-1]) + " and " + quoted[-1]


def present_in_some(
    prefix: str, defined: str, present: Sequence[str], missing: Sequence[str]
) -> str:
    """`<prefix><defined> <subgraphs> but not in <subgraphs>.`, the shape of every
    "defined in some subgraphs but not all" hint."""
    return f"{prefix}{defined} {subgraph_list(present)} but not in {subgraph_list(missing)}."


def described_differently(
    element: str, descriptions: Sequence[tuple[str, str | None]], chosen: str | None
) -> str | None:
    """The INCONSISTENT_DESCRIPTION message for `element` (`Element "Type.field"`), given
    each subgraph's description, or None when they agree.

    As Apollo's `mergeDescription`: subgraphs without a description do not count, and an
    empty description loses to any other."""
    given = [(sg, d) for sg, d in descriptions if d is not None]
    distinct = list(dict.fromkeys(d for _, d in given))
    if len(distinct) < 2 or sum(1 for d in distinct if d) == 1 or chosen is None:
        return None
    groups: dict[str, list[str]] = {}
    for sg, d in given:
        groups.setdefault(d, []).append(sg)
    message = (
        f"{element} has inconsistent descriptions across subgraphs. The supergraph will "
        f"use description (from {subgraph_list(groups[chosen])}):\n{_block(chosen)}"
    )
    for d, names in groups.items():
        if d != chosen:
            message += f"\nIn {subgraph_list(names)}, the description is:\n{_block(d)}"
    return message


def _block(description: str) -> str:
    # Apollo indents with `replace('\n', ...)`: only the first line break is indented.
    return '  """\n  ' + description.replace("\n", "\n  ", 1) + '\n  """'


def did_you_mean(name: str, options: Sequence[str]) -> str:
    """` Did you mean "x"?` for the options close to `name`, "" when none is (graphql-js's
    `suggestionList` and `didYouMean`, as Apollo uses them)."""
    threshold = len(name) * 4 // 10 + 1
    distances = {}
    for option in options:
        distance = 1 if name.lower() == option.lower() else _levenshtein(name, option)
        if distance <= threshold:
            distances[option] = distance
    close = [f'"{o}"' for o in sorted(distances, key=lambda o: (distances[o], o))]
    if not close:
        return ""
    if len(close) == 1:
        return f" Did you mean {close[0]}?"
    if len(close) == 2:
        return f" Did you mean {close[0]} or {close[1]}?"
    selected = close[:5]
    return f" Did you mean {', '.join(selected[:-1])}, or {selected[-1]}?"


def _levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            )
        previous = current
    return previous[-1]


def compatible_types(
    what: str,
    coordinate: str,
    merged: str,
    types: Sequence[tuple[str, str]],
    relation: str,
) -> str | None:
    """The INCONSISTENT_BUT_COMPATIBLE_*_TYPE message given each subgraph's type
    (`relation`: "subtype" for output fields, "supertype" for inputs), or None when all
    subgraphs agree."""
    groups: dict[str, list[str]] = {}
    for sg, ref in types:
        groups.setdefault(ref, []).append(sg)
    if len(groups) < 2:
        return None
    others = " and ".join(
        f'{relation} "{ref}" in {subgraph_list(names)}'
        for ref, names in groups.items()
        if ref != merged
    )
    return (
        f'Type of {what} "{coordinate}" is inconsistent but compatible across subgraphs: '
        f'will use type "{merged}" (from {subgraph_list(groups[merged])}) in supergraph '
        f'but "{coordinate}" has {others}.'
    )


def default_in_some(
    what: str, coordinate: str, defaults: Sequence[tuple[str, str | None]]
) -> str:
    """The INCONSISTENT_DEFAULT_VALUE_PRESENCE message: some subgraphs give `coordinate`
    a default value (all the same), the others none."""
    groups: dict[str | None, list[str]] = {}
    for sg, default in defaults:
        groups.setdefault(default, []).append(sg)
    others = " and ".join(
        f'"{coordinate}" has default value {d} in {subgraph_list(names)}'
        for d, names in groups.items()
        if d is not None
    )
    return (
        f'{what} "{coordinate}" has a default value in only some subgraphs: will not use '
        f"a default in the supergraph (there is no default in "
        f"{subgraph_list(groups[None])}) but {others}."
    )
