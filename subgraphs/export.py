"""``python -m subgraphs.export [--check]``: write each subgraph's served SDL to schema.graphql.

The file holds exactly what ``{ _service { sdl } }`` returns, byte for byte, so the
router's registry (router.yaml) and the running subgraphs never disagree. ``--check``
writes nothing and exits 1 when a file differs.
"""

from __future__ import annotations

import argparse
import sys

from subgraphs import SUBGRAPHS, load_schema, schema_path

__all__ = ["main", "served_sdl"]


def served_sdl(name: str) -> str:
    """What subgraph `name` answers to ``{ _service { sdl } }``."""
    result = load_schema(name).execute_sync("{ _service { sdl } }")
    if result.errors or result.data is None:
        raise RuntimeError(f"{name}: _service query failed: {result.errors}")
    sdl: str = result.data["_service"]["sdl"]
    return sdl


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m subgraphs.export")
    parser.add_argument(
        "--check", action="store_true", help="only report files that are out of date"
    )
    args = parser.parse_args(argv)
    stale = []
    for name in SUBGRAPHS:
        path = schema_path(name)
        sdl = served_sdl(name)
        if path.exists() and path.read_text(encoding="utf-8") == sdl:
            continue
        stale.append(name)
        if not args.check:
            path.write_text(sdl, encoding="utf-8", newline="")
            print(f"wrote {path}")
    if args.check and stale:
        print(f"out of date: {', '.join(stale)} (run python -m subgraphs.export)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
