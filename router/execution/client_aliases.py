"""The client's aliases given back once every fetch of a plan is done.

The planner fetches an alias that would shadow a field it selects on its own (a key
or a ``@requires`` field) as ``<alias>__client_alias`` (``planner.planning.
client_aliases``), so that both values live in the tree while fetches read it. When
the last fetch has merged, each such key takes the client's name again (the planner's
own value under that name is no longer needed), and so do error paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from planner.planning.client_aliases import CLIENT_ALIAS_SUFFIX

__all__ = ["restore_client_aliases"]


def restore_client_aliases(
    data: dict[str, Any] | None,
    errors: list[dict[str, Any]],
    aliases: Sequence[str],
) -> None:
    """Renames ``aliases`` back in ``data`` and in the paths of ``errors``, in place."""
    renamed = {alias: alias[: -len(CLIENT_ALIAS_SUFFIX)] for alias in aliases}
    if data is not None:
        _restore(data, renamed)
    for error in errors:
        path = error.get("path")
        if isinstance(path, list):
            error["path"] = [
                renamed.get(key, key) if isinstance(key, str) else key for key in path
            ]


def _restore(value: Any, renamed: dict[str, str]) -> None:
    if type(value) is dict:
        for key in [key for key in value if key in renamed]:
            value[renamed[key]] = value.pop(key)
        for item in value.values():
            if type(item) is dict or type(item) is list:
                _restore(item, renamed)
    elif type(value) is list:
        for item in value:
            if type(item) is dict or type(item) is list:
                _restore(item, renamed)
