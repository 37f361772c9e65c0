"""The client selections a part of a deferred response answers, as Apollo prints them.

A ``Defer`` plan node names, for its primary part and for each deferred part, the
client selections that part delivers (``subselection``): the operation, or the deferred
fragment, with every deferred fragment inside it left out. Apollo prints it on one line
(``{ topProducts { name } }``); fields left with nothing to select because their
selections are all deferred deeper go too, and a part that selects nothing has no
subselection (QUERY_PLANNING.md §3). A client alias the
planner fetches under another name (``client_aliases``) is printed as the client wrote
it: the subselection is what the client sees.
"""

from __future__ import annotations

from graphql import print_ast

from planner.planning.client_aliases import CLIENT_ALIAS_SUFFIX
from planner.planning.operation import OpField, OpFragment, OpSelection

__all__ = ["print_subselection"]

# The body of a field whose selections the client turned all off with literal
# conditions (``store { code @skip(if: true) }``, folded away by normalisation).
#
# PORT_NOTE: Apollo keeps the client's literal conditions and prints them; ours are
# folded, so the field is printed selecting nothing the shaper will answer: a part is
# shaped from its subselection, and the field must come as ``{}`` (or null), as the
# monolith answers it, not be left out.
_NOTHING_SELECTED = "__typename @skip(if: true)"


def print_subselection(
    selections: tuple[OpSelection, ...], wrap: str | None = None
) -> str | None:
    """``selections`` without their deferred fragments, on one line; inside
    ``... on <wrap>`` when given. None when nothing is left."""
    body = _items(selections)
    if not body:
        return None
    if wrap is not None:
        body = [f"... on {wrap} {{ {' '.join(body)} }}"]
    return "{ " + " ".join(body) + " }"


def _items(selections: tuple[OpSelection, ...]) -> list[str]:
    printed: list[str] = []
    for selection in selections:
        if isinstance(selection, OpFragment):
            if selection.defer is not None:
                continue
            inner = _items(selection.selections)
            if not inner:
                continue
            head = "..." if selection.untyped else f"... on {selection.type_condition}"
            printed.append(
                head + _directives(selection) + " { " + " ".join(inner) + " }"
            )
            continue
        # A sibling __typename folded into this field is the client's even where the
        # field itself is left out.
        if selection.typename_before:
            printed.append("__typename")
        text = _field(selection)
        if selection.selections is not None:
            inner = _items(selection.selections)
            if not inner:
                if _deferred_deeper(selection.selections):
                    continue
                inner = [_NOTHING_SELECTED]
            text += " { " + " ".join(inner) + " }"
        printed.append(text)
    return printed


def _field(field: OpField) -> str:
    alias = field.alias
    if alias is not None and alias.endswith(CLIENT_ALIAS_SUFFIX):
        # Only a fetched name ends so: a client's own such alias got the suffix again.
        alias = alias[: -len(CLIENT_ALIAS_SUFFIX)]
    text = f"{alias}: {field.name}" if alias else field.name
    if field.arguments:
        text += "(" + ", ".join(print_ast(a) for a in field.arguments) + ")"
    return text + _directives(field)


def _directives(selection: OpSelection) -> str:
    return "".join(" " + print_ast(d) for d in selection.directives)


def _deferred_deeper(selections: tuple[OpSelection, ...]) -> bool:
    """Is some field among ``selections`` in a deferred fragment (a nested part of its
    own, which the runtime shows the way to)?"""
    for selection in selections:
        if isinstance(selection, OpFragment):
            if selection.defer is not None:
                if _has_fields(selection.selections):
                    return True
            elif _deferred_deeper(selection.selections):
                return True
    return False


def _has_fields(selections: tuple[OpSelection, ...]) -> bool:
    return any(isinstance(s, OpField) or _has_fields(s.selections) for s in selections)
