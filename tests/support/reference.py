"""The reference article's router.yaml, which must load unchanged.

The article's file lives beside the repository (``../shared/reference-router.yaml``);
a clone may not have that sibling, so the tests read the copy committed in
``tests/fixtures/`` and ``tests/router/test_reference_copy.py`` checks that the copy
still equals the article's file wherever both are present.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["REFERENCE", "SIBLING", "reference_router_yaml"]

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "tests" / "fixtures" / "reference-router.yaml"
SIBLING = REPO.parent / "shared" / "reference-router.yaml"


def reference_router_yaml() -> str:
    """The reference router.yaml's text, byte for byte."""
    return REFERENCE.read_text("utf-8")
