"""The entity cache's keys: which subgraph, type and entity an entry is, and what of.

An entry's key is `<subgraph>:<type>:<entity>:<fetch>[:<private>]`:

- `<entity>` hashes the values of the `@key` fields the representation matches (the
  subgraph's first key whose fields it holds), so `{"kind": "entity", "key": {...}}`
  invalidation finds every entry of one entity whatever was fetched of it; root
  fetches have `root` there;
- `<fetch>` hashes `FORMAT` (raised when entries change shape), the schema hash, the
  fetch's operation text (without its name) and the variables it sends (for an entity
  fetch also its representation, which carries `@requires` fields): a reloaded schema
  never reads another schema's shapes;
- `<private>` hashes the user's private id, on entries of `Cache-Control: private`
  responses only.

Invalidation deletes by key prefix: `<subgraph>:`, `<subgraph>:<type>:`,
`<subgraph>:<type>:<entity>:`. A subgraph name has `%` and `:` escaped so one name is
never another's prefix.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import orjson
from graphql import FieldNode, SelectionSetNode

from planner.supergraph import Supergraph
from planner.supergraph.fieldsets import parse_field_set

__all__ = ["FORMAT", "EntityKeys", "digest", "subgraph_part"]

FORMAT = 1
ROOT = "root"


def digest(value: Any) -> str:
    """A short stable hash of a JSON value (object keys sorted)."""
    text = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(text).hexdigest()[:32]


def subgraph_part(name: str) -> str:
    return name.replace("%", "%25").replace(":", "%3A")


class EntityKeys:
    """Key field sets of each (subgraph, type) of one supergraph."""

    def __init__(self, supergraph: Supergraph) -> None:
        self._keys: dict[tuple[str, str], tuple[SelectionSetNode, ...]] = {}
        for type_name, joined in supergraph.types.items():
            for join in joined.joins:  # `graph` is the subgraph's name
                if join.key is None:
                    continue
                try:
                    selection = parse_field_set(join.key)
                except Exception:  # a key that does not parse never plans either
                    continue
                slot = (join.graph, type_name)
                self._keys[slot] = (*self._keys.get(slot, ()), selection)

    def entity_hash(
        self, subgraph: str, typename: str, representation: Mapping[str, Any]
    ) -> str:
        """The `<entity>` part of `representation`'s key."""
        for selection in self._keys.get((subgraph, typename), ()):
            projected = _project(representation, selection)
            if projected is not None:
                return digest(projected)
        rest = {k: v for k, v in representation.items() if k != "__typename"}
        return digest(rest)

    @staticmethod
    def key_hash(key: Mapping[str, Any]) -> str:
        """The `<entity>` part of an invalidation request's `key` (the key fields'
        values, as the subgraph's representations carry them)."""
        return digest(dict(key))


def _project(value: Mapping[str, Any], selection: SelectionSetNode) -> Any:
    """`value` reduced to `selection`'s fields, or None when one is missing."""
    out: dict[str, Any] = {}
    for node in selection.selections:
        if not isinstance(node, FieldNode):
            return None  # keys are plain fields (fragments are not allowed in them)
        name = node.name.value
        if name not in value:
            return None
        item = value[name]
        if node.selection_set is not None and item is not None:
            item = _project_nested(item, node.selection_set)
            if item is None:
                return None
        out[name] = item
    return out


def _project_nested(item: Any, selection: SelectionSetNode) -> Any:
    if type(item) is list:
        projected = [_project_nested(x, selection) for x in item]
        return None if any(p is None for p in projected) else projected
    if type(item) is dict:
        return _project(item, selection)
    return None
