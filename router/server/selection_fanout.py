"""A linear guard run before validation against documents that make it quadratic.

graphql-core's OverlappingFieldsCanBeMerged rule (as graphql-js's) compares every pair of
fields that share a response key in a selection set, and every pair of fragment spreads,
each comparison walking the fields' sub-selections. A 4 KB query selecting
`reviews { id }` 300 times in one selection set held the router's event loop for seconds,
and at 1,000 times graphql-core gave up with "Validation aborted.". So, before
validating, a document is refused with a coded validation error when

- one selection set (inline fragments merged into it) selects a response key more than
  `MAX_SAME_RESPONSE_KEY` times, or holds more than `MAX_SPREADS` fragment spreads: no
  real client does either;
- or an estimate of the comparisons the rule would make exceeds `MAX_COMPARISONS`:
  50 copies of `reviews { 50 copies of author { id } }` stay under the first limits and
  still cost millions of comparisons (15 x 15 copies cost about 0.5 s; a comparison
  costs some 10 µs).

The bound: two fields with the same response key cost one comparison, plus, for each
response key `k` of their sub-selections, at most `size_k(a) * size_k(b)` more, where
`size_k` counts the fields of the sub-selections under `k` (fragments expanded); the
fragments merged into one selection set add two comparisons a pair. Every
field and fragment is measured once (memoized), so the guard is linear in the document
plus its fragment expansions, which it stops following past `MAX_MERGED_FIELDS`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    ExecutableDefinitionNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)

__all__ = [
    "MAX_COMPARISONS",
    "MAX_SAME_RESPONSE_KEY",
    "MAX_SPREADS",
    "excessive_fanout",
]

MAX_SAME_RESPONSE_KEY = 100
MAX_SPREADS = 100
MAX_COMPARISONS = 25_000
MAX_MERGED_FIELDS = 10_000


class _Refused(Exception):
    pass


@dataclass(slots=True)
class _Group:
    """The fields of one response key in a merged selection set."""

    count: int = 0
    # Per response key of the fields' sub-selections: sum, and sum of squares, of
    # each field's size under that key.
    sums: dict[str, int] = field(default_factory=dict)
    squares: dict[str, int] = field(default_factory=dict)


class _Measure:
    def __init__(self, document: DocumentNode) -> None:
        self.fragments = {
            d.name.value: d
            for d in document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }
        # id(selection set) -> size of its merged fields per response key.
        self.profiles: dict[int, dict[str, int]] = {}
        self.comparisons = 0

    def check(self, document: DocumentNode) -> None:
        for definition in document.definitions:
            if isinstance(definition, ExecutableDefinitionNode):
                self.profile(definition.selection_set)

    def profile(self, selection_set: SelectionSetNode) -> dict[str, int]:
        """Size per response key of the set's merged fields; counts its comparisons."""
        known = self.profiles.get(id(selection_set))
        if known is not None:
            return known
        self.profiles[id(selection_set)] = {}  # a fragment cycle measures as empty
        groups: dict[str, _Group] = {}
        sizes: dict[str, int] = {}
        reached: set[str] = set()
        for key, node in self.merged(selection_set, reached):
            group = groups.setdefault(key, _Group())
            group.count += 1
            if group.count > MAX_SAME_RESPONSE_KEY:
                raise _Refused(
                    f"The response key '{key[:100]}' is selected more than "
                    f"{MAX_SAME_RESPONSE_KEY} times in one selection set."
                )
            below = self.profile(node.selection_set) if node.selection_set else {}
            sizes[key] = sizes.get(key, 0) + 1 + sum(below.values())
            for sub_key, size in below.items():
                group.sums[sub_key] = group.sums.get(sub_key, 0) + size
                group.squares[sub_key] = group.squares.get(sub_key, 0) + size * size
        # Fragments merged into one set are compared pairwise, with what they spread.
        self.comparisons += len(reached) * (len(reached) - 1)
        for group in groups.values():
            pairs = group.count * (group.count - 1) // 2
            self.comparisons += pairs + sum(
                (total * total - group.squares[sub_key]) // 2
                for sub_key, total in group.sums.items()
            )
        if self.comparisons > MAX_COMPARISONS:
            raise _Refused(
                "The document's fields overlap too much to validate: merging its "
                f"same-named fields would take more than {MAX_COMPARISONS} comparisons."
            )
        self.profiles[id(selection_set)] = sizes
        return sizes

    def merged(
        self, selection_set: SelectionSetNode, seen: set[str]
    ) -> Iterator[tuple[str, FieldNode]]:
        """The fields of a selection set, inline fragments and fragment spreads merged;
        `seen` receives the names of the fragments merged."""
        # (selections, reached through a fragment spread)
        pending: list[tuple[SelectionSetNode, bool]] = [(selection_set, False)]
        spreads = produced = 0
        while pending:
            current, spread = pending.pop()
            for selection in current.selections:
                if isinstance(selection, FieldNode):
                    produced += 1
                    if produced > MAX_MERGED_FIELDS:
                        raise _Refused(
                            f"More than {MAX_MERGED_FIELDS} fields in one selection "
                            "set once its fragments are expanded."
                        )
                    yield (selection.alias or selection.name).value, selection
                elif isinstance(selection, InlineFragmentNode):
                    pending.append((selection.selection_set, spread))
                elif isinstance(selection, FragmentSpreadNode):
                    if not spread:
                        spreads += 1
                        if spreads > MAX_SPREADS:
                            raise _Refused(
                                f"More than {MAX_SPREADS} fragment spreads in one "
                                "selection set."
                            )
                    name = selection.name.value
                    fragment = self.fragments.get(name)
                    if fragment is not None and name not in seen:
                        seen.add(name)
                        pending.append((fragment.selection_set, True))


def excessive_fanout(document: DocumentNode) -> str | None:
    """Why `document` is refused before validation, or None when it is not."""
    try:
        _Measure(document).check(document)
    except _Refused as refusal:
        return str(refusal)
    except RecursionError:
        return "The document is nested too deeply to validate."
    return None
