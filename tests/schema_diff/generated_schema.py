"""A small mutable model of an API schema, its SDL printer and a random drawer.

`random_schema(rng)` draws object types, interfaces, unions, enums, input types,
custom scalars and directives; arguments with and without defaults; nullable,
non-null and list wrappers; deprecations, descriptions and applied directives.
`generated_pairs.py` edits copies of it into schema pairs. Defaults are stored as a
seed and printed for the value's current type, so a type change never leaves a
default the new type cannot hold.
"""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

__all__ = [
    "BUILT_IN_SCALARS",
    "DESCRIPTIONS",
    "LOCATIONS",
    "REASONS",
    "TYPE_LOCATIONS",
    "DirectiveDef",
    "EnumValue",
    "Field",
    "InputValue",
    "Schema",
    "TypeDef",
    "Usage",
    "apply_usage",
    "changed_wrapping",
    "editable_fields",
    "input_type_names",
    "input_values",
    "maybe",
    "named",
    "new_directive",
    "new_field",
    "new_input_value",
    "output_type_names",
    "print_schema",
    "random_schema",
    "rename_type",
    "replace_named",
    "sites",
    "strip_type",
    "wrap",
]

BUILT_IN_SCALARS = ("Int", "Float", "String", "Boolean", "ID")
_WRAPPERS = ("{}", "{}!", "[{}]", "[{}!]", "[{}]!", "[{}!]!")
REASONS = (None, "Use something else", "Going away")
DESCRIPTIONS = ("First words.", "Other words.", "Multi\nline words.")
TYPE_LOCATIONS = {
    "object": "OBJECT",
    "interface": "INTERFACE",
    "union": "UNION",
    "enum": "ENUM",
    "input": "INPUT_OBJECT",
    "scalar": "SCALAR",
}
LOCATIONS = (
    "FIELD_DEFINITION",
    "ARGUMENT_DEFINITION",
    "INPUT_FIELD_DEFINITION",
    "ENUM_VALUE",
    *TYPE_LOCATIONS.values(),
    "FIELD",
    "QUERY",
    "FRAGMENT_SPREAD",
)


@dataclass
class Usage:
    """An applied directive; required arguments are filled in when printed."""

    name: str


@dataclass
class InputValue:
    """A field or directive argument, or an input object field."""

    name: str
    type: str
    default: int | None = None  # seed of the printed literal
    description: str | None = None
    deprecated: str | None = None  # "" means @deprecated without a reason
    usages: list[Usage] = field(default_factory=list)


@dataclass
class Field:
    name: str
    type: str
    args: list[InputValue] = field(default_factory=list)
    description: str | None = None
    deprecated: str | None = None
    usages: list[Usage] = field(default_factory=list)


@dataclass
class EnumValue:
    name: str
    description: str | None = None
    deprecated: str | None = None
    usages: list[Usage] = field(default_factory=list)


@dataclass
class TypeDef:
    kind: str  # object, interface, union, enum, input, scalar
    name: str
    description: str | None = None
    fields: list[Field] = field(default_factory=list)
    interfaces: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    values: list[EnumValue] = field(default_factory=list)
    input_fields: list[InputValue] = field(default_factory=list)
    one_of: bool = False
    usages: list[Usage] = field(default_factory=list)


@dataclass
class DirectiveDef:
    name: str
    locations: list[str]
    args: list[InputValue] = field(default_factory=list)
    repeatable: bool = False
    description: str | None = None


@dataclass
class Schema:
    types: dict[str, TypeDef]
    directives: dict[str, DirectiveDef]
    roots: dict[str, str]  # operation -> type name
    serial: int = 0  # for fresh names

    def fresh(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial}"

    def of_kind(self, *kinds: str) -> list[TypeDef]:
        return [t for t in self.types.values() if t.kind in kinds]


# Type strings ---------------------------------------------------------------------


def named(type_: str) -> str:
    return type_.strip("[]!")


def wrap(rng: random.Random, name: str) -> str:
    return rng.choice(_WRAPPERS).format(name)


def replace_named(type_: str, name: str) -> str:
    return re.sub(r"\w+", name, type_, count=1)


def changed_wrapping(rng: random.Random, type_: str) -> str:
    """Tighten or loosen nullability (outer or inner), or add or remove a list."""
    options = []
    if type_.endswith("!"):
        options.append(type_[:-1])
    else:
        options.append(type_ + "!")
    inner = type_.rstrip("!")
    if inner.startswith("["):
        item = inner[1:-1]
        options.append(item)
        outer = type_[len(inner) :]
        flipped = item[:-1] if item.endswith("!") else item + "!"
        options.append(f"[{flipped}]{outer}")
    else:
        options.append(f"[{type_}]")
    return rng.choice(options)


# Printing ---------------------------------------------------------------------------


def _literal(schema: Schema, type_: str, seed: int) -> str | None:
    name = named(type_)
    type_def = schema.types.get(name)
    if name == "Int":
        item = str(seed)
    elif name == "Float":
        item = f"{seed}.5"
    elif name == "Boolean":
        item = "true" if seed % 2 else "false"
    elif name in {"String", "ID"} or (
        type_def is not None and type_def.kind == "scalar"
    ):
        item = f'"v{seed}"'
    elif type_def is not None and type_def.kind == "enum" and type_def.values:
        item = type_def.values[seed % len(type_def.values)].name
    else:
        return None  # input objects and output types take no default here
    return f"[{item}]" if type_.lstrip("[") != type_ else item


def _description(text: str | None, indent: str) -> str:
    if text is None:
        return ""
    return f"{indent}{json.dumps(text)}\n"


def _deprecated(reason: str | None) -> str:
    if reason is None:
        return ""
    return " @deprecated" if reason == "" else f' @deprecated(reason: "{reason}")'


def _usages(schema: Schema, usages: list[Usage]) -> str:
    out = []
    for usage in usages:
        directive = schema.directives[usage.name]
        args = []
        for arg in directive.args:
            if arg.type.endswith("!") and arg.default is None:
                args.append(f"{arg.name}: {_literal(schema, arg.type, 1)}")
        out.append(f" @{usage.name}" + (f"({', '.join(args)})" if args else ""))
    return "".join(out)


def _input_value(schema: Schema, value: InputValue, indent: str) -> str:
    literal = (
        None if value.default is None else _literal(schema, value.type, value.default)
    )
    default = "" if literal is None else f" = {literal}"
    return (
        f"{_description(value.description, indent)}{indent}{value.name}: {value.type}"
        f"{default}{_deprecated(value.deprecated)}{_usages(schema, value.usages)}"
    )


def _args(schema: Schema, args: list[InputValue], indent: str) -> str:
    if not args:
        return ""
    inner = "\n".join(_input_value(schema, a, indent + "  ") for a in args)
    return f"(\n{inner}\n{indent})"


def print_schema(schema: Schema) -> str:
    """SDL for the model, definitions in insertion order."""
    roots = " ".join(f"{op}: {name}" for op, name in schema.roots.items())
    parts = [f"schema {{ {roots} }}"]
    for d in schema.directives.values():
        repeatable = " repeatable" if d.repeatable else ""
        parts.append(
            f"{_description(d.description, '')}directive @{d.name}"
            f"{_args(schema, d.args, '')}{repeatable} on {' | '.join(d.locations)}"
        )
    for t in schema.types.values():
        head = f"{_description(t.description, '')}"
        usages = _usages(schema, t.usages)
        if t.kind in {"object", "interface"}:
            keyword = "type" if t.kind == "object" else "interface"
            implements = (
                f" implements {' & '.join(t.interfaces)}" if t.interfaces else ""
            )
            body = "\n".join(
                f"{_description(f.description, '  ')}  {f.name}{_args(schema, f.args, '  ')}"
                f": {f.type}{_deprecated(f.deprecated)}{_usages(schema, f.usages)}"
                for f in t.fields
            )
            parts.append(f"{head}{keyword} {t.name}{implements}{usages} {{\n{body}\n}}")
        elif t.kind == "union":
            parts.append(f"{head}union {t.name}{usages} = {' | '.join(t.members)}")
        elif t.kind == "enum":
            body = "\n".join(
                f"{_description(v.description, '  ')}  {v.name}"
                f"{_deprecated(v.deprecated)}{_usages(schema, v.usages)}"
                for v in t.values
            )
            parts.append(f"{head}enum {t.name}{usages} {{\n{body}\n}}")
        elif t.kind == "input":
            one_of = " @oneOf" if t.one_of else ""
            body = "\n".join(_input_value(schema, v, "  ") for v in t.input_fields)
            parts.append(f"{head}input {t.name}{one_of}{usages} {{\n{body}\n}}")
        else:
            parts.append(f"{head}scalar {t.name}{usages}")
    return "\n\n".join(parts) + "\n"


# Random schemas ---------------------------------------------------------------------


def maybe(rng: random.Random, p: float, value: str | None) -> str | None:
    return value if rng.random() < p else None


def input_type_names(schema: Schema, *, scalar_like: bool = False) -> list[str]:
    names = list(BUILT_IN_SCALARS) + [t.name for t in schema.of_kind("scalar", "enum")]
    if not scalar_like:
        names += [t.name for t in schema.of_kind("input")]
    return names


def output_type_names(schema: Schema) -> list[str]:
    return list(BUILT_IN_SCALARS) + [
        t.name
        for t in schema.types.values()
        if t.kind != "input" and t.name not in schema.roots.values()
    ]


def new_input_value(
    rng: random.Random, schema: Schema, name: str, *, scalar_like: bool = False
) -> InputValue:
    type_name = rng.choice(input_type_names(schema, scalar_like=scalar_like))
    value = InputValue(name, wrap(rng, type_name))
    if (
        schema.types.get(type_name, TypeDef("", "")).kind != "input"
        and rng.random() < 0.4
    ):
        value.default = rng.randrange(1, 9)
    value.description = maybe(rng, 0.2, rng.choice(DESCRIPTIONS))
    if (
        not value.type.endswith("!") or value.default is not None
    ) and rng.random() < 0.15:
        value.deprecated = rng.choice(REASONS) or ""
    return value


def new_field(rng: random.Random, schema: Schema, name: str, *, args: bool) -> Field:
    f = Field(name, wrap(rng, rng.choice(output_type_names(schema))))
    if args:
        for i in range(rng.randrange(0, 3)):
            f.args.append(new_input_value(rng, schema, f"arg{i}"))
    f.description = maybe(rng, 0.3, rng.choice(DESCRIPTIONS))
    f.deprecated = rng.choice(REASONS) or "" if rng.random() < 0.15 else None
    return f


def new_directive(rng: random.Random, schema: Schema, name: str) -> DirectiveDef:
    locations = rng.sample(LOCATIONS, rng.randrange(1, 4))
    d = DirectiveDef(name, [loc for loc in LOCATIONS if loc in locations])
    for i in range(rng.randrange(0, 3)):
        d.args.append(new_input_value(rng, schema, f"a{i}", scalar_like=True))
    d.repeatable = rng.random() < 0.3
    d.description = maybe(rng, 0.3, rng.choice(DESCRIPTIONS))
    return d


def random_schema(rng: random.Random) -> Schema:
    schema = Schema({}, {}, {"query": "Query"})
    for name in rng.sample(["DateTime", "Url", "Json"], rng.randrange(0, 3)):
        schema.types[name] = TypeDef("scalar", name)
    for name in rng.sample(["Role", "Status", "Color"], rng.randrange(1, 3)):
        values = [EnumValue(v) for v in rng.sample(["A", "B", "C", "D", "E"], 3)]
        for v in values:
            v.description = maybe(rng, 0.2, rng.choice(DESCRIPTIONS))
            v.deprecated = maybe(rng, 0.15, rng.choice(REASONS) or "")
        schema.types[name] = TypeDef("enum", name, values=values)
    for name in rng.sample(
        ["Filter", "NewPost", "Page", "Lookup"], rng.randrange(1, 4)
    ):
        inp = TypeDef("input", name)
        if rng.random() < 0.3:
            inp.one_of = True
            inp.input_fields = [
                InputValue(f"by{i}", rng.choice(BUILT_IN_SCALARS)) for i in range(2)
            ]
        else:
            inp.input_fields = [
                new_input_value(rng, schema, f"f{i}", scalar_like=True)
                for i in range(rng.randrange(1, 4))
            ]
        schema.types[name] = inp
    for name in rng.sample(["Node", "Named"], rng.randrange(0, 3)):
        iface = TypeDef("interface", name)
        iface.fields = [
            Field(f"{name.lower()}Id", wrap(rng, rng.choice(BUILT_IN_SCALARS)))
        ]
        schema.types[name] = iface
    objects = rng.sample(
        ["User", "Post", "Comment", "Team", "Tag"], rng.randrange(2, 5)
    )
    for name in objects:
        schema.types[name] = TypeDef("object", name)
    for name in objects:
        obj = schema.types[name]
        for iface in schema.of_kind("interface"):
            if rng.random() < 0.5:
                obj.interfaces.append(iface.name)
                obj.fields += copy.deepcopy(iface.fields)
        obj.fields += [
            new_field(rng, schema, f"{name.lower()}{i}", args=rng.random() < 0.3)
            for i in range(rng.randrange(1, 4))
        ]
    for name in rng.sample(["SearchResult", "Feed"], rng.randrange(0, 3)):
        members = rng.sample(objects, rng.randrange(1, len(objects) + 1))
        schema.types[name] = TypeDef("union", name, members=members)
    roots = [("query", "Query")]
    if rng.random() < 0.6:
        roots.append(("mutation", "Mutation"))
    if rng.random() < 0.3:
        roots.append(("subscription", "Subscription"))
    for operation, name in roots:
        schema.roots[operation] = name
        root = TypeDef("object", name)
        root.fields = [
            new_field(rng, schema, f"{operation[0]}{i}", args=True)
            for i in range(rng.randrange(1, 4))
        ]
        schema.types[name] = root
    for name in rng.sample(["cached", "auth", "tag", "internal"], rng.randrange(0, 3)):
        schema.directives[name] = new_directive(rng, schema, name)
    for t in schema.types.values():
        t.description = maybe(rng, 0.3, rng.choice(DESCRIPTIONS))
    for _ in range(rng.randrange(0, 4)):
        apply_usage(rng, schema)
    return schema


# Walking the model ------------------------------------------------------------------


def sites(schema: Schema) -> Iterator[tuple[str, list[Usage]]]:
    """Every place a directive may be applied: (location, its usages)."""
    for t in schema.types.values():
        yield TYPE_LOCATIONS[t.kind], t.usages
        for f in t.fields:
            yield "FIELD_DEFINITION", f.usages
            for a in f.args:
                yield "ARGUMENT_DEFINITION", a.usages
        for v in t.values:
            yield "ENUM_VALUE", v.usages
        for i in t.input_fields:
            yield "INPUT_FIELD_DEFINITION", i.usages


def input_values(schema: Schema) -> Iterator[tuple[str, InputValue, list[InputValue]]]:
    """Every argument and input field, with its kind and the list it belongs to."""
    for t in schema.types.values():
        for f in t.fields:
            for a in f.args:
                yield "arg", a, f.args
        for i in t.input_fields:
            yield "input", i, t.input_fields
    for d in schema.directives.values():
        for a in d.args:
            yield "directive-arg", a, d.args


def _interface_field_names(schema: Schema, t: TypeDef) -> set[str]:
    return {f.name for i in t.interfaces for f in schema.types[i].fields}


def editable_fields(schema: Schema) -> list[tuple[TypeDef, Field]]:
    """Fields whose edits cannot break interface conformance."""
    out = []
    for t in schema.of_kind("object"):
        inherited = _interface_field_names(schema, t)
        out += [(t, f) for f in t.fields if f.name not in inherited]
    return out


def strip_type(schema: Schema, name: str) -> None:
    """Remove every reference to type `name` (fields, arguments, members, roots)."""
    for t in schema.types.values():
        t.fields = [f for f in t.fields if named(f.type) != name]
        for f in t.fields:
            f.args = [a for a in f.args if named(a.type) != name]
        t.input_fields = [i for i in t.input_fields if named(i.type) != name]
        t.members = [m for m in t.members if m != name]
        t.interfaces = [i for i in t.interfaces if i != name]
    for d in schema.directives.values():
        d.args = [a for a in d.args if named(a.type) != name]


def rename_type(schema: Schema, old: str, new: str) -> None:
    type_def = schema.types.pop(old)
    type_def.name = new
    schema.types[new] = type_def
    for t in schema.types.values():
        for f in t.fields:
            if named(f.type) == old:
                f.type = replace_named(f.type, new)
        t.members = [new if m == old else m for m in t.members]
        t.interfaces = [new if i == old else i for i in t.interfaces]
    for _, value, _ in input_values(schema):
        if named(value.type) == old:
            value.type = replace_named(value.type, new)
    for op, name in schema.roots.items():
        if name == old:
            schema.roots[op] = new


def apply_usage(rng: random.Random, s: Schema) -> bool:
    """Apply a custom directive somewhere it may go, or remove an applied one."""
    applied = [usages for _, usages in sites(s) if usages]
    if applied and rng.random() < 0.4:
        usages = rng.choice(applied)
        usages.pop(rng.randrange(len(usages)))
        return True
    candidates = [
        (d, usages)
        for location, usages in sites(s)
        for d in s.directives.values()
        if location in d.locations and all(u.name != d.name for u in usages)
    ]
    if not candidates:
        return False
    d, usages = rng.choice(candidates)
    usages.append(Usage(d.name))
    return True
