"""The one exception supergraph loading raises, carrying a code from the catalogue.

Loading refuses a supergraph as a whole (a router must not serve half a schema), so this is
an exception rather than a result: the caller reports ``code`` and ``message`` and keeps the
previous supergraph, if any.
"""

from __future__ import annotations

from planner.errors import SUPERGRAPH_ERRORS

__all__ = ["SupergraphError"]


class SupergraphError(Exception):
    """A supergraph SDL that cannot be loaded; ``code`` is a key of ``SUPERGRAPH_ERRORS``."""

    code: str
    message: str

    def __init__(self, code: str, message: str) -> None:
        if code not in SUPERGRAPH_ERRORS:
            raise ValueError(f"unknown supergraph error code {code!r}")
        super().__init__(f"[{code}] {message}")
        self.code = code
        self.message = message
