"""Plan execution: the subgraph client, the executor and response shaping.

The pipeline compiles a ``ResponseShaper`` per cached operation, runs ``execute_plan``
with the process's ``SubgraphClient``, then ``shaper.shape(result.data, result.errors,
variables)`` gives the client response. QUERY_PLANNING.md §4.
"""

from __future__ import annotations

from router.execution.executor import ExecutionResult, execute_plan
from router.execution.shaping import ResponseShaper
from router.execution.subgraph_client import (
    SubgraphClient,
    SubgraphEndpoint,
    SubgraphRequestError,
    SubgraphResponse,
)

__all__ = [
    "ExecutionResult",
    "ResponseShaper",
    "SubgraphClient",
    "SubgraphEndpoint",
    "SubgraphRequestError",
    "SubgraphResponse",
    "execute_plan",
]
