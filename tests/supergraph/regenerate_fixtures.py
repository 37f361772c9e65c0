"""Regenerate the fixture supergraphs: compose the composed cases with Apollo, derive the rest.

Usage, from the repository root: ``.venv/bin/python -m tests.supergraph.regenerate_fixtures``
(needs node and ``oracle/node_modules``). Writes ``fixtures/<case>/supergraph.graphql``;
commit the result.
"""

from __future__ import annotations

import sys

from .apollo import compose, oracle_unavailable_reason
from .fixtures import DERIVED, FIXTURES_DIR, derive, read_subgraphs


def main() -> int:
    reason = oracle_unavailable_reason()
    if reason is not None:
        print(reason, file=sys.stderr)
        return 1
    composed = [
        path for path in sorted(FIXTURES_DIR.iterdir()) if (path / "subgraphs").is_dir()
    ]
    results = compose([list(read_subgraphs(path)) for path in composed])
    failed = False
    for path, result in zip(composed, results, strict=True):
        if result["errors"]:
            print(f"{path.name}: {result['errors']}", file=sys.stderr)
            failed = True
            continue
        (path / "supergraph.graphql").write_text(result["supergraph"] + "\n")
        print(f"composed {path.name}")
    # Derived cases may build on derived ones: follow DERIVED's order.
    for name in DERIVED:
        (FIXTURES_DIR / name).mkdir(exist_ok=True)
        (FIXTURES_DIR / name / "supergraph.graphql").write_text(derive(name))
        print(f"derived {name}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
