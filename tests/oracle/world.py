"""A federated test world: subgraph SDLs and the one set of records they all serve.

A world is plain data, so that it can be written by hand (a regression test), drawn at
random (``oracle.generate``), shrunk (``oracle.minimise``), sent to the subgraph server
as JSON and printed when a test fails.

- ``subgraphs``: name -> Federation 2 SDL, in composition order.
- ``records``: id -> record. A record is a dict with ``__typename`` and a value per
  field. Values are JSON; ``{"$ref": id}`` points at another record, a dict with a
  ``__typename`` (or none, under an object-typed field) is an inline object (a value
  type), and ``{"$error": message}`` is a field that fails with that message.
- ``query``: the stored values of root ``Query`` fields.

Which fields the records answer, and how arguments and ``@requires`` change values, is
``oracle.semantics``: the same rules for the monolith and every subgraph.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ERROR", "REF", "World", "iter_refs"]

REF = "$ref"
ERROR = "$error"


@dataclass
class World:
    name: str
    subgraphs: dict[str, str]
    records: dict[str, dict[str, Any]]
    query: dict[str, Any] = field(default_factory=dict)
    # What the generator meant to exercise (for reports only).
    features: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "subgraphs": self.subgraphs,
            "records": self.records,
            "query": self.query,
            "features": list(self.features),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> World:
        return cls(
            name=data["name"],
            subgraphs=dict(data["subgraphs"]),
            records={k: dict(v) for k, v in data["records"].items()},
            query=dict(data.get("query", {})),
            features=tuple(data.get("features", ())),
        )

    def dumps(self) -> str:
        return json.dumps(self.to_json(), sort_keys=False)

    def describe(self) -> str:
        """The world as a reader wants it in a failure report."""
        parts = [f"# world {self.name}"]
        for name, sdl in self.subgraphs.items():
            parts.append(f"## subgraph {name}\n{sdl.strip()}")
        parts.append("## records")
        for record_id, record in self.records.items():
            parts.append(f"{record_id}: {json.dumps(record, sort_keys=False)}")
        parts.append(f"## query\n{json.dumps(self.query, sort_keys=False)}")
        return "\n".join(parts)


def iter_refs(value: Any) -> Iterator[str]:
    """Ids of the records ``value`` points at, at any depth."""
    if isinstance(value, list):
        for item in value:
            yield from iter_refs(item)
    elif isinstance(value, dict):
        if REF in value:
            yield value[REF]
        elif ERROR not in value:
            for item in value.values():
                yield from iter_refs(item)
