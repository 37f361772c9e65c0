"""Client errors from subgraph errors and failed fetches (QUERY_PLANNING.md §4.4).

Subgraph errors keep their message, their ``extensions`` (``code`` included, or
``DOWNSTREAM_SERVICE_ERROR`` as Apollo's gateway adds when there is none) and gain
``extensions.serviceName``; ``locations`` point into the subgraph's query, not the
client's, so they are dropped. Paths are moved to client paths: ``["_entities", i, ...]``
becomes every position representation ``i`` came from, and a root fetch's paths are
prefixed with the cursor's path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from router.execution.codes import DOWNSTREAM_SERVICE_ERROR
from router.execution.paths import CursorEntry, to_list

__all__ = ["client_error", "entity_errors", "root_errors"]


def client_error(
    message: str,
    code: str,
    service: str | None,
    path: Sequence[str | int] | None,
    **extensions: Any,
) -> dict[str, Any]:
    """An error the router itself reports, e.g. a failed fetch."""
    error: dict[str, Any] = {"message": message}
    if path:
        error["path"] = list(path)
    ext: dict[str, Any] = {"code": code, **extensions}
    if service is not None:
        ext["serviceName"] = service
    error["extensions"] = ext
    return error


def root_errors(
    raw_errors: Any, service: str, prefix: Sequence[str | int]
) -> list[dict[str, Any]]:
    """Errors of a root fetch; ``prefix`` is the client path the fetch was merged at."""
    errors: list[dict[str, Any]] = []
    for raw in _as_list(raw_errors):
        path = _raw_path(raw)
        errors.append(
            _from_subgraph(raw, service, [*prefix, *path] if path else prefix)
        )
    return errors


def entity_errors(
    raw_errors: Any,
    service: str,
    positions: list[list[CursorEntry]],
    fallback: Sequence[str | int],
) -> list[dict[str, Any]]:
    """Errors of an ``_entities`` fetch, one per client position an error applies to."""
    errors: list[dict[str, Any]] = []
    for raw in _as_list(raw_errors):
        path = _raw_path(raw)
        if (
            path is not None
            and len(path) >= 2
            and path[0] == "_entities"
            and type(path[1]) is int
            and 0 <= path[1] < len(positions)
        ):
            rest = path[2:]
            for _, node in positions[path[1]]:
                errors.append(_from_subgraph(raw, service, [*to_list(node), *rest]))
        else:
            errors.append(_from_subgraph(raw, service, fallback))
    return errors


def _as_list(raw_errors: Any) -> list[Any]:
    return raw_errors if type(raw_errors) is list else []


def _raw_path(raw: Any) -> list[str | int] | None:
    path = raw.get("path") if type(raw) is dict else None
    if type(path) is not list or not all(type(key) in (str, int) for key in path):
        return None
    return path


def _from_subgraph(
    raw: Any, service: str, path: Sequence[str | int] | None
) -> dict[str, Any]:
    message = raw.get("message") if type(raw) is dict else None
    if not isinstance(message, str) or not message:
        message = f'Error while fetching subquery from service "{service}"'
    extensions = raw.get("extensions") if type(raw) is dict else None
    ext: dict[str, Any] = dict(extensions) if type(extensions) is dict else {}
    if not isinstance(ext.get("code"), str):
        ext["code"] = DOWNSTREAM_SERVICE_ERROR
    ext["serviceName"] = service
    error: dict[str, Any] = {"message": message}
    if path:
        error["path"] = list(path)
    error["extensions"] = ext
    return error
