"""The specs a supergraph links (``@link``, or the older ``@core``) and their names in it.

A supergraph is a core schema: ``schema @link(url: ".../link/v1.0") @link(url:
".../join/v0.3", for: EXECUTION)``. Each link says which spec it uses, under which prefix
(``as:``) and which names it imports unprefixed (``import:``). A feature linked ``for:
EXECUTION`` or ``for: SECURITY`` changes what the schema means, so a reader that does not
know it must refuse the schema.

https://specs.apollo.dev/link/v1.0/ and https://specs.apollo.dev/core/v0.2/
"""

from __future__ import annotations

from graphql import DocumentNode, SchemaDefinitionNode, SchemaExtensionNode

from planner.links import (
    CORE_IDENTITY,
    LINK_IDENTITY,
    SPECS,
    LinkedFeature,
    LinkImport,
    LinkSyntaxError,
    bootstrap_name,
    read_link_applications,
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

JOIN_IDENTITY = SPECS + "join"
INACCESSIBLE_IDENTITY = SPECS + "inaccessible"
CONTEXT_IDENTITY = SPECS + "context"
TAG_IDENTITY = SPECS + "tag"

JOIN_VERSIONS = frozenset({"v0.2", "v0.3", "v0.4", "v0.5"})

# Features we honour when a supergraph links them for EXECUTION or SECURITY. The security
# ones are accepted and recorded here; the router enforces them (authorization plugin).
SUPPORTED_FEATURES: dict[str, frozenset[str]] = {
    LINK_IDENTITY: frozenset({"v1.0"}),
    CORE_IDENTITY: frozenset({"v0.1", "v0.2"}),
    JOIN_IDENTITY: JOIN_VERSIONS,
    INACCESSIBLE_IDENTITY: frozenset({"v0.1", "v0.2"}),
    TAG_IDENTITY: frozenset({"v0.1", "v0.2", "v0.3"}),
    SPECS + "authenticated": frozenset({"v0.1"}),
    SPECS + "requiresScopes": frozenset({"v0.1"}),
    SPECS + "policy": frozenset({"v0.1"}),
    CONTEXT_IDENTITY: frozenset({"v0.1"}),
}

# Features whose meaning we apply ourselves: an unknown version is refused even without
# ``for:``, because reading it wrongly would leak inaccessible elements or misroute fields.
_INTERPRETED = (JOIN_IDENTITY, INACCESSIBLE_IDENTITY, CONTEXT_IDENTITY, LINK_IDENTITY)


def read_links(document: DocumentNode) -> tuple[LinkedFeature, ...]:
    """Every feature the schema links, in order, the link (or core) spec itself included."""
    applications = [
        directive
        for definition in document.definitions
        if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode)
        for directive in definition.directives or ()
    ]
    bootstrap = bootstrap_name(applications)
    if bootstrap is None:
        raise SupergraphError(
            "INVALID_SUPERGRAPH",
            'not a core schema: the schema has no @link(url: "https://specs.apollo.dev/'
            'link/v1.0") (nor the older @core) application',
        )
    try:
        links = read_link_applications(applications, bootstrap)
    except LinkSyntaxError as exc:
        raise SupergraphError("INVALID_SUPERGRAPH", exc.message) from None
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
