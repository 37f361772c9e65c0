"""Mutable drafts of subgraph schemas, printed as Federation 2 SDL.

The generator fills these in several passes (owners first, then extensions, references
and root fields), so they stay mutable until `SubgraphDraft.render` prints them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["FEDERATION_LINK", "Composite", "Field", "SubgraphDraft", "lower_first"]

FEDERATION_LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", '
    'import: ["@key", "@shareable", "@external", "@requires", "@provides"])'
)


def lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


@dataclass(slots=True)
class Field:
    """One field of an object, interface or input type."""

    name: str
    type: str
    args: str = ""
    directives: str = ""

    def render(self) -> str:
        args = f"({self.args})" if self.args else ""
        directives = f" {self.directives}" if self.directives else ""
        return f"{self.name}{args}: {self.type}{directives}"


@dataclass(slots=True)
class Composite:
    """An object or interface type as one subgraph defines it."""

    keyword: str
    name: str
    directives: list[str] = field(default_factory=list)
    implements: list[str] = field(default_factory=list)
    fields: dict[str, Field] = field(default_factory=dict)

    def add(self, name: str, type_: str, args: str = "", directives: str = "") -> str:
        """Add a field, renaming it if the name is taken; returns the name used."""
        unique, n = name, 2
        while unique in self.fields:
            unique, n = f"{name}{n}", n + 1
        self.fields[unique] = Field(unique, type_, args, directives)
        return unique

    def render(self) -> str:
        head = f"{self.keyword} {self.name}"
        if self.implements:
            head += " implements " + " & ".join(self.implements)
        if self.directives:
            head += " " + " ".join(self.directives)
        body = "".join(f"  {f.render()}\n" for f in self.fields.values())
        return f"{head} {{\n{body}}}\n"


@dataclass(slots=True)
class SubgraphDraft:
    """Everything one subgraph defines, in the order it will be printed."""

    name: str
    domain: str
    prefix: str
    query: Composite = field(default_factory=lambda: Composite("type", "Query"))
    mutation: Composite = field(default_factory=lambda: Composite("type", "Mutation"))
    composites: dict[str, Composite] = field(default_factory=dict)
    unions: dict[str, list[str]] = field(default_factory=dict)
    enums: dict[str, list[str]] = field(default_factory=dict)
    inputs: dict[str, list[Field]] = field(default_factory=dict)

    def render(self) -> str:
        parts = [FEDERATION_LINK + "\n", self.query.render()]
        if self.mutation.fields:
            parts.append(self.mutation.render())
        parts.extend(c.render() for c in self.composites.values())
        parts.extend(
            f"union {name} = {' | '.join(members)}\n"
            for name, members in self.unions.items()
        )
        parts.extend(
            f"enum {name} {{\n" + "".join(f"  {v}\n" for v in values) + "}\n"
            for name, values in self.enums.items()
        )
        parts.extend(
            f"input {name} {{\n" + "".join(f"  {f.render()}\n" for f in fields) + "}\n"
            for name, fields in self.inputs.items()
        )
        return "\n".join(parts)
