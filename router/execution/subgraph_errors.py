"""Client errors from subgraph errors and failed fetches (QUERY_PLANNING.md §4.4).

Subgraph errors keep their message, their ``extensions`` (``code`` included, or
``DOWNSTREAM_SERVICE_ERROR`` as Apollo's gateway adds when there is none) and gain
``extensions.serviceName``; ``locations`` point into the subgraph's query, not the
client's, so they are dropped. Paths are moved to client paths: ``["_entities", i, ...]``
becomes every position representation ``i`` came from, and a root fetch's paths are
prefixed with the cursor's path. A planner alias in the path (``rank__alias_0``, undone in
the data by an output ``KeyRenamer``) becomes the client's name again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from planner.query_plan import FetchRewrite, KeyRenamer
from router.execution.codes import DOWNSTREAM_SERVICE_ERROR
from router.execution.paths import CursorEntry, to_list
from router.execution.type_conditions import FRAGMENT_PREFIX

__all__ = ["client_error", "entity_errors", "entity_index", "error_path", "root_errors"]


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
    raw_errors: Any,
    service: str,
    prefix: Sequence[str | int],
    renamers: Sequence[FetchRewrite] = (),
) -> list[dict[str, Any]]:
    """Errors of a root fetch; ``prefix`` is the client path the fetch was merged at."""
    errors: list[dict[str, Any]] = []
    for raw in _as_list(raw_errors):
        path = error_path(raw)
        if path and renamers:
            path = unaliased(path, renamers)
        errors.append(
            _from_subgraph(raw, service, [*prefix, *path] if path else prefix)
        )
    return errors


def entity_errors(
    raw_errors: Any,
    service: str,
    positions: list[list[CursorEntry]],
    fallback: Sequence[str | int],
    renamers: Sequence[FetchRewrite] = (),
) -> list[dict[str, Any]]:
    """Errors of an ``_entities`` fetch, one per client position an error applies to."""
    errors: list[dict[str, Any]] = []
    for raw in _as_list(raw_errors):
        path = error_path(raw)
        if (
            path is not None
            and len(path) >= 2
            and path[0] == "_entities"
            and type(path[1]) is int
            and 0 <= path[1] < len(positions)
        ):
            rest = unaliased(path[2:], renamers) if renamers else path[2:]
            for _, node in positions[path[1]]:
                errors.append(_from_subgraph(raw, service, [*to_list(node), *rest]))
        else:
            errors.append(_from_subgraph(raw, service, fallback))
    return errors


def unaliased(
    path: Sequence[str | int], renamers: Sequence[FetchRewrite]
) -> list[str | int]:
    """``path`` (in the subgraph's response) with each planner alias an output
    ``KeyRenamer`` undoes replaced by the name it is renamed to. A renamer's
    ``... on T`` steps match any object and list indices any item, as in the data."""
    names = [(index, step) for index, step in enumerate(path) if type(step) is str]
    out = list(path)
    for rewrite in renamers:
        if not isinstance(rewrite, KeyRenamer):
            continue
        steps = [s for s in rewrite.path if not s.startswith(FRAGMENT_PREFIX)]
        if (
            steps
            and len(names) >= len(steps)
            and all(names[i][1] == step for i, step in enumerate(steps))
        ):
            out[names[len(steps) - 1][0]] = rewrite.rename_key_to
    return out


def _as_list(raw_errors: Any) -> list[Any]:
    return raw_errors if type(raw_errors) is list else []


def error_path(raw: Any) -> list[str | int] | None:
    """A subgraph error's `path`, or None when it has none or it is malformed."""
    path = raw.get("path") if type(raw) is dict else None
    if type(path) is not list or not all(type(key) in (str, int) for key in path):
        return None
    return path


def entity_index(raw: Any) -> int | None:
    """The representation an `_entities` fetch's error is about, if its path says."""
    path = error_path(raw)
    if path and len(path) >= 2 and path[0] == "_entities" and type(path[1]) is int:
        return path[1] if path[1] >= 0 else None
    return None


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
