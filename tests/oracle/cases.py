"""Hand-written worlds: one YAML file per case in ``tests/oracle/cases``.

A case holds a world (``subgraphs``: name -> SDL, ``records``, ``query``) and the
``operations`` that must get the monolith's answer through our router, each a query
with optional ``variables``. ``about`` says what the case pins down.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from oracle.harness import CheckedOperation
from oracle.model import FEDERATION_LINK
from oracle.world import World

__all__ = ["CASES_DIR", "OracleCase", "load_case", "load_cases"]

CASES_DIR = Path(__file__).with_name("cases")


@dataclass(frozen=True)
class OracleCase:
    name: str
    about: str
    world: World
    operations: tuple[CheckedOperation, ...]


def load_case(path: Path) -> OracleCase:
    raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    name = path.stem
    subgraphs = {
        subgraph: sdl if "@link" in sdl else FEDERATION_LINK + "\n" + sdl
        for subgraph, sdl in raw["subgraphs"].items()
    }
    world = World(
        name=name.replace("-", "_"),
        subgraphs=subgraphs,
        records=raw.get("records", {}),
        query=raw.get("query", {}),
    )
    operations = tuple(
        CheckedOperation(
            op["query"] if isinstance(op, dict) else op,
            (op.get("variables") or {}) if isinstance(op, dict) else {},
        )
        for op in raw["operations"]
    )
    return OracleCase(name, raw.get("about", ""), world, operations)


def load_cases() -> list[OracleCase]:
    return [load_case(path) for path in sorted(CASES_DIR.glob("*.yaml"))]
