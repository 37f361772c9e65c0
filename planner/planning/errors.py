"""The planner's coded error."""

from __future__ import annotations

__all__ = ["QueryPlanningError"]


class QueryPlanningError(Exception):
    """Planning failed; ``code`` is a GraphQL ``extensions.code``.

    Codes: ``GRAPHQL_UNKNOWN_OPERATION_NAME`` (no operation of that name, or a name is needed
    and missing) and ``QUERY_PLANNING_FAILED`` (the supergraph cannot serve the operation, or
    planning hit its limits without any valid plan).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
