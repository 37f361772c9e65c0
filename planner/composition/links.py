"""Reading a subgraph's `@link` applications: federation version and directive names.

A Federation 2 subgraph names the federation spec with
`@link(url: "https://specs.apollo.dev/federation/v2.x", import: [...])`. Imported
directives keep their (possibly renamed, `as:`) names; the others are reachable as
`@<namespace>__<name>` with namespace `federation` unless the link says `as:`.
A subgraph with no federation link is a Federation 1 subgraph, whose directives use
their plain names. See https://specs.apollo.dev/link/v1.0/.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from graphql import DirectiveNode

from planner.links import (
    FEDERATION_IDENTITY,
    LinkedFeature,
    LinkSyntaxError,
    bootstrap_name,
    read_link_applications,
)

__all__ = [
    "FEDERATION_DIRECTIVES",
    "FederationLink",
    "LinkError",
    "read_links",
]


# Directive -> the federation 2 minor version that introduced it.
FEDERATION_DIRECTIVES: dict[str, int] = {
    "key": 0,
    "external": 0,
    "requires": 0,
    "provides": 0,
    "shareable": 0,
    "override": 0,
    "inaccessible": 0,
    "tag": 0,
    "extends": 0,
    "composeDirective": 1,
    "interfaceObject": 3,
    "authenticated": 5,
    "requiresScopes": 5,
    "policy": 6,
    "context": 8,
    "fromContext": 8,
    "cost": 9,
    "listSize": 9,
}
FEDERATION_TYPES = ("FieldSet", "Scope", "Policy", "ContextFieldValue")
KNOWN_MINOR_VERSIONS = range(0, 14)
FED1_DIRECTIVES = (
    "key",
    "external",
    "requires",
    "provides",
    "extends",
    "tag",
    "inaccessible",
)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


class LinkError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(slots=True)
class FederationLink:
    """What a subgraph's links say: its federation version and local directive names."""

    version: tuple[int, int] | None  # None: a Federation 1 subgraph
    # local directive name (no '@') -> canonical federation directive name
    directives: dict[str, str] = field(default_factory=dict)
    # local type name -> canonical federation type name (FieldSet, ...)
    types: dict[str, str] = field(default_factory=dict)
    # every @link on the schema, the federation one included
    features: tuple[LinkedFeature, ...] = ()

    @property
    def is_fed2(self) -> bool:
        return self.version is not None

    def local_name(self, canonical: str) -> str:
        for local, name in self.directives.items():
            if name == canonical:
                return local
        return canonical


def read_links(schema_directives: list[DirectiveNode]) -> FederationLink:
    """Interprets the `@link`s applied to a subgraph's schema definition or extensions."""
    link_name = bootstrap_name(schema_directives) or "link"
    try:
        features = read_link_applications(schema_directives, link_name)
    except LinkSyntaxError as exc:
        raise LinkError(exc.code, exc.message) from None
    fed: LinkedFeature | None = None
    for feature in features:
        if feature.version_numbers is None or not _NAME.match(feature.name):
            raise LinkError(
                "INVALID_LINK_IDENTIFIER",
                f'Invalid url "{feature.url}" in @link: it must end with a name and a version like /federation/v2.3',
            )
        if feature.identity != FEDERATION_IDENTITY:
            continue
        if fed is not None:
            raise LinkError(
                "INVALID_LINK_DIRECTIVE_USAGE",
                "the federation spec is linked more than once",
            )
        major, minor = feature.version_numbers
        if major != 2 or minor not in KNOWN_MINOR_VERSIONS:
            raise LinkError(
                "UNKNOWN_FEDERATION_LINK_VERSION",
                f"Invalid version v{major}.{minor} for the federation feature in @link directive on schema",
            )
        fed = feature
    if fed is None:
        names = {d: d for d in FED1_DIRECTIVES}
        return FederationLink(
            version=None,
            directives=names,
            types={"_FieldSet": "FieldSet"},
            features=features,
        )
    return FederationLink(
        version=fed.version_numbers,
        features=features,
        **_federation_names(fed),
    )


def _federation_names(fed: LinkedFeature) -> dict[str, dict[str, str]]:
    """The subgraph's names for the federation directives and types its link makes
    available: imported ones under their (possibly renamed) names, the others prefixed."""
    assert fed.version_numbers is not None
    major, minor = fed.version_numbers
    available = {d for d, since in FEDERATION_DIRECTIVES.items() if since <= minor}
    for imported in fed.imports:
        spec_name = imported.name.removeprefix("@")
        known = (
            spec_name in available
            if imported.name.startswith("@")
            else spec_name in FEDERATION_TYPES
        )
        if not known:
            raise LinkError(
                "INVALID_LINK_DIRECTIVE_USAGE",
                f'Cannot import unknown element "{imported.name}" from federation v{major}.{minor}.',
            )
    return {
        "directives": {fed.directive_name(d): d for d in available},
        # a type stays reachable under its prefixed name when imported
        "types": {f"{fed.name_in_schema}__{t}": t for t in FEDERATION_TYPES}
        | {fed.type_name(t): t for t in FEDERATION_TYPES},
    }
