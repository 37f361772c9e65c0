"""The merged supergraph before printing: API elements plus their join-spec metadata."""

from __future__ import annotations

from dataclasses import dataclass, field

from planner.composition.subgraph_model import Applied

__all__ = [
    "JoinField",
    "JoinType",
    "MergedDirective",
    "MergedEnumValue",
    "MergedField",
    "MergedInputValue",
    "MergedType",
    "SupergraphModel",
]


@dataclass(slots=True)
class JoinType:
    graph: str
    key: str | None = None
    extension: bool = False
    resolvable: bool = True
    interface_object: bool = False


@dataclass(slots=True)
class JoinField:
    graph: (
        str | None
    )  # None: a bare `@join__field` (field only reachable through an @interfaceObject)
    requires: str | None = None
    provides: str | None = None
    type: str | None = None
    external: bool = False
    override: str | None = None
    used_overridden: bool = False
    override_label: str | None = None


@dataclass(slots=True)
class MergedInputValue:
    name: str
    type: str
    default: str | None
    description: str | None
    applied: Applied
    join_fields: list[JoinField] = field(default_factory=list)


@dataclass(slots=True)
class MergedField:
    name: str
    type: str
    args: dict[str, MergedInputValue]
    description: str | None
    applied: Applied
    join_fields: list[JoinField] = field(default_factory=list)
    # added to an implementation because an @interfaceObject declares it: Apollo copies
    # the interface field's directives before adding the bare @join__field
    from_interface_object: bool = False


@dataclass(slots=True)
class MergedEnumValue:
    name: str
    description: str | None
    applied: Applied
    graphs: list[str] = field(default_factory=list)


@dataclass(slots=True)
class MergedType:
    name: str
    kind: str
    description: str | None
    applied: Applied
    join_types: list[JoinType] = field(default_factory=list)
    join_implements: list[tuple[str, str]] = field(default_factory=list)
    join_members: list[tuple[str, str]] = field(default_factory=list)
    interfaces: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    fields: dict[str, MergedField] = field(default_factory=dict)
    input_fields: dict[str, MergedInputValue] = field(default_factory=dict)
    values: dict[str, MergedEnumValue] = field(default_factory=dict)
    specified_by: str | None = None


@dataclass(slots=True)
class MergedDirective:
    """A directive definition the supergraph keeps besides the join and link ones: an
    executable directive every subgraph defines, or a `@composeDirective`'d one."""

    name: str
    description: str | None
    args: dict[str, MergedInputValue]
    locations: list[str]
    repeatable: bool


@dataclass(slots=True)
class SupergraphModel:
    graphs: list[
        tuple[str, str, str]
    ]  # (enum value, subgraph name, url), in name order
    roots: dict[str, str]  # operation kind -> type name
    types: dict[str, MergedType]
    join_version: str  # "0.3", "0.4" or "0.5"
    # executable and @composeDirective'd directive definitions, by name
    directives: dict[str, MergedDirective] = field(default_factory=dict)
    composed_links: dict[str, list[str]] = field(
        default_factory=dict
    )  # url -> imported names
    uses_tag: bool = False
    uses_inaccessible: bool = False
    # "authenticated" / "requiresScopes" / "policy" that subgraphs apply, in link order
    auth_features: list[str] = field(default_factory=list)
    # the same with "tag" and "inaccessible": the order of their links
    feature_order: list[str] = field(default_factory=list)
