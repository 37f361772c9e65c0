"""Merge rules for type references: output fields take the most general type, inputs the most specific."""

from __future__ import annotations

from collections.abc import Sequence

from planner.composition.type_refs import is_list, is_non_null, nullable, of_type

__all__ = ["TypeRelations"]


class TypeRelations:
    """Subtype checks over the union of every subgraph's interfaces and unions."""

    def __init__(
        self, implementers: dict[str, set[str]], members: dict[str, set[str]]
    ) -> None:
        self.implementers = implementers
        self.members = members

    def is_subtype(
        self, sub: str, sup: str, allow_named_subtyping: bool = True
    ) -> bool:
        if sub == sup:
            return True
        if is_non_null(sub):
            return self.is_subtype(nullable(sub), nullable(sup), allow_named_subtyping)
        if is_non_null(sup):
            return False
        if is_list(sub) or is_list(sup):
            if not (is_list(sub) and is_list(sup)):
                return False
            return self.is_subtype(of_type(sub), of_type(sup), allow_named_subtyping)
        if not allow_named_subtyping:
            return False
        return sub in self.implementers.get(sup, ()) or sub in self.members.get(sup, ())

    def most_general(self, refs: Sequence[str]) -> str | None:
        """The output type every other reference is a subtype of, if there is one."""
        for candidate in refs:
            if all(self.is_subtype(r, candidate) for r in refs):
                return candidate
        return None

    def most_specific(self, refs: Sequence[str]) -> str | None:
        """The input type that is a subtype (by nullability only) of every other reference."""
        for candidate in refs:
            if all(
                self.is_subtype(candidate, r, allow_named_subtyping=False) for r in refs
            ):
                return candidate
        return None
