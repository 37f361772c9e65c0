"""Persisted-query manifests: Apollo's format and Relay's, read and checked.

Apollo's (what `generate-persisted-query-manifest`, Apollo Kotlin, Apollo iOS and
`rover persisted-queries generate` write;
https://www.apollographql.com/docs/graphos/platform/security/persisted-queries#manifest-format):

    {"format": "apollo-persisted-query-manifest", "version": 1,
     "operations": [{"id": "...", "body": "query Q { ... }", "name": "Q",
                     "type": "query", "clientName": "web"}]}

Relay's (the Relay compiler's `persistConfig` file): `{"<id>": "query Q { ... }", ...}`.
PORT_NOTE: Apollo Router reads Apollo's format only (Rover converts Relay's when it
publishes); reading both here saves that step.

A manifest that does not load is a `ManifestError` naming the dotted path of the
problem (`operations[3].body: not valid GraphQL: ...`): a body that does not parse,
and an id given twice with different bodies, are refused (PORT_NOTE: Apollo keeps the
last of duplicate ids and compares unparsable bodies byte for byte; neither can be
what the list's author meant). Reading is blocking: run it off the event loop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, parse

from router.cache.normalise import normalised_body

__all__ = [
    "APOLLO_FORMAT",
    "Manifest",
    "ManifestError",
    "ManifestOperation",
    "parse_manifest",
    "read_manifest",
    "read_manifests",
    "read_named_manifests",
]

APOLLO_FORMAT = "apollo-persisted-query-manifest"
_TYPES = frozenset({"query", "mutation", "subscription"})


class ManifestError(Exception):
    """A manifest that cannot be used; the message names where the problem is."""


@dataclass(frozen=True, slots=True)
class ManifestOperation:
    """One operation of a manifest; `where` is its place in the file
    (`operations[3]`, or `["<id>"]` in a Relay manifest), `source` the file's label."""

    id: str
    body: str
    name: str | None
    type: str
    client_name: str | None
    source: str
    where: str
    normalised: str = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Manifest:
    """The operations of every manifest, by id (and client name), and their
    normalised bodies (`router.cache.normalise`) for safelisting."""

    operations: tuple[ManifestOperation, ...]
    _by_id: Mapping[str, Mapping[str | None, str]]
    normalised: frozenset[str]

    @classmethod
    def of(cls, operations: Sequence[ManifestOperation]) -> Manifest:
        """A manifest of `operations`; ManifestError for an id (and client name) that
        two operations give different bodies."""
        by_id: dict[str, dict[str | None, ManifestOperation]] = {}
        for operation in operations:
            clients = by_id.setdefault(operation.id, {})
            seen = clients.get(operation.client_name)
            if seen is not None and seen.body != operation.body:
                raise ManifestError(
                    f"{operation.source}: {operation.where}.id: {operation.id!r} is "
                    f"already the id of another operation ({seen.source}: {seen.where})"
                )
            clients.setdefault(operation.client_name, operation)
        return cls(
            tuple(operations),
            {
                id_: {client: op.body for client, op in clients.items()}
                for id_, clients in by_id.items()
            },
            frozenset(op.normalised for op in operations),
        )

    def __len__(self) -> int:
        return len(self.operations)

    def body(self, id_: str, client_name: str | None = None) -> str | None:
        """The body listed under `id_` for `client_name`, else for any client (Apollo
        Router's lookup: an operation with a `clientName` is that client's only)."""
        clients = self._by_id.get(id_)
        if clients is None:
            return None
        if client_name is not None and client_name in clients:
            return clients[client_name]
        return clients.get(None)

    def has_body(self, normalised: str) -> bool:
        return normalised in self.normalised


def read_manifests(paths: Sequence[str], base_dir: Path) -> Manifest:
    """router.yaml's `persisted_queries.local_manifests` (relative to `base_dir`) as
    one list; errors name `persisted_queries.local_manifests[i]` and the file."""
    operations: list[ManifestOperation] = []
    for index, name in enumerate(paths):
        label = f"persisted_queries.local_manifests[{index}]"
        try:
            operations += read_manifest(base_dir / name, label)
        except ManifestError as exc:
            raise ManifestError(f"{exc} (in {name})") from None
    return Manifest.of(operations)


def read_named_manifests(names: Sequence[str], label: str = "") -> Manifest:
    """The manifests named on a command line as one list; each error starts with
    `label` (the option that named it, e.g. `--manifest `) and the name."""
    operations: list[ManifestOperation] = []
    for name in names:
        operations += read_manifest(Path(name), f"{label}{name}")
    return Manifest.of(operations)


def read_manifest(path: Path, label: str) -> list[ManifestOperation]:
    """The operations of the manifest at `path`; `label` starts each error."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ManifestError(f"{label}: cannot read: {exc.strerror}") from None
    return parse_manifest(raw, label)


def parse_manifest(raw: bytes | str, source: str) -> list[ManifestOperation]:
    """The operations of one manifest file's content; `source` labels the errors."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ManifestError(f"{source}: not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ManifestError(
            f"{source}: a manifest is a JSON object (Apollo's format, or Relay's "
            "`{id: query}`)"
        )
    if "format" in data or "operations" in data:
        return _apollo(data, source)
    return _relay(data, source)


def _apollo(data: dict[str, Any], source: str) -> list[ManifestOperation]:
    if data.get("format") != APOLLO_FORMAT:
        raise ManifestError(
            f"{source}: format: must be {APOLLO_FORMAT!r} (got {data.get('format')!r})"
        )
    if data.get("version") != 1:
        raise ManifestError(
            f"{source}: version: must be 1 (got {data.get('version')!r})"
        )
    entries = data.get("operations")
    if not isinstance(entries, list):
        raise ManifestError(f"{source}: operations: must be a list")
    operations = []
    for index, entry in enumerate(entries):
        where = f"operations[{index}]"
        if not isinstance(entry, dict):
            raise ManifestError(f"{source}: {where}: must be an object")
        id_ = entry.get("id")
        if not isinstance(id_, str) or not id_:
            raise ManifestError(
                f"{source}: {where}.id: must be a non-empty string (got {id_!r})"
            )
        for optional in ("name", "type", "clientName"):
            value = entry.get(optional)
            if value is not None and not isinstance(value, str):
                raise ManifestError(
                    f"{source}: {where}.{optional}: must be a string (got {value!r})"
                )
        document = _document(entry.get("body"), source, f"{where}.body")
        kind = _operation_type(document)
        declared = entry.get("type")
        if declared is not None and declared not in _TYPES:
            raise ManifestError(
                f"{source}: {where}.type: must be query, mutation or subscription "
                f"(got {declared!r})"
            )
        operations.append(
            ManifestOperation(
                id_,
                entry["body"],
                entry.get("name") or _operation_name(document),
                declared or kind,
                entry.get("clientName"),
                source,
                where,
                normalised_body(document),
            )
        )
    return operations


def _relay(data: dict[str, Any], source: str) -> list[ManifestOperation]:
    operations = []
    for id_, body in data.items():
        where = f"[{orjson.dumps(id_).decode()}]"
        if not id_:
            raise ManifestError(f"{source}: {where}: an id must not be empty")
        document = _document(body, source, where)
        operations.append(
            ManifestOperation(
                id_,
                body,
                _operation_name(document),
                _operation_type(document),
                None,
                source,
                where,
                normalised_body(document),
            )
        )
    return operations


def _document(body: Any, source: str, where: str) -> DocumentNode:
    if not isinstance(body, str):
        raise ManifestError(
            f"{source}: {where}: must be a string holding the operation "
            f"(got {type(body).__name__})"
        )
    try:
        document = parse(body)
    except GraphQLError as exc:
        at = ""
        if exc.locations:
            at = f" (line {exc.locations[0].line}, column {exc.locations[0].column})"
        raise ManifestError(
            f"{source}: {where}: not valid GraphQL: {exc.message}{at}"
        ) from None
    except RecursionError:
        raise ManifestError(
            f"{source}: {where}: not valid GraphQL: nested too deeply"
        ) from None
    if not any(isinstance(d, OperationDefinitionNode) for d in document.definitions):
        raise ManifestError(f"{source}: {where}: holds no operation")
    return document


def _operations(document: DocumentNode) -> list[OperationDefinitionNode]:
    return [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]


def _operation_name(document: DocumentNode) -> str | None:
    first = _operations(document)[0]
    return first.name.value if first.name else None


def _operation_type(document: DocumentNode) -> str:
    return _operations(document)[0].operation.value
