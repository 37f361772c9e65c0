"""Seeded pairs of API schemas, one to three edits apart, for the inspector differential.

`generated_pairs(seed, count)` draws a random API schema for each pair
(`generated_schema.random_schema`), then applies one to three random edits. Pair `i`
always includes edit `EDITS[i % len(EDITS)]`, so any `count >= len(EDITS)` exercises
every edit, and the edits between them produce every code in
`planner.schema_diff.codes`. A pair whose new schema graphql-core rejects is drawn
again, so every pair is two valid schemas.
"""

from __future__ import annotations

import copy
import pickle
import random
from collections.abc import Callable
from typing import NamedTuple

from generated_schema import (
    DESCRIPTIONS,
    LOCATIONS,
    REASONS,
    TYPE_LOCATIONS,
    DirectiveDef,
    EnumValue,
    Field,
    InputValue,
    Schema,
    TypeDef,
    apply_usage,
    changed_wrapping,
    editable_fields,
    input_type_names,
    input_values,
    maybe,
    new_directive,
    new_field,
    new_input_value,
    output_type_names,
    print_schema,
    random_schema,
    rename_type,
    replace_named,
    sites,
    strip_type,
)
from graphql import GraphQLError, GraphQLSchema, build_schema, validate_schema

__all__ = ["EDITS", "SchemaPair", "generated_pairs"]


class SchemaPair(NamedTuple):
    """Two SDLs and the edits that lead from one to the other."""

    name: str
    old: str
    new: str
    edits: tuple[str, ...]
    old_schema: GraphQLSchema
    new_schema: GraphQLSchema


# Edits: each returns False when it does not apply to the schema ---------------------

Edit = Callable[[random.Random, Schema], bool]


def _add_root(rng: random.Random, s: Schema) -> bool:
    missing = [op for op in ("mutation", "subscription") if op not in s.roots]
    if not missing:
        return False
    op = rng.choice(missing)
    name = op.capitalize()
    if name in s.types:
        return False
    s.types[name] = TypeDef("object", name, fields=[Field("x", "Int")])
    s.roots[op] = name
    return True


def _remove_root(rng: random.Random, s: Schema) -> bool:
    present = [op for op in ("mutation", "subscription") if op in s.roots]
    if not present:
        return False
    op = rng.choice(present)
    del s.types[s.roots.pop(op)]
    return True


def _change_root(rng: random.Random, s: Schema) -> bool:
    op = rng.choice(list(s.roots))
    rename_type(s, s.roots[op], s.fresh(s.roots[op]))
    return True


def _add_type(rng: random.Random, s: Schema) -> bool:
    name = s.fresh("Extra")
    kind = rng.choice(["object", "interface", "enum", "input", "scalar", "union"])
    t = TypeDef(kind, name, description=maybe(rng, 0.5, "New."))
    if kind in {"object", "interface"}:
        t.fields = [new_field(rng, s, "e", args=True)]
    elif kind == "enum":
        t.values = [EnumValue("X", deprecated=""), EnumValue("Y")]
    elif kind == "input":
        t.input_fields = [new_input_value(rng, s, "e", scalar_like=True)]
    elif kind == "union":
        t.members = [rng.choice(s.of_kind("object")).name]
    s.types[name] = t
    return True


def _remove_type(rng: random.Random, s: Schema) -> bool:
    candidates = [t for t in s.types.values() if t.name not in s.roots.values()]
    if not candidates:
        return False
    name = rng.choice(candidates).name
    del s.types[name]
    strip_type(s, name)
    return True


def _rename_a_type(rng: random.Random, s: Schema) -> bool:
    candidates = [t.name for t in s.types.values() if t.name not in s.roots.values()]
    if not candidates:
        return False
    old = rng.choice(candidates)
    rename_type(s, old, s.fresh(old))
    return True


def _change_kind(rng: random.Random, s: Schema) -> bool:
    t = rng.choice(list(s.types.values()))
    if t.name in s.roots.values():
        return False
    if t.kind == "enum":
        t.kind, t.values = "scalar", []
    elif t.kind == "scalar":
        t.kind, t.values = "enum", [EnumValue("ONE"), EnumValue("TWO")]
    elif t.kind == "object":
        t.kind = "interface"  # fails validation if the object is a union member
    elif t.kind == "interface":
        t.kind = "object"
        for other in s.types.values():
            other.interfaces = [i for i in other.interfaces if i != t.name]
    else:
        return False
    location = TYPE_LOCATIONS[t.kind]
    t.usages = [u for u in t.usages if location in s.directives[u.name].locations]
    return True


def _type_description(rng: random.Random, s: Schema) -> bool:
    t = rng.choice(list(s.types.values()))
    t.description = rng.choice([d for d in (None, *DESCRIPTIONS) if d != t.description])
    return True


def _add_interface(rng: random.Random, s: Schema) -> bool:
    pairs = [
        (o, i)
        for o in s.of_kind("object")
        for i in s.of_kind("interface")
        if i.name not in o.interfaces and o.name not in s.roots.values()
    ]
    if not pairs:
        return False
    obj, iface = rng.choice(pairs)
    obj.interfaces.append(iface.name)
    have = {f.name for f in obj.fields}
    obj.fields += [copy.deepcopy(f) for f in iface.fields if f.name not in have]
    return True


def _remove_interface(rng: random.Random, s: Schema) -> bool:
    objects = [t for t in s.of_kind("object", "interface") if t.interfaces]
    if not objects:
        return False
    t = rng.choice(objects)
    t.interfaces.remove(rng.choice(t.interfaces))
    return True


def _union_member(rng: random.Random, s: Schema) -> bool:
    unions = s.of_kind("union")
    if not unions:
        return False
    union = rng.choice(unions)
    absent = [o.name for o in s.of_kind("object") if o.name not in union.members]
    if absent and (len(union.members) < 2 or rng.random() < 0.5):
        union.members.append(rng.choice(absent))
    elif len(union.members) > 1:
        union.members.remove(rng.choice(union.members))
    else:
        return False
    return True


def _one_of(rng: random.Random, s: Schema) -> bool:
    inputs = s.of_kind("input")
    if not inputs:
        return False
    t = rng.choice(inputs)
    if not t.one_of:
        for i in t.input_fields:  # @oneOf fields are nullable without defaults
            i.type, i.default = i.type.rstrip("!"), None
    t.one_of = not t.one_of
    return True


def _add_field(rng: random.Random, s: Schema) -> bool:
    t = rng.choice(s.of_kind("object", "interface"))
    f = new_field(rng, s, s.fresh("added"), args=rng.random() < 0.5)
    t.fields.append(f)
    if t.kind == "interface":
        for o in s.of_kind("object", "interface"):
            if t.name in o.interfaces:
                o.fields.append(copy.deepcopy(f))
    return True


def _remove_field(rng: random.Random, s: Schema) -> bool:
    fields = [(t, f) for t, f in editable_fields(s) if len(t.fields) > 1]
    if not fields:
        return False
    t, f = rng.choice(fields)
    t.fields.remove(f)
    return True


def _field_type(rng: random.Random, s: Schema) -> bool:
    _, f = rng.choice(editable_fields(s))
    if rng.random() < 0.7:
        f.type = changed_wrapping(rng, f.type)
    else:
        f.type = replace_named(f.type, rng.choice(output_type_names(s)))
    return True


def _field_description(rng: random.Random, s: Schema) -> bool:
    _, f = rng.choice(editable_fields(s))
    f.description = rng.choice([d for d in (None, *DESCRIPTIONS) if d != f.description])
    return True


def _arg_lists(s: Schema) -> list[list[InputValue]]:
    """Argument lists of editable fields and of directives."""
    lists = [f.args for _, f in editable_fields(s)]
    return lists + [d.args for d in s.directives.values()]


def _add_arg(rng: random.Random, s: Schema) -> bool:
    args = rng.choice(_arg_lists(s))
    value = new_input_value(rng, s, s.fresh("new"), scalar_like=True)
    if rng.random() < 0.4:  # make required often enough to matter
        value.type, value.default, value.deprecated = (
            value.type.rstrip("!") + "!",
            None,
            None,
        )
    args.append(value)
    return True


def _add_input_field(rng: random.Random, s: Schema) -> bool:
    inputs = s.of_kind("input")
    if not inputs:
        return False
    t = rng.choice(inputs)
    value = new_input_value(rng, s, s.fresh("new"), scalar_like=True)
    if t.one_of:
        value.type, value.default, value.deprecated = value.type.rstrip("!"), None, None
    elif rng.random() < 0.4:
        value.type, value.default, value.deprecated = (
            value.type.rstrip("!") + "!",
            None,
            None,
        )
    t.input_fields.append(value)
    return True


def _pick_input_value(
    rng: random.Random, s: Schema, kind: str
) -> tuple[InputValue, list[InputValue]] | None:
    editable = {id(a) for args in _arg_lists(s) for a in args}
    values = [
        (v, owner)
        for k, v, owner in input_values(s)
        if (k == "input") == (kind == "input") and (k == "input" or id(v) in editable)
    ]
    return rng.choice(values) if values else None


def _input_value_edit(
    kind: str, change: Callable[[random.Random, Schema, InputValue], None]
) -> Edit:
    def edit(rng: random.Random, s: Schema) -> bool:
        picked = _pick_input_value(rng, s, kind)
        if picked is None:
            return False
        change(rng, s, picked[0])
        return True

    return edit


def _remove_value(rng: random.Random, s: Schema, kind: str) -> bool:
    picked = _pick_input_value(rng, s, kind)
    if picked is None:
        return False
    value, owner = picked
    owner.remove(value)
    return True


def _value_type(rng: random.Random, s: Schema, v: InputValue) -> None:
    if rng.random() < 0.7:
        v.type = changed_wrapping(rng, v.type)
    else:
        v.type = replace_named(
            v.type, rng.choice(input_type_names(s, scalar_like=True))
        )


def _value_default(rng: random.Random, s: Schema, v: InputValue) -> None:
    v.default = rng.choice([d for d in (None, 1, 2, 3) if d != v.default])


def _value_required(rng: random.Random, s: Schema, v: InputValue) -> None:
    """Make the value non-null without default: BECAME_REQUIRED or a type change."""
    v.type = v.type.rstrip("!") + "!"
    v.default, v.deprecated = None, None


def _value_description(rng: random.Random, s: Schema, v: InputValue) -> None:
    v.description = rng.choice([d for d in (None, *DESCRIPTIONS) if d != v.description])


def _add_directive(rng: random.Random, s: Schema) -> bool:
    name = s.fresh("dir")
    s.directives[name] = new_directive(rng, s, name)
    return True


def _remove_directive(rng: random.Random, s: Schema) -> bool:
    if not s.directives:
        return False
    name = rng.choice(list(s.directives))
    del s.directives[name]
    for _, usages in sites(s):
        usages[:] = [u for u in usages if u.name != name]
    return True


def _enum_values(s: Schema) -> list[tuple[TypeDef, EnumValue]]:
    return [(t, v) for t in s.of_kind("enum") for v in t.values]


def _add_enum_value(rng: random.Random, s: Schema) -> bool:
    enums = s.of_kind("enum")
    if not enums:
        return False
    rng.choice(enums).values.append(EnumValue(s.fresh("V")))
    return True


def _remove_enum_value(rng: random.Random, s: Schema) -> bool:
    values = [(t, v) for t, v in _enum_values(s) if len(t.values) > 1]
    if not values:
        return False
    t, v = rng.choice(values)
    t.values.remove(v)
    return True


def _enum_value_description(rng: random.Random, s: Schema) -> bool:
    values = _enum_values(s)
    if not values:
        return False
    _, v = rng.choice(values)
    v.description = rng.choice([d for d in (None, *DESCRIPTIONS) if d != v.description])
    return True


_Deprecatable = Field | InputValue | EnumValue


def _deprecation_edit(
    action: str, candidates: Callable[[Schema], list[_Deprecatable]]
) -> Edit:
    """Deprecate an element, undeprecate one, or change a deprecation reason.

    Three edits rather than one random toggle, so that each deprecation code is
    drawn every time its edit comes round. Required input values are never
    deprecated: the spec forbids it.
    """

    def edit(rng: random.Random, s: Schema) -> bool:
        elements = [
            e
            for e in candidates(s)
            if (e.deprecated is None) == (action == "deprecate")
            and not (
                isinstance(e, InputValue) and e.type.endswith("!") and e.default is None
            )
        ]
        if not elements:
            return False
        element = rng.choice(elements)
        if action == "undeprecate":
            element.deprecated = None
        else:
            element.deprecated = rng.choice(
                [r for r in ("", *REASONS[1:]) if r != element.deprecated]
            )
        return True

    return edit


def _fields(s: Schema) -> list[_Deprecatable]:
    return [f for _, f in editable_fields(s)]


def _args_of_fields(s: Schema) -> list[_Deprecatable]:
    return [a for _, f in editable_fields(s) for a in f.args]


def _input_fields(s: Schema) -> list[_Deprecatable]:
    return [i for t in s.of_kind("input") for i in t.input_fields]


def _values(s: Schema) -> list[_Deprecatable]:
    return [v for _, v in _enum_values(s)]


def _directive_edit(
    change: Callable[[random.Random, Schema, DirectiveDef], bool],
) -> Edit:
    def edit(rng: random.Random, s: Schema) -> bool:
        return bool(s.directives) and change(
            rng, s, rng.choice(list(s.directives.values()))
        )

    return edit


def _add_location(rng: random.Random, s: Schema, d: DirectiveDef) -> bool:
    absent = [loc for loc in LOCATIONS if loc not in d.locations]
    if not absent:
        return False
    d.locations.append(rng.choice(absent))
    return True


def _remove_location(rng: random.Random, s: Schema, d: DirectiveDef) -> bool:
    if len(d.locations) < 2:
        return False
    location = rng.choice(d.locations)
    d.locations.remove(location)
    for site, usages in sites(s):
        if site == location:
            usages[:] = [u for u in usages if u.name != d.name]
    return True


def _toggle_repeatable(rng: random.Random, s: Schema, d: DirectiveDef) -> bool:
    d.repeatable = not d.repeatable
    return True


def _directive_description(rng: random.Random, s: Schema, d: DirectiveDef) -> bool:
    d.description = rng.choice([x for x in (None, *DESCRIPTIONS) if x != d.description])
    return True


EDITS: dict[str, Edit] = {
    "add-root": _add_root,
    "remove-root": _remove_root,
    "change-root": _change_root,
    "add-type": _add_type,
    "remove-type": _remove_type,
    "rename-type": _rename_a_type,
    "change-kind": _change_kind,
    "type-description": _type_description,
    "add-interface": _add_interface,
    "remove-interface": _remove_interface,
    "union-member": _union_member,
    "one-of": _one_of,
    "add-field": _add_field,
    "remove-field": _remove_field,
    "field-type": _field_type,
    "field-description": _field_description,
    "deprecate-field": _deprecation_edit("deprecate", _fields),
    "undeprecate-field": _deprecation_edit("undeprecate", _fields),
    "field-deprecation-reason": _deprecation_edit("reason", _fields),
    "add-argument": _add_arg,
    "remove-argument": lambda rng, s: _remove_value(rng, s, "arg"),
    "argument-type": _input_value_edit("arg", _value_type),
    "argument-default": _input_value_edit("arg", _value_default),
    "argument-required": _input_value_edit("arg", _value_required),
    "argument-description": _input_value_edit("arg", _value_description),
    "deprecate-argument": _deprecation_edit("deprecate", _args_of_fields),
    "undeprecate-argument": _deprecation_edit("undeprecate", _args_of_fields),
    "argument-deprecation-reason": _deprecation_edit("reason", _args_of_fields),
    "add-input-field": _add_input_field,
    "remove-input-field": lambda rng, s: _remove_value(rng, s, "input"),
    "input-field-type": _input_value_edit("input", _value_type),
    "input-field-default": _input_value_edit("input", _value_default),
    "input-field-required": _input_value_edit("input", _value_required),
    "input-field-description": _input_value_edit("input", _value_description),
    "deprecate-input-field": _deprecation_edit("deprecate", _input_fields),
    "undeprecate-input-field": _deprecation_edit("undeprecate", _input_fields),
    "input-field-deprecation-reason": _deprecation_edit("reason", _input_fields),
    "add-enum-value": _add_enum_value,
    "remove-enum-value": _remove_enum_value,
    "enum-value-description": _enum_value_description,
    "deprecate-enum-value": _deprecation_edit("deprecate", _values),
    "undeprecate-enum-value": _deprecation_edit("undeprecate", _values),
    "enum-value-deprecation-reason": _deprecation_edit("reason", _values),
    "add-directive": _add_directive,
    "remove-directive": _remove_directive,
    "add-directive-location": _directive_edit(_add_location),
    "remove-directive-location": _directive_edit(_remove_location),
    "directive-repeatable": _directive_edit(_toggle_repeatable),
    "directive-description": _directive_edit(_directive_description),
    "directive-usage": apply_usage,
}
"""Every edit by name; `generated_pairs` cycles through them in this order."""

_ATTEMPTS = 10


def _edited(rng: random.Random, schema: Schema, edit: str) -> Schema | None:
    """`schema` after `edit`, or None when no attempt applies and changes the SDL."""
    before = print_schema(schema)
    for _ in range(_ATTEMPTS):
        candidate: Schema = pickle.loads(pickle.dumps(schema))
        if EDITS[edit](rng, candidate) and print_schema(candidate) != before:
            return candidate
    return None


def _built(sdl: str) -> GraphQLSchema | None:
    """The schema, or None when graphql-core rejects the SDL."""
    try:
        schema = build_schema(sdl)
    except (GraphQLError, TypeError):
        return None
    return None if validate_schema(schema) else schema


def generated_pairs(seed: int, count: int) -> list[SchemaPair]:
    """`count` pairs of valid, different SDLs, the same for the same seed.

    An edit may leave a schema graphql-core rejects (a removed enum value still used
    as a default, an object turned interface while a union holds it): such a pair is
    drawn again, so every pair is two valid schemas.
    """
    rng = random.Random(seed)
    names = list(EDITS)
    pairs: list[SchemaPair] = []
    while len(pairs) < count:
        index = len(pairs)
        old = random_schema(rng)
        wanted = [names[index % len(names)]]
        wanted += rng.sample(names, rng.randrange(0, 3))
        new, done = old, list[str]()
        for edit in wanted:
            edited = _edited(rng, new, edit)
            if edited is not None:
                new, done = edited, [*done, edit]
        old_sdl, new_sdl = print_schema(old), print_schema(new)
        if not done or done[0] != wanted[0] or old_sdl == new_sdl:
            continue  # the pair must carry its cycled edit; draw another schema
        old_schema, new_schema = _built(old_sdl), _built(new_sdl)
        if old_schema is None or new_schema is None:
            continue
        name = f"pair{index:03d}-{'+'.join(done)}"
        pairs.append(
            SchemaPair(name, old_sdl, new_sdl, tuple(done), old_schema, new_schema)
        )
    return pairs
