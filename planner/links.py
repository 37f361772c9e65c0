"""Reading ``@link`` applications: which specs a schema links, and their names in it.

One reader for subgraphs (the federation spec, ``@composeDirective``'d specs) and for
supergraphs (join, inaccessible, tag, ...). Each link says which spec it uses (its url:
identity, name, version), under which prefix (``as:``) and which names it imports
unprefixed (``import: ["@key", {name: "@provides", as: "@gives"}]``). A spec's directive
``@d`` is then ``@<alias>`` when imported, else ``@<prefix>__d`` (``@<prefix>`` for the
directive named after the spec). Older supergraphs use ``@core(feature:)`` the same way.

https://specs.apollo.dev/link/v1.0/ and https://specs.apollo.dev/core/v0.2/
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from graphql import DirectiveNode, value_from_ast_untyped

__all__ = [
    "CORE_IDENTITY",
    "FEDERATION_IDENTITY",
    "LINK_IDENTITY",
    "LinkImport",
    "LinkSyntaxError",
    "LinkedFeature",
    "bootstrap_name",
    "directive_arguments",
    "read_link_applications",
]

SPECS = "https://specs.apollo.dev/"
LINK_IDENTITY = SPECS + "link"
CORE_IDENTITY = SPECS + "core"
FEDERATION_IDENTITY = SPECS + "federation"

_VERSION = re.compile(r"^v(\d+)\.(\d+)$")


class LinkSyntaxError(Exception):
    """A ``@link`` application that cannot be read; ``code`` is Apollo's code for it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


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

    @property
    def version_numbers(self) -> tuple[int, int] | None:
        """``v2.7`` as (2, 7); None when the url names no version."""
        match = _VERSION.match(self.version or "")
        return (int(match[1]), int(match[2])) if match else None

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


def directive_arguments(directive: DirectiveNode) -> dict[str, object]:
    """A directive application's arguments as plain Python values."""
    return {
        argument.name.value: value_from_ast_untyped(argument.value)
        for argument in directive.arguments or ()
    }


def bootstrap_name(applications: Sequence[DirectiveNode]) -> str | None:
    """The name under which the schema applies the link (or core) spec to itself."""
    for directive in applications:
        args = directive_arguments(directive)
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


def read_link_applications(
    applications: Iterable[DirectiveNode], link_name: str
) -> tuple[LinkedFeature, ...]:
    """Every ``@<link_name>`` application among ``applications``, read, in order."""
    return tuple(
        _read_link(directive)
        for directive in applications
        if directive.name.value == link_name
    )


def _read_link(directive: DirectiveNode) -> LinkedFeature:
    args = directive_arguments(directive)
    url = args.get("url", args.get("feature"))
    if not isinstance(url, str):
        raise LinkSyntaxError(
            "INVALID_LINK_DIRECTIVE_USAGE",
            f"@{directive.name.value} must have a string 'url' argument",
        )
    identity, name, version = _parse_url(url)
    alias = args.get("as")
    if alias is not None and not isinstance(alias, str):
        raise LinkSyntaxError(
            "INVALID_LINK_DIRECTIVE_USAGE",
            f"@{directive.name.value}(as:) must be a string",
        )
    purpose = args.get("for")
    return LinkedFeature(
        url=url,
        identity=identity,
        name=name,
        version=version,
        name_in_schema=alias if alias is not None else name,
        purpose=purpose if isinstance(purpose, str) else None,
        imports=_imports(directive.name.value, args.get("import")),
    )


def _imports(link_name: str, value: object) -> tuple[LinkImport, ...]:
    if value is None:
        return ()
    entries = value if isinstance(value, list) else [value]
    imports: list[LinkImport] = []
    for entry in entries:
        if isinstance(entry, str):
            imports.append(LinkImport(entry, entry))
            continue
        if not (isinstance(entry, dict) and isinstance(entry.get("name"), str)):
            raise LinkSyntaxError(
                "INVALID_LINK_DIRECTIVE_USAGE",
                f"Invalid sub-value {entry!r} for @{link_name}(import:) argument",
            )
        name: str = entry["name"]
        alias = entry.get("as")
        alias = alias if isinstance(alias, str) else name
        if name.startswith("@") and not alias.startswith("@"):
            raise LinkSyntaxError(
                "INVALID_LINK_DIRECTIVE_USAGE",
                f'Invalid @link import renaming: directive "{name}" imported name should start with a "@" character, but got "{alias}".',
            )
        if alias.startswith("@") and not name.startswith("@"):
            raise LinkSyntaxError(
                "INVALID_LINK_DIRECTIVE_USAGE",
                f'Invalid @link import renaming: type "{name}" imported name should not start with a "@" character, but got "{alias}" (or you may have meant to import a directive, which must start with "@").',
            )
        imports.append(LinkImport(name, alias))
    return tuple(imports)


def _parse_url(url: str) -> tuple[str, str, str | None]:
    """(identity, name, version) of a spec url: ``https://x/join/v0.3`` → join, v0.3."""
    parts = urlsplit(url)
    segments = [segment for segment in parts.path.split("/") if segment]
    version = segments.pop() if segments and _VERSION.match(segments[-1]) else None
    name = segments[-1] if segments else ""
    identity = f"{parts.scheme}://{parts.netloc}/{'/'.join(segments)}"
    return identity, name, version
