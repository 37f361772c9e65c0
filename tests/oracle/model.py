"""The generator's model of a world's schema, and its printing as subgraph SDLs.

A ``Model`` holds every type once, with, for each field, the subgraphs that resolve it
and how each declares it (shared, ``@external``, ``@requires``, ``@provides``,
``@override``, another nullability). ``print_subgraph`` writes the Federation 2 SDL each
subgraph would own. ``oracle.generate`` fills the model at random; the printed SDLs are
what the rest of the oracle sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["FEDERATION_LINK", "GenField", "GenType", "Model", "print_subgraph"]

FEDERATION_LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: '
    '["@key", "@shareable", "@external", "@requires", "@provides", "@override", '
    '"@inaccessible", "@interfaceObject"])'
)


@dataclass
class GenArg:
    name: str
    type: str
    default: str | None = None

    def print(self) -> str:
        text = f"{self.name}: {self.type}"
        return text + (f" = {self.default}" if self.default is not None else "")


@dataclass
class GenField:
    name: str
    type: str  # in the supergraph, e.g. "[Book!]!"
    args: list[GenArg] = field(default_factory=list)
    resolvers: list[str] = field(default_factory=list)  # more than one: @shareable
    variants: dict[str, str] = field(default_factory=dict)  # subgraph -> its own type
    external: set[str] = field(default_factory=set)  # subgraphs with an @external copy
    requires: str | None = None  # declared by resolvers[0]
    provides: dict[str, str] = field(default_factory=dict)  # subgraph -> field set
    override_from: str | None = None  # the old owner, which keeps a plain copy
    override_label: str | None = None
    inaccessible: bool = False
    failing: bool = False  # some records hold an error for it
    key: bool = False  # a key field (in the subgraphs whose keys name it)
    # Some subgraph @provides it: its owners must mark it @shareable.
    provided: bool = False
    # Resolved for implementations by an @interfaceObject (no subgraph defines it on
    # the implementation itself).
    via_interface_object: bool = False

    @property
    def named(self) -> str:
        return self.type.replace("[", "").replace("]", "").replace("!", "")

    @property
    def is_list(self) -> bool:
        return self.type.startswith("[")

    @property
    def non_null(self) -> bool:
        return self.type.endswith("!")

    def printed_in(self, subgraph: str) -> bool:
        return (
            subgraph in self.resolvers
            or subgraph in self.external
            or subgraph == self.override_from
        )


@dataclass
class GenType:
    name: str
    kind: str  # "entity" | "value" | "input" | "interface" | "union" | "enum" | "root"
    fields: dict[str, GenField] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)
    home: str = ""
    # entity: subgraph -> its keys, each (field set, resolvable)
    presence: dict[str, list[tuple[str, bool]]] = field(default_factory=dict)
    # entity: subgraph -> interfaces it implements there
    implements: dict[str, list[str]] = field(default_factory=dict)
    # interface: subgraphs defining it; for an entity interface, its key is "id"
    defined_in: list[str] = field(default_factory=list)
    entity_interface: bool = False
    interface_objects: list[str] = field(default_factory=list)
    implementers: list[str] = field(default_factory=list)
    # union: subgraph -> members there
    members: dict[str, list[str]] = field(default_factory=dict)
    values: list[str] = field(default_factory=list)  # enum

    def key_fields_in(self, subgraph: str) -> set[str]:
        names: set[str] = set()
        for key, _ in self.presence.get(subgraph, ()):
            names.update(_top_level_names(key))
        return names


def _top_level_names(field_set: str) -> list[str]:
    names: list[str] = []
    depth = 0
    for token in field_set.replace("{", " { ").replace("}", " } ").split():
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
        elif depth == 0:
            names.append(token)
    return names


@dataclass
class Model:
    subgraphs: list[str]
    types: dict[str, GenType] = field(default_factory=dict)

    @property
    def query(self) -> GenType:
        return self.types["Query"]

    def entities(self) -> list[GenType]:
        return [t for t in self.types.values() if t.kind == "entity"]

    def possible_in(self, type_name: str, subgraph: str) -> list[str]:
        """Object types a value of ``type_name`` can be when ``subgraph`` returns it."""
        gen = self.types[type_name]
        if gen.kind == "union":
            return list(gen.members.get(subgraph, ()))
        if gen.kind == "interface":
            if subgraph in gen.interface_objects:
                return list(gen.implementers)
            return [
                name
                for name in gen.implementers
                if type_name in self.types[name].implements.get(subgraph, ())
            ]
        return [type_name]

    def defines(self, type_name: str, subgraph: str) -> bool:
        gen = self.types[type_name]
        if gen.kind == "entity":
            return subgraph in gen.presence
        if gen.kind == "interface":
            return subgraph in gen.defined_in or subgraph in gen.interface_objects
        if gen.kind == "union":
            return subgraph in gen.members
        return True


def _field_line(gen_field: GenField, subgraph: str, shareable: bool = True) -> str:
    args = ""
    if gen_field.args:
        args = "(" + ", ".join(a.print() for a in gen_field.args) + ")"
    type_text = gen_field.variants.get(subgraph, gen_field.type)
    directives: list[str] = []
    if subgraph in gen_field.external:
        directives.append("@external")
    elif subgraph in gen_field.resolvers:
        if (
            shareable
            and (len(gen_field.resolvers) > 1 or gen_field.provided)
            and not gen_field.key
        ):
            directives.append("@shareable")
        if gen_field.requires is not None and subgraph == gen_field.resolvers[0]:
            directives.append(f'@requires(fields: "{_escape(gen_field.requires)}")')
        if subgraph in gen_field.provides:
            provided = _escape(gen_field.provides[subgraph])
            directives.append(f'@provides(fields: "{provided}")')
        if gen_field.override_from is not None and subgraph == gen_field.resolvers[0]:
            label = (
                f', label: "{gen_field.override_label}"'
                if gen_field.override_label
                else ""
            )
            directives.append(f'@override(from: "{gen_field.override_from}"{label})')
    if gen_field.inaccessible and subgraph not in gen_field.external:
        directives.append("@inaccessible")
    tail = (" " + " ".join(directives)) if directives else ""
    return f"  {gen_field.name}{args}: {type_text}{tail}"


def _escape(field_set: str) -> str:
    return field_set.replace("\\", "\\\\").replace('"', '\\"')


def _referenced(model: Model, subgraph: str, lines_types: list[GenType]) -> set[str]:
    names: set[str] = set()
    for gen in lines_types:
        for gen_field in gen.fields.values():
            if (
                gen.kind == "value"
                or gen_field.printed_in(subgraph)
                or (
                    gen.kind == "entity"
                    and gen_field.name in gen.key_fields_in(subgraph)
                )
            ):
                names.add(gen_field.named)
                names.update(
                    a.type.replace("[", "").replace("]", "").replace("!", "")
                    for a in gen_field.args
                )
    return names


def print_subgraph(model: Model, subgraph: str) -> str:
    """The SDL ``subgraph`` owns in this model."""
    blocks: list[str] = [FEDERATION_LINK]
    composite: list[GenType] = []
    for gen in model.types.values():
        if gen.kind == "root":
            lines = [
                _field_line(f, subgraph)
                for f in gen.fields.values()
                if f.printed_in(subgraph)
            ]
            if lines:
                blocks.append(f"type {gen.name} {{\n" + "\n".join(lines) + "\n}")
                composite.append(gen)
        elif gen.kind == "entity" and subgraph in gen.presence:
            blocks.append(_print_entity(gen, subgraph))
            composite.append(gen)
        elif gen.kind == "interface" and subgraph in gen.defined_in:
            key = ' @key(fields: "id")' if gen.entity_interface else ""
            lines = [
                _field_line(f, subgraph, shareable=False)
                for f in gen.fields.values()
                if subgraph in f.resolvers
            ]
            blocks.append(f"interface {gen.name}{key} {{\n" + "\n".join(lines) + "\n}")
            composite.append(gen)
        elif gen.kind == "interface" and subgraph in gen.interface_objects:
            lines = [
                _field_line(f, subgraph)
                for f in gen.fields.values()
                if f.printed_in(subgraph)
            ]
            blocks.append(
                f'type {gen.name} @key(fields: "id") @interfaceObject {{\n'
                + "\n".join(lines)
                + "\n}"
            )
            composite.append(gen)
        elif gen.kind == "union" and subgraph in gen.members:
            blocks.append(f"union {gen.name} = " + " | ".join(gen.members[subgraph]))
    # Value types and enums: wherever something printed above names them (value types
    # can name enums, so those are collected after value types).
    referenced = _referenced(model, subgraph, composite)
    values = [
        gen
        for gen in model.types.values()
        if gen.kind == "value" and gen.name in referenced
    ]
    referenced |= _referenced(model, subgraph, values)
    for gen in values:
        lines = [_field_line(f, subgraph) for f in gen.fields.values()]
        blocks.append(f"type {gen.name} @shareable {{\n" + "\n".join(lines) + "\n}")
    # Input types (arguments): the same fields in every subgraph that names them.
    for gen in model.types.values():
        if gen.kind == "input" and gen.name in referenced:
            referenced |= {f.named for f in gen.fields.values()}
            lines = [f"  {f.name}: {f.type}" for f in gen.fields.values()]
            blocks.append(f"input {gen.name} {{\n" + "\n".join(lines) + "\n}")
    for gen in model.types.values():
        if gen.kind == "enum" and gen.name in referenced:
            blocks.append(f"enum {gen.name} {{ " + " ".join(gen.values) + " }")
    return "\n\n".join(blocks) + "\n"


def _print_entity(gen: GenType, subgraph: str) -> str:
    keys = gen.presence[subgraph]
    key_fields = gen.key_fields_in(subgraph)
    directives = "".join(
        f' @key(fields: "{key}"' + ("" if resolvable else ", resolvable: false") + ")"
        for key, resolvable in keys
    )
    interfaces = gen.implements.get(subgraph, [])
    implements = (" implements " + " & ".join(interfaces)) if interfaces else ""
    lines = []
    for gen_field in gen.fields.values():
        if gen_field.name in key_fields or gen_field.printed_in(subgraph):
            lines.append(_field_line(gen_field, subgraph))
    return f"type {gen.name}{implements}{directives} {{\n" + "\n".join(lines) + "\n}"
