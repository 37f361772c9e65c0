"""The client's aliases in paths: what error paths and deferred parts' paths show.

The planner fetches an alias that would shadow a field it selects on its own (a key
or a ``@requires`` field) as ``<alias>__client_alias`` (``planner.planning.
client_aliases``), so that both values live in the tree while fetches read it. The
tree keeps that name for good: the shapers read each client field from where it was
fetched (``selection_plan.OutputField.source``), which works the same for a merged
answer, a deferred part sent while later fetches still run, and a subscription
event. Paths taken from the tree (a fetch's errors, a deferred part's position) are
what still carry the fetched name; these functions give them the client's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from planner.planning.client_aliases import CLIENT_ALIAS_SUFFIX

__all__ = ["client_names", "client_path", "name_error_paths"]


def client_names(aliases: Iterable[str]) -> dict[str, str]:
    """Each fetched name of ``aliases`` (a plan's ``client_aliases``) to the client's."""
    return {alias: alias[: -len(CLIENT_ALIAS_SUFFIX)] for alias in aliases}


def client_path(path: list[Any], names: Mapping[str, str]) -> list[Any]:
    """``path`` (keys in the fetched tree, list indexes) in the client's names."""
    return [names.get(key, key) if type(key) is str else key for key in path]


def name_error_paths(errors: list[dict[str, Any]], names: Mapping[str, str]) -> None:
    """Gives the ``path`` of each of ``errors`` the client's names, in place."""
    if not names:
        return
    for error in errors:
        path = error.get("path")
        if type(path) is list:
            error["path"] = client_path(path, names)
