"""Authorization directives: which elements of a supergraph need what (`rules`), and an
operation with what a request may not see removed (`filter`).

Pure code, like the rest of `planner/`: the router decides who the request is.
"""

from __future__ import annotations

from planner.authorization.filter import FilteredOperation, filter_operation
from planner.authorization.rules import (
    AuthorizationRules,
    AuthState,
    Requirement,
)

__all__ = [
    "AuthState",
    "AuthorizationRules",
    "FilteredOperation",
    "Requirement",
    "filter_operation",
]
