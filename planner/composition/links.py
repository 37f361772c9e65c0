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

from graphql import DirectiveNode, value_from_ast_untyped

__all__ = [
    "FEDERATION_DIRECTIVES",
    "FederationLink",
    "LinkError",
    "directive_args",
    "read_links",
]

FEDERATION_URL = "https://specs.apollo.dev/federation/"
LINK_URL = "https://specs.apollo.dev/link/"

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
_URL = re.compile(
    r"^(?P<base>.*/)(?P<name>[A-Za-z_][A-Za-z0-9_-]*)/v(?P<major>\d+)\.(?P<minor>\d+)/?$"
)


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

    @property
    def is_fed2(self) -> bool:
        return self.version is not None

    def local_name(self, canonical: str) -> str:
        for local, name in self.directives.items():
            if name == canonical:
                return local
        return canonical


def directive_args(node: DirectiveNode) -> dict[str, object]:
    return {a.name.value: value_from_ast_untyped(a.value) for a in node.arguments or ()}


def read_links(schema_directives: list[DirectiveNode]) -> FederationLink:
    """Interprets the `@link`s applied to a subgraph's schema definition or extensions."""
    fed: tuple[dict[str, object], tuple[int, int]] | None = None
    for node in schema_directives:
        if node.name.value != "link":
            continue
        args = directive_args(node)
        url = args.get("url")
        if not isinstance(url, str):
            raise LinkError(
                "INVALID_LINK_DIRECTIVE_USAGE",
                "@link must have a string 'url' argument",
            )
        match = _URL.match(url)
        if not match:
            raise LinkError(
                "INVALID_LINK_IDENTIFIER",
                f'Invalid url "{url}" in @link: it must end with a name and a version like /federation/v2.3',
            )
        if url.startswith(FEDERATION_URL):
            if fed is not None:
                raise LinkError(
                    "INVALID_LINK_DIRECTIVE_USAGE",
                    "the federation spec is linked more than once",
                )
            major, minor = int(match["major"]), int(match["minor"])
            if major != 2 or minor not in KNOWN_MINOR_VERSIONS:
                raise LinkError(
                    "UNKNOWN_FEDERATION_LINK_VERSION",
                    f"Invalid version v{major}.{minor} for the federation feature in @link directive on schema",
                )
            fed = (args, (major, minor))
    if fed is None:
        names = {d: d for d in FED1_DIRECTIVES}
        return FederationLink(
            version=None, directives=names, types={"_FieldSet": "FieldSet"}
        )
    args, version = fed
    return FederationLink(version=version, **_imports(args, version))


def _imports(
    args: dict[str, object], version: tuple[int, int]
) -> dict[str, dict[str, str]]:
    namespace = args.get("as") or "federation"
    if not isinstance(namespace, str):
        raise LinkError("INVALID_LINK_DIRECTIVE_USAGE", "@link(as:) must be a string")
    available = {d for d, minor in FEDERATION_DIRECTIVES.items() if minor <= version[1]}
    directives = {f"{namespace}__{d}": d for d in available}
    types = {f"{namespace}__{t}": t for t in FEDERATION_TYPES}
    imports = args.get("import") or []
    if not isinstance(imports, list):
        raise LinkError("INVALID_LINK_DIRECTIVE_USAGE", "@link(import:) must be a list")
    for item in imports:
        if isinstance(item, str):
            name, alias = item, item
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            name = str(item["name"])
            alias = str(item.get("as") or name)
            if name.startswith("@") != alias.startswith("@"):
                raise LinkError(
                    "INVALID_LINK_DIRECTIVE_USAGE",
                    f'Invalid @link import renaming: directive "{name}" imported name should start with a "@" character, but got "{alias}".',
                )
        else:
            raise LinkError(
                "INVALID_LINK_DIRECTIVE_USAGE",
                f"Invalid sub-value {item!r} for @link(import:) argument",
            )
        if name.startswith("@"):
            canonical = name[1:]
            if canonical not in available:
                raise LinkError(
                    "INVALID_LINK_DIRECTIVE_USAGE",
                    f'Cannot import unknown element "{name}" from federation v{version[0]}.{version[1]}.',
                )
            directives.pop(f"{namespace}__{canonical}", None)
            directives[alias[1:]] = canonical
        elif name in FEDERATION_TYPES:
            types[alias] = name
        else:
            raise LinkError(
                "INVALID_LINK_DIRECTIVE_USAGE",
                f'Cannot import unknown element "{name}" from federation v{version[0]}.{version[1]}.',
            )
    return {"directives": directives, "types": types}
