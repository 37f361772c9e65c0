"""Query plans in responses: `Apollo-Expose-Query-Plan: true | dry-run`.

Apollo Router's `experimental.expose_query_plan` plugin
(https://www.apollographql.com/docs/technotes/TN0039-debugging-subgraph-requests/): the
plan goes to `extensions.apolloQueryPlan` as `{object: {kind, node}, text}`; with
`dry-run` the router plans and answers without executing.
"""

from __future__ import annotations

from typing import Any

from planner.plan_json import plan_to_json
from planner.printer import format_query_plan
from planner.query_plan import QueryPlan

__all__ = ["DRY_RUN", "ENABLED", "EXPOSE_QUERY_PLAN", "expose_mode", "plan_extension"]

# The RequestContext.values key the telemetry plugin sets when a request asks for it.
EXPOSE_QUERY_PLAN = "telemetry.expose_query_plan"
ENABLED = "true"
DRY_RUN = "dry-run"


def expose_mode(header: str | None) -> str | None:
    """The mode a header value asks for; None for absent or unknown values."""
    if header is None:
        return None
    value = header.strip().lower()
    return value if value in (ENABLED, DRY_RUN) else None


def plan_extension(plan: QueryPlan) -> dict[str, Any]:
    return {"object": plan_to_json(plan), "text": format_query_plan(plan)}
