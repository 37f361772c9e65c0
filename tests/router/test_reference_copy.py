"""The committed copy of the reference router.yaml is the article's file."""

from __future__ import annotations

import pytest
from support.reference import REFERENCE, SIBLING


def test_committed_copy_equals_the_articles_file() -> None:
    if not SIBLING.exists():
        # A clone without its sibling folder: the copy is all there is to test.
        pytest.skip(f"{SIBLING} is absent (it lives beside the repository)")
    assert REFERENCE.read_bytes() == SIBLING.read_bytes(), (
        f"{SIBLING} changed: copy it to {REFERENCE} and make the tests pass"
    )
