"""The progressive-override labels a supergraph uses, and which the router rolls.

``@override(from: "a", label: "percent(25)")`` moves a field to its new subgraph for a
share of requests. Like Apollo Router, we activate each ``percent(x)`` label per request
with probability x/100 and plan with the active set; any other label stays inactive
unless something outside the router activates it (Apollo: a coprocessor).

https://www.apollographql.com/docs/graphos/schema-design/federated-schemas/reference/directives#progressive-override
"""

from __future__ import annotations

import re

from planner.supergraph.model import JoinView

__all__ = ["percent_labels"]

_PERCENT = re.compile(r"^percent\((\d{1,3}(?:\.\d+)?)\)$")


def percent_labels(supergraph: JoinView) -> dict[str, float]:
    """Every ``percent(x)`` override label of the supergraph -> x (0 to 100)."""
    found: dict[str, float] = {}
    for type_join in supergraph.types.values():
        for field_join in type_join.fields.values():
            for join in field_join.joins:
                label = join.override_label
                match = _PERCENT.match(label) if label else None
                if match is not None and label is not None:
                    found[label] = min(float(match[1]), 100.0)
    return found
