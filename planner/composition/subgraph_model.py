"""A subgraph schema as composition sees it: types and fields with federation directives read.

Built by `read_subgraph`; federation directive names are canonical here (`key`, `shareable`...)
whatever the subgraph imported them as. Type references are printed strings ("[Int!]!").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import Node

__all__ = [
    "ROOT_KINDS",
    "EnumValueDef",
    "FieldDef",
    "InputValueDef",
    "KeyDef",
    "Subgraph",
    "TypeDef",
]

ROOT_KINDS = ("query", "mutation", "subscription")
DEFAULT_ROOT_NAMES = {
    "query": "Query",
    "mutation": "Mutation",
    "subscription": "Subscription",
}


@dataclass(slots=True)
class Applied:
    """Non-join directives merged into the supergraph: @inaccessible, @tag, @deprecated,
    @authenticated, @requiresScopes, @policy."""

    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    deprecated: bool = False
    deprecation_reason: str | None = None  # None: @deprecated without a reason argument
    composed: list[str] = field(
        default_factory=list
    )  # printed @composeDirective'd applications
    # @authenticated, and each distinct @requiresScopes(scopes:) and @policy(policies:)
    # value (merged later)
    authenticated: bool = False
    scopes: list[list[list[str]]] = field(default_factory=list)
    policies: list[list[list[str]]] = field(default_factory=list)
    # "authenticated" / "requiresScopes" / "policy" in the order first applied (the
    # order of type-level requirements)
    auth_order: list[str] = field(default_factory=list)


@dataclass(slots=True)
class InputValueDef:
    name: str
    type: str
    default: str | None  # printed GraphQL literal
    description: str | None
    applied: Applied
    node: Node | None = None


@dataclass(slots=True)
class FieldDef:
    name: str
    type: str
    args: dict[str, InputValueDef]
    description: str | None
    applied: Applied
    external: bool = False
    shareable: bool = False
    requires: str | None = None
    provides: str | None = None
    override: str | None = None
    override_label: str | None = None
    from_extension: bool = False
    node: Node | None = None


@dataclass(slots=True)
class EnumValueDef:
    name: str
    description: str | None
    applied: Applied
    node: Node | None = None


@dataclass(slots=True)
class KeyDef:
    fields: str
    resolvable: bool = True
    node: Node | None = None


@dataclass(slots=True)
class TypeDef:
    name: str
    kind: str  # OBJECT, INTERFACE, UNION, ENUM, INPUT_OBJECT, SCALAR
    description: str | None
    applied: Applied
    fields: dict[str, FieldDef] = field(default_factory=dict)
    input_fields: dict[str, InputValueDef] = field(default_factory=dict)
    interfaces: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    values: dict[str, EnumValueDef] = field(default_factory=dict)
    keys: list[KeyDef] = field(default_factory=list)
    shareable: bool = False
    interface_object: bool = False
    extension: bool = False  # declared only by `extend type` (or @extends)
    declared_extends: bool = False  # carries @extends
    specified_by: str | None = None
    node: Node | None = None

    @property
    def is_entity(self) -> bool:
        return bool(self.keys)


@dataclass(frozen=True, slots=True)
class DirectiveDef:
    """A subgraph's own directive definition (federation directives excluded)."""

    name: str
    args: tuple[InputValueDef, ...]
    locations: tuple[str, ...]
    repeatable: bool
    description: str | None = None


@dataclass(slots=True)
class Subgraph:
    name: str
    url: str
    fed2: bool
    version: tuple[int, int]  # federation version; (1, 0) for Federation 1 subgraphs
    types: dict[str, TypeDef]
    roots: dict[
        str, str
    ]  # operation kind -> root type name (already renamed to the default)
    # canonical federation directive -> the name this subgraph uses for it (for messages)
    directive_names: dict[str, str] = field(default_factory=dict)
    directives: dict[str, DirectiveDef] = field(default_factory=dict)
    # @composeDirective'd directive name -> the url of the @link importing it
    composed: dict[str, str] = field(default_factory=dict)
    # (type, field) pairs selected by a @key of their type, and by any @key/@requires/@provides
    key_fields: set[tuple[str, str]] = field(default_factory=set)
    used_fields: set[tuple[str, str]] = field(default_factory=set)

    def directive(self, canonical: str) -> str:
        """How this subgraph spells a federation directive, for messages."""
        return "@" + self.directive_names.get(canonical, canonical)

    def root_kind(self, type_name: str) -> str | None:
        for kind, name in self.roots.items():
            if name == type_name:
                return kind
        return None
