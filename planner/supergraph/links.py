"""The specs a supergraph links (``@link``, or the older ``@core``) and their names in it.

A supergraph is a core schema: ``schema @link(url: ".../link/v1.0") @link(url:
".../join/v0.3", for: EXECUTION)``. Each link says which spec it uses, under which prefix
(``as:``) and which names it imports unprefixed (``import:``). A feature linked ``for:
EXECUTION`` or ``for: SECURITY`` changes what the schema means, so a reader that does not
know it must refuse the schema.

https://specs.apollo.dev/link/v1.0/ and https://specs.apollo.dev/core/v0.2/
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from graphql import (
    DirectiveNode,
    DocumentNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    value_from_ast_untyped,
)

from planner.supergraph.error import SupergraphError

__all__ = [
    "CONTEXT_IDENTITY",
    "INACCESSIBLE_IDENTITY",
    "JOIN_IDENTITY",
    "SUPPORTED_FEATURES",
    "TAG_IDENTITY",
    "LinkImport",
    "LinkedFeature",
    "check_links",
    "read_links",
]

_SPECS = "https://specs.apollo.dev/"
LINK_IDENTITY = _SPECS + "link"
CORE_IDENTITY = _SPECS + "core"
JOIN_IDENTITY = _SPECS + "join"
INACCESSIBLE_IDENTITY = _SPECS + "inaccessible"
CONTEXT_IDENTITY = _SPECS + "context"
TAG_IDENTITY = _SPECS + "tag"

JOIN_VERSIONS = frozenset({"v0.2", "v0.3", "v0.4", "v0.5"})

# Features we honour when a supergraph links them for EXECUTION or SECURITY. The security
# ones are accepted and recorded here; the router enforces them (authorization plugin).
SUPPORTED_FEATURES: dict[str, frozenset[str]] = {
    LINK_IDENTITY: frozenset({"v1.0"}),
    CORE_IDENTITY: frozenset({"v0.1", "v0.2"}),
    JOIN_IDENTITY: JOIN_VERSIONS,
    INACCESSIBLE_IDENTITY: frozenset({"v0.1", "v0.2"}),
    TAG_IDENTITY: frozenset({"v0.1", "v0.2", "v0.3"}),
    _SPECS + "authenticated": frozenset({"v0.1"}),
    _SPECS + "requiresScopes": frozenset({"v0.1"}),
    _SPECS + "policy": frozenset({"v0.1"}),
    CONTEXT_IDENTITY: frozenset({"v0.1"}),
}

# Features whose meaning we apply ourselves: an unknown version is refused even without
# ``for:``, because reading it wrongly would leak inaccessible elements or misroute fields.
_INTERPRETED = (JOIN_IDENTITY, INACCESSIBLE_IDENTITY, CONTEXT_IDENTITY, LINK_IDENTITY)

_VERSION = re.compile(r"^v\d+\.\d+$")


@dataclass(frozen=True, slots=True)
class LinkImport:
    """One ``import:`` entry: ``name`` as the spec spells it (``@key``, ``FieldSet``)."""

    name: str
    alias: str


@dataclass(frozen=True, slots=True)
class LinkedFeature:
    """One ``@link`` (or ``@core``) application on the schema."""

    url: str
    identity: str
    name: str
    version: str | None
    name_in_schema: str
    purpose: str | None
    imports: tuple[LinkImport, ...] = ()

    def directive_name(self, spec_name: str) -> str:
        """The schema's name for the spec's directive ``@spec_name`` (without the ``@``)."""
        for imported in self.imports:
            if imported.name == "@" + spec_name:
                return imported.alias[1:]
        if spec_name == self.name:
            return self.name_in_schema
        return f"{self.name_in_schema}__{spec_name}"

    def type_name(self, spec_name: str) -> str:
        """The schema's name for the spec's type ``spec_name``."""
        for imported in self.imports:
            if imported.name == spec_name:
                return imported.alias
        return f"{self.name_in_schema}__{spec_name}"

    def owns_directive(self, name: str) -> bool:
        """Whether the directive definition ``@name`` belongs to this feature."""
        return (
            name == self.name_in_schema
            or name.startswith(self.name_in_schema + "__")
            or any(imported.alias == "@" + name for imported in self.imports)
        )

    def owns_type(self, name: str) -> bool:
        """Whether the type ``name`` belongs to this feature."""
        return name.startswith(self.name_in_schema + "__") or any(
            imported.alias == name for imported in self.imports
        )


def read_links(document: DocumentNode) -> tuple[LinkedFeature, ...]:
    """Every feature the schema links, in order, the link (or core) spec itself included."""
    applications = [
        directive
        for definition in document.definitions
        if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode)
        for directive in definition.directives or ()
    ]
    bootstrap = _bootstrap_name(applications)
    if bootstrap is None:
        raise SupergraphError(
            "INVALID_SUPERGRAPH",
            'not a core schema: the schema has no @link(url: "https://specs.apollo.dev/'
            'link/v1.0") (nor the older @core) application',
        )
    links = tuple(
        _read_link(directive)
        for directive in applications
        if directive.name.value == bootstrap
    )
    seen: dict[str, str] = {}
    for link in links:
        if link.name_in_schema in seen:
            raise SupergraphError(
                "INVALID_SUPERGRAPH",
                f"{link.url} and {seen[link.name_in_schema]} both use the name "
                f"{link.name_in_schema!r} in the schema",
            )
        seen[link.name_in_schema] = link.url
    return links


def check_links(links: tuple[LinkedFeature, ...]) -> LinkedFeature:
    """Refuse what we cannot honour; return the join feature."""
    join = next((link for link in links if link.identity == JOIN_IDENTITY), None)
    if join is None:
        raise SupergraphError(
            "INVALID_SUPERGRAPH",
            "not a supergraph: the schema does not link the join spec "
            '(@link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION))',
        )
    if join.version not in JOIN_VERSIONS:
        raise SupergraphError(
            "UNSUPPORTED_JOIN_VERSION",
            f"{join.url}: join spec version {join.version} is not supported "
            f"(supported: {', '.join(sorted(JOIN_VERSIONS))})",
        )
    core = next((link for link in links if link.identity == CORE_IDENTITY), None)
    if (
        core is not None
        and core.version == "v0.1"
        and any(link.purpose for link in links)
    ):
        raise SupergraphError(
            "UNSUPPORTED_LINKED_FEATURE",
            "the for: argument needs core spec v0.2 or later "
            "(https://specs.apollo.dev/core/v0.2), but the schema uses core v0.1",
        )
    refused = [
        f"{link.url} is for: {link.purpose} but is unsupported"
        if link.purpose
        else f"{link.url} is a version we cannot interpret"
        for link in links
        if (link.purpose or link.identity in _INTERPRETED)
        and link.version not in SUPPORTED_FEATURES.get(link.identity, frozenset())
    ]
    if refused:
        raise SupergraphError("UNSUPPORTED_LINKED_FEATURE", "; ".join(refused))
    return join


def _bootstrap_name(applications: Sequence[DirectiveNode]) -> str | None:
    """The name under which the schema applies the link (or core) spec to itself."""
    for directive in applications:
        args = _arguments(directive)
        url = args.get("url", args.get("feature"))
        if not isinstance(url, str):
            continue
        identity, name, _ = _parse_url(url)
        alias = args.get("as")
        if identity in (LINK_IDENTITY, CORE_IDENTITY) and directive.name.value == (
            alias if isinstance(alias, str) else name
        ):
            return directive.name.value
    return None


def _read_link(directive: DirectiveNode) -> LinkedFeature:
    args = _arguments(directive)
    url = args.get("url", args.get("feature"))
    if not isinstance(url, str):
        raise SupergraphError(
            "INVALID_SUPERGRAPH", f"@{directive.name.value} without a url: {args}"
        )
    identity, name, version = _parse_url(url)
    alias = args.get("as")
    purpose = args.get("for")
    return LinkedFeature(
        url=url,
        identity=identity,
        name=name,
        version=version,
        name_in_schema=alias if isinstance(alias, str) else name,
        purpose=purpose if isinstance(purpose, str) else None,
        imports=_imports(url, args.get("import")),
    )


def _imports(url: str, value: object) -> tuple[LinkImport, ...]:
    if value is None:
        return ()
    entries = value if isinstance(value, list) else [value]
    imports: list[LinkImport] = []
    for entry in entries:
        if isinstance(entry, str):
            imports.append(LinkImport(entry, entry))
        elif isinstance(entry, dict) and isinstance(entry.get("name"), str):
            name: str = entry["name"]
            alias = entry.get("as")
            alias = alias if isinstance(alias, str) else name
            if name.startswith("@") != alias.startswith("@"):
                raise SupergraphError(
                    "INVALID_SUPERGRAPH",
                    f"{url}: import {name} as {alias} mixes a directive and a type",
                )
            imports.append(LinkImport(name, alias))
        else:
            raise SupergraphError(
                "INVALID_SUPERGRAPH", f"{url}: invalid import {entry!r}"
            )
    return tuple(imports)


def _parse_url(url: str) -> tuple[str, str, str | None]:
    """(identity, name, version) of a spec url: ``https://x/join/v0.3`` → join, v0.3."""
    parts = urlsplit(url)
    segments = [segment for segment in parts.path.split("/") if segment]
    version = segments.pop() if segments and _VERSION.match(segments[-1]) else None
    name = segments[-1] if segments else ""
    identity = f"{parts.scheme}://{parts.netloc}/{'/'.join(segments)}"
    return identity, name, version


def _arguments(directive: DirectiveNode) -> dict[str, object]:
    return {
        argument.name.value: value_from_ast_untyped(argument.value)
        for argument in directive.arguments or ()
    }
