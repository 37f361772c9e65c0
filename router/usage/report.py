"""Operation usage as it is exported and checked: operations, their clients and counts.

The export's JSON form (`router usage export --format json`, read back by `router check
--usage FILE`):

    {"format": "pyfed-operation-usage", "version": 1, "window_seconds": 604800,
     "operations": [{"signature": "<sha256 of the normalised document>",
                     "name": "Join", "coordinates": ["Query.topProducts", ...],
                     "count": 3, "clients": [{"name": "web", "version": "1.2",
                                              "count": 3}]}]}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = [
    "FORMAT",
    "ClientUsage",
    "OperationUsage",
    "UsageReport",
    "UsageReportError",
]

FORMAT = "pyfed-operation-usage"


class UsageReportError(ValueError):
    """A usage file that is not an export of ours; the message says where."""


@dataclass(frozen=True, slots=True)
class ClientUsage:
    name: str
    version: str
    count: int


@dataclass(frozen=True, slots=True)
class OperationUsage:
    signature: str
    name: str | None
    coordinates: frozenset[str]
    clients: tuple[ClientUsage, ...]

    @property
    def count(self) -> int:
        return sum(client.count for client in self.clients)

    @property
    def title(self) -> str:
        """`Name (clients web 1.2, ios 3.0)`: how `router check` names it."""
        clients = ", ".join(
            f"{c.name or '(unnamed)'}{' ' + c.version if c.version else ''}"
            for c in self.clients
        )
        return (
            f"{self.name or '(anonymous)'} [{self.signature[:12]}] (clients: {clients})"
        )


@dataclass(frozen=True, slots=True)
class UsageReport:
    operations: tuple[OperationUsage, ...]
    window_seconds: float

    def using(self, coordinates: set[str]) -> list[OperationUsage]:
        """The operations that use any of `coordinates`."""
        return [op for op in self.operations if op.coordinates & coordinates]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": 1,
            "window_seconds": self.window_seconds,
            "operations": [
                {
                    "signature": op.signature,
                    "name": op.name,
                    "coordinates": sorted(op.coordinates),
                    "count": op.count,
                    "clients": [
                        {"name": c.name, "version": c.version, "count": c.count}
                        for c in op.clients
                    ],
                }
                for op in self.operations
            ],
        }

    @classmethod
    def from_json(cls, text: str, source: str) -> UsageReport:
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT or data.get("version") != 1:
                raise UsageReportError(
                    f"{source}: format: expected {FORMAT!r} version 1"
                )
            operations = tuple(
                OperationUsage(
                    str(op["signature"]),
                    op.get("name"),
                    frozenset(str(c) for c in op["coordinates"]),
                    tuple(
                        ClientUsage(str(c["name"]), str(c["version"]), int(c["count"]))
                        for c in op["clients"]
                    ),
                )
                for op in data["operations"]
            )
            return cls(operations, float(data["window_seconds"]))
        except UsageReportError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise UsageReportError(f"{source}: not a usage export: {exc!r}") from None


def build_report(
    operations: dict[str, dict[str, Any]],
    counts: dict[tuple[str, str, str], int],
    window_seconds: float,
) -> UsageReport:
    """A report from operation metadata (op id -> {signature, name, coordinates}) and
    counts per (op id, client name, client version), most-used operations first."""
    clients: dict[str, list[ClientUsage]] = {}
    for (op_id, name, version), count in counts.items():
        if count > 0:
            clients.setdefault(op_id, []).append(ClientUsage(name, version, count))
    found = [
        OperationUsage(
            meta["signature"],
            meta.get("name"),
            frozenset(meta["coordinates"]),
            tuple(sorted(clients[op_id], key=lambda c: (-c.count, c.name, c.version))),
        )
        for op_id, meta in operations.items()
        if op_id in clients
    ]
    found.sort(key=lambda op: (-op.count, op.name or "", op.signature))
    return UsageReport(tuple(found), window_seconds)
