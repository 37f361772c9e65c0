"""Schema-change classification for `router check`.

Compares two API schemas and classes every change BREAKING, DANGEROUS or SAFE,
following graphql-inspector's and Apollo's schema-check rules. The codes and
their levels are catalogued in `codes.py`.
"""

from __future__ import annotations

from .change import SchemaChange, format_changes_text
from .codes import CHANGE_CODES, CodeRule, Criticality
from .diff import diff_schemas

__all__ = [
    # Catalogue
    "CHANGE_CODES",
    "CodeRule",
    "Criticality",
    # Results
    "SchemaChange",
    "diff_schemas",
    "format_changes_text",
]
