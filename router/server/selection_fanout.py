"""A linear guard run before validation against documents that make it quadratic.

graphql-core's OverlappingFieldsCanBeMerged rule (as graphql-js's) compares every pair of
fields that share a response key in a selection set, and every pair of fragment spreads,
each comparison walking the fields' sub-selections. A 4 KB query selecting
`reviews { id }` 300 times in one selection set held the router's event loop for seconds,
and at 1,000 times graphql-core gave up with "Validation aborted.". No real client
selects one response key, or spreads fragments, a hundred times in one selection set, so
such a document is refused at once with a coded validation error instead.

Inline fragments count towards the selection set they sit in (their fields merge with
it); named fragments count as spreads, and their own selection sets are checked where
they are defined. Each selection set is walked once, so the guard is linear.
"""

from __future__ import annotations

from graphql import (
    DocumentNode,
    ExecutableDefinitionNode,
    FieldNode,
    InlineFragmentNode,
    SelectionSetNode,
)

__all__ = ["MAX_SAME_RESPONSE_KEY", "MAX_SPREADS", "excessive_fanout"]

MAX_SAME_RESPONSE_KEY = 100
MAX_SPREADS = 100


def excessive_fanout(document: DocumentNode) -> str | None:
    """Why `document` is refused before validation, or None when it is not."""
    pending: list[SelectionSetNode] = [
        definition.selection_set
        for definition in document.definitions
        if isinstance(definition, ExecutableDefinitionNode)
    ]
    while pending:
        counts: dict[str, int] = {}
        spreads = 0
        merged = [pending.pop()]
        while merged:
            for selection in merged.pop().selections:
                if isinstance(selection, FieldNode):
                    key = (selection.alias or selection.name).value
                    counts[key] = counts.get(key, 0) + 1
                    if counts[key] > MAX_SAME_RESPONSE_KEY:
                        return (
                            f"The response key '{key[:100]}' is selected more than "
                            f"{MAX_SAME_RESPONSE_KEY} times in one selection set."
                        )
                    if selection.selection_set is not None:
                        pending.append(selection.selection_set)
                elif isinstance(selection, InlineFragmentNode):
                    merged.append(selection.selection_set)
                else:
                    spreads += 1
                    if spreads > MAX_SPREADS:
                        return (
                            f"More than {MAX_SPREADS} fragment spreads in one "
                            "selection set."
                        )
    return None
