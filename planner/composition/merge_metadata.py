"""Merging what every supergraph element carries besides its type: its description and
the non-join directives applied to it (`@inaccessible`, `@tag`, `@deprecated`,
`@authenticated`, `@requiresScopes`, `@policy`, `@composeDirective`'d ones).

Shared by the mergers of types (`merge.py`), fields (`merge_fields.py`) and directive
definitions (`merge_directives.py`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from planner.composition.subgraph_model import Applied

__all__ = ["merge_applied", "pick_description"]


def pick_description(descriptions: Sequence[str | None]) -> str | None:
    """The description most subgraphs give (the first of them on a tie), as Apollo's
    `mergeDescription` picks it; subgraphs without one do not vote."""
    present = [d for d in descriptions if d]
    if not present:
        return None
    counts = Counter(present)
    best = max(counts.values())
    return next(d for d in present if counts[d] == best)


def merge_applied(applied: Sequence[Applied]) -> Applied:
    """The union of the applications: an element is @inaccessible, tagged, deprecated
    or guarded if any subgraph says so."""
    merged = Applied()
    for a in applied:
        merged.inaccessible = merged.inaccessible or a.inaccessible
        merged.tags.extend(t for t in a.tags if t not in merged.tags)
        merged.composed.extend(c for c in a.composed if c not in merged.composed)
        merged.authenticated = merged.authenticated or a.authenticated
        merged.scopes.extend(c for c in a.scopes if c not in merged.scopes)
        merged.policies.extend(p for p in a.policies if p not in merged.policies)
        merged.auth_order.extend(n for n in a.auth_order if n not in merged.auth_order)
        if a.deprecated and not merged.deprecated:
            merged.deprecated = True
            merged.deprecation_reason = a.deprecation_reason
    return merged
