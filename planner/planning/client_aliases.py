"""Client aliases that would shadow a field the planner selects on its own.

A client may name a field after another one: ``stores { rank: title tone }`` where
``tone`` has ``@requires(fields: "rank")``, or ``id: note`` on an entity keyed by
``id``. One object of the fetched data would then need two values under one response
name, the client's (``title``) and the one a later fetch's representation is read
from (``rank``), and whichever lands last is wrong (Apollo's planner has the same
fault: federation issue 3036, router issue 6222). Such an alias is fetched as
``<alias>__client_alias`` instead, in every operation (``@defer``, subscriptions
alike). The fetched tree keeps that name: the shapers read each client field from its
``fetched_name`` (``router.execution.selection_plan``), so a deferred part or a
subscription event can be shaped while later fetches still read the planner's value,
and only error paths are named back (``router.execution.client_aliases``).

A client response name that already ends in ``__client_alias`` is fetched with the
suffix once more, so no two client fields, and no client field and renamed alias,
share a fetched name.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from planner.supergraph import Supergraph

__all__ = [
    "CLIENT_ALIAS_SUFFIX",
    "fetched_name",
    "planner_field_names",
]

CLIENT_ALIAS_SUFFIX = "__client_alias"

_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")


def planner_field_names(supergraph: Supergraph) -> frozenset[str]:
    """Every name the planner may select without the client asking: the names in key,
    ``@requires`` and context field sets (a few argument or type names too, which only
    rename an alias needlessly), and ``__typename``."""
    names = {"__typename"}
    for type_join in supergraph.types.values():
        for join in type_join.joins:
            if join.key:
                names.update(_NAME.findall(join.key))
        for field_join in type_join.fields.values():
            for join_field in field_join.joins:
                if join_field.requires:
                    names.update(_NAME.findall(join_field.requires))
                for context in join_field.context_arguments:
                    names.update(_NAME.findall(context.selection))
    return frozenset(names)


def fetched_name(response_name: str, field_name: str, shadowed: frozenset[str]) -> str:
    """The name a client field is fetched (and kept in the executor's tree) under:
    ``<response name>__client_alias`` for an alias that differs from its field's name
    and is one of ``shadowed`` (``planner_field_names``), or for a response name that
    ends in the suffix already; otherwise the response name itself."""
    if (
        response_name != field_name and response_name in shadowed
    ) or response_name.endswith(CLIENT_ALIAS_SUFFIX):
        return response_name + CLIENT_ALIAS_SUFFIX
    return response_name
