"""Query planning: client operations to query plans (pure code, no I/O).

``QueryPlanner(supergraph).plan(document, operation_name, override_labels)`` returns a
``planner.query_plan.QueryPlan``; QUERY_PLANNING.md describes the model.
"""

from __future__ import annotations

from planner.planning.errors import QueryPlanningError
from planner.planning.planner import PlannerConfig, QueryPlanner

__all__ = ["PlannerConfig", "QueryPlanner", "QueryPlanningError"]
