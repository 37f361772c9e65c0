"""Client aliases that would shadow a field the planner selects on its own.

A client may name a field after another one: ``stores { rank: title tone }`` where
``tone`` has ``@requires(fields: "rank")``, or ``id: note`` on an entity keyed by
``id``. One object of the fetched data would then need two values under one response
name, the client's (``title``) and the one a later fetch's representation is read
from (``rank``), and whichever lands last is wrong (Apollo's planner has the same
fault: federation issue 3036, router issue 6222). Such an alias is fetched as
``<alias>__client_alias`` instead, and the executor names it back once every fetch is
done (``router.execution.client_aliases``). Not in an operation with ``@defer``: its
parts are sent while later fetches still read the tree.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from graphql import BREAK, DirectiveNode, DocumentNode, Visitor, visit

if TYPE_CHECKING:
    from planner.supergraph import Supergraph

__all__ = [
    "CLIENT_ALIAS_SUFFIX",
    "internal_alias",
    "planner_field_names",
    "uses_defer",
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


def internal_alias(alias: str) -> str:
    return alias + CLIENT_ALIAS_SUFFIX


def uses_defer(document: DocumentNode) -> bool:
    finder = _DeferFinder()
    visit(document, finder)
    return finder.found


class _DeferFinder(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_directive(self, node: DirectiveNode, *_: Any) -> Any:
        if node.name.value == "defer":
            self.found = True
            return BREAK
        return None
