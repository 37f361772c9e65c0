"""Make the repository's `bench` package importable from these tests.

`bench/` is not installed (pyproject packages router, planner and subgraphs), and with
`tests/` on sys.path this directory would otherwise be imported as a `bench` namespace
package. A regular package found anywhere on sys.path wins over a namespace portion,
so adding the repository root is enough.
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
