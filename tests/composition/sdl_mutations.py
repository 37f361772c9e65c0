"""Small edits that make a valid set of subgraphs subtly invalid, or leave it valid
in a way composers get wrong: the mutations of `composition.generated_sets`.

Each mutation reads a world's subgraphs (`composition.editable_sdl.Sdls`), picks at
random where it applies, rebuilds what it changes and says what it did:
`(mutation name, one-line detail)`, or None when the world offers it nowhere to apply
(the caller then tries another). The name is the variant, e.g. `drop-shareable` or
`drop-type-shareable`; whether a variant is invalid is Apollo's call, recorded by the
differential test, so a mutation never guesses the verdict.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any

from graphql import (
    EnumTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    print_ast,
)

from composition.editable_sdl import (
    Def,
    Sdls,
    defined_in,
    directive_names,
    field_sets,
    is_leaf,
    key_names,
    named_type,
    printed_type,
    replace_node,
    resolving,
    retyped,
    top_level_names,
    with_argument,
    with_directive,
    without_directive,
)

__all__ = ["MUTATIONS", "Mutation"]

Mutation = Callable[[random.Random, Sdls], "tuple[str, str] | None"]

# The scalar a shared field or argument switches to.
_OTHER_SCALAR = {
    "String": "Int",
    "Int": "String",
    "Float": "Int",
    "Boolean": "String",
    "ID": "Int",
}
_NEW_ARGUMENT = "x"  # the generator never names an argument x


def drop_shareable(rng: random.Random, sdls: Sdls) -> tuple[str, str] | None:
    """One of several resolving definitions of a field stops being `@shareable`."""
    choices = []
    for defs in sdls.definitions().values():
        resolvers = resolving(defs)
        if len(resolvers) > 1:
            choices += [
                d
                for d in resolvers
                if "shareable" in directive_names(d.field) | directive_names(d.type)
            ]
    if not choices:
        return None
    d = rng.choice(choices)
    others = [o.subgraph for o in resolving(sdls.definitions()[d.key]) if o != d]
    if "shareable" in directive_names(d.type):
        sdls.put(d.subgraph, without_directive(d.type, "shareable"))
        return "drop-type-shareable", (
            f"type {d.type.name.value} loses its type-level @shareable in "
            f"{d.subgraph}; {d.coordinate} is also resolved in {', '.join(others)}"
        )
    sdls.set_field(d, without_directive(d.field, "shareable"))
    return "drop-shareable", (
        f"{d.coordinate} loses @shareable in {d.subgraph}, still @shareable in "
        f"{', '.join(others)}"
    )


def add_external(rng: random.Random, sdls: Sdls) -> tuple[str, str] | None:
    """An entity gains an `@external` field nothing requires or provides: a copy of a
    field another subgraph resolves, or one no subgraph defines."""
    definitions = sdls.definitions()
    copies = []
    for subgraph, t in sdls.entities():
        local = {f.name.value for f in t.fields}
        for (type_name, field_name), defs in definitions.items():
            if type_name != t.name.value or field_name in local:
                continue
            source = defs[0].field
            if all(
                defined_in(sdls, subgraph, printed_type(node))
                for node in (source, *(source.arguments or ()))
            ):
                copies.append((subgraph, t, source))
    if copies and rng.random() < 0.7:
        subgraph, t, source = rng.choice(copies)
        external = replace_node(source, directives=())
        sdls.add_field(
            subgraph, t.name.value, print_ast(with_directive(external, "@external"))
        )
        return "unused-external", (
            f"{t.name.value}.{source.name.value} added as @external in {subgraph}, "
            "used by no @requires or @provides"
        )
    entities = sdls.entities()
    if not entities:
        return None
    subgraph, t = rng.choice(entities)
    sdls.add_field(subgraph, t.name.value, "ghost: String @external")
    return "external-on-missing-field", (
        f"{t.name.value}.ghost: String @external added in {subgraph}; "
        "no subgraph resolves it"
    )


def bad_key(rng: random.Random, sdls: Sdls) -> tuple[str, str] | None:
    """A `@key` that selects an interface-typed, list-typed or argument-taking field,
    a key field that gains a required argument, or a `@key` on an interface that was
    not an entity."""
    choices: dict[str, list[tuple[str, Any, str]]] = {}
    for subgraph, t in sdls.entities():
        keys = key_names(t)
        declared = sdls.interface_fields(subgraph, t)
        for d in resolving([Def(subgraph, t, f) for f in t.fields]):
            name, type_text = d.field.name.value, printed_type(d.field)
            if name in keys and name not in declared:
                variant = "key-field-gains-required-argument"
                choices.setdefault(variant, []).append((subgraph, t, name))
            if name in keys:
                continue
            target = sdls.type(subgraph, named_type(type_text))
            if is_leaf(sdls, subgraph, type_text):
                selection = name
            elif any(
                g.name.value == "id" for g in getattr(target, "fields", None) or ()
            ):
                selection = f"{name} {{ id }}"
            else:
                continue
            if d.field.arguments:
                variant = "key-selects-field-with-arguments"
            elif isinstance(target, InterfaceTypeDefinitionNode):
                variant = "key-selects-interface-field"
            elif type_text.startswith("["):
                variant = "key-selects-list-field"
            else:
                continue
            choices.setdefault(variant, []).append((subgraph, t, selection))
    for subgraph in sdls.names:
        for t in sdls.types(subgraph):
            if isinstance(
                t, InterfaceTypeDefinitionNode
            ) and "key" not in directive_names(t):
                for f in t.fields:
                    variant = (
                        "key-on-value-interface"
                        if f.name.value == "id"
                        else "key-on-interface-non-id-field"
                    )
                    choices.setdefault(variant, []).append((subgraph, t, f.name.value))
    if not choices:
        return None
    # The variant first: key fields are many, list-typed fields few.
    variant = rng.choice(list(choices))
    subgraph, t, selection = rng.choice(choices[variant])
    if variant == "key-field-gains-required-argument":
        field = next(f for f in t.fields if f.name.value == selection)
        d = Def(subgraph, t, field)
        sdls.set_field(d, with_argument(field, f"{_NEW_ARGUMENT}: Int!"))
        return variant, (
            f"key field {d.coordinate}({_NEW_ARGUMENT}: Int!) in {subgraph}, "
            "no arguments elsewhere"
        )
    sdls.put(subgraph, with_directive(t, f'@key(fields: "{selection}")'))
    return variant, f'{t.name.value} gains @key(fields: "{selection}") in {subgraph}'


def change_shared_field_type(rng: random.Random, sdls: Sdls) -> tuple[str, str] | None:
    """One definition of a field several subgraphs define gets another scalar, a list
    where the others have none (or the reverse), or another nullability."""
    shared = [defs for defs in sdls.definitions().values() if len(defs) > 1]
    if not shared:
        return None
    defs = rng.choice(shared)
    d = rng.choice(defs)
    before = printed_type(d.field)
    named = named_type(before)
    variants = ["shared-field-list", "shared-field-nullability"]
    if named in _OTHER_SCALAR:
        variants += ["shared-field-scalar-type"] * 2
    variant = rng.choice(variants)
    if variant == "shared-field-scalar-type":
        after = before.replace(named, _OTHER_SCALAR[named])
    elif variant == "shared-field-list":
        non_null = before.endswith("!")
        if before.startswith("["):
            after = named + ("!" if non_null else "")
        else:
            after = f"[{before}]" + ("!" if non_null else "")
    else:
        after = before[:-1] if before.endswith("!") else before + "!"
    sdls.set_field(d, retyped(d.field, after))
    external = " (its @external copy)" if "external" in directive_names(d.field) else ""
    others = ", ".join(o.subgraph for o in defs if o != d)
    return variant, (
        f"{d.coordinate} is {after} in {d.subgraph}{external}, {before} in {others}"
    )


def bad_override(rng: random.Random, sdls: Sdls) -> tuple[str, str] | None:
    """`@override(from:)` naming no subgraph, a subgraph without the field, its own
    subgraph, or a source that itself overrides (a chain)."""
    definitions = sdls.definitions()
    chains = []
    for defs in definitions.values():
        for d in defs:
            for directive in d.field.directives or ():
                if directive.name.value != "override":
                    continue
                source = next(
                    a.value.value for a in directive.arguments if a.name.value == "from"
                )
                chains += [o for o in defs if o.subgraph == source]
    owned = [
        defs[0]
        for defs in definitions.values()
        if len(defs) == 1
        and "key" in directive_names(defs[0].type)
        and defs[0].field.name.value not in key_names(defs[0].type)
        and not directive_names(defs[0].field) & {"override", "external"}
    ]
    variants = []
    if chains:
        variants.append("override-chain")
    if owned:
        variants += [
            "override-unknown-subgraph",
            "override-from-subgraph-without-field",
            "override-from-self",
        ]
    if not variants:
        return None
    variant = rng.choice(variants)
    if variant == "override-chain":
        d = rng.choice(chains)
        source = rng.choice([s for s in sdls.names if s != d.subgraph])
        sdls.set_field(d, with_directive(d.field, f'@override(from: "{source}")'))
        return variant, (
            f"{d.coordinate} in {d.subgraph}, itself overridden, gains "
            f'@override(from: "{source}")'
        )
    d = rng.choice(owned)
    if variant == "override-unknown-subgraph":
        source = "zeta"
    elif variant == "override-from-self":
        source = d.subgraph
    else:
        without = [s for s in sdls.names if s != d.subgraph]
        if not without:
            return None
        source = rng.choice(without)
    sdls.set_field(d, with_directive(d.field, f'@override(from: "{source}")'))
    return variant, f'{d.coordinate} in {d.subgraph} gains @override(from: "{source}")'


def remove_key_field(rng: random.Random, sdls: Sdls) -> tuple[str, str] | None:
    """A subgraph loses a field its own `@key` selects."""
    choices = [
        Def(subgraph, t, f)
        for subgraph, t in sdls.entities()
        if not t.interfaces and len(t.fields) > 1
        for f in t.fields
        if f.name.value in key_names(t)
    ]
    if not choices:
        return None
    d = rng.choice(choices)
    sdls.set_field(d, None)
    return "remove-key-field", (
        f"{d.coordinate} removed from {d.subgraph}, whose @key still selects it"
    )


def bad_requires(rng: random.Random, sdls: Sdls) -> tuple[str, str] | None:
    """`@requires` selecting a field the subgraph resolves itself (not `@external`):
    a new requiring field, or an existing requirement whose `@external` is dropped;
    or `@requires` selecting a field no subgraph defines."""
    dropped = []
    for defs in sdls.definitions().values():
        for d in defs:
            for field_set in field_sets(d.field, "requires"):
                for name in top_level_names(field_set):
                    dropped += [
                        Def(d.subgraph, d.type, f)
                        for f in d.type.fields
                        if f.name.value == name and "external" in directive_names(f)
                    ]
    local = [
        Def(subgraph, t, f)
        for subgraph, t in sdls.entities()
        for f in t.fields
        if not f.arguments
        and "external" not in directive_names(f)
        and is_leaf(sdls, subgraph, printed_type(f))
    ]
    variants = ["requires-external-dropped"] * bool(dropped) + [
        "requires-local",
        "requires-unknown-field",
    ] * bool(local)
    if not variants:
        return None
    variant = rng.choice(variants)
    if variant == "requires-external-dropped":
        d = rng.choice(dropped)
        sdls.set_field(d, without_directive(d.field, "external"))
        return variant, (
            f"{d.coordinate} in {d.subgraph}, selected by a @requires there, "
            "loses @external"
        )
    d = rng.choice(local)
    if variant == "requires-unknown-field":
        field_name, why = "ghost", "no subgraph defines"
    else:
        field_name, why = d.field.name.value, f"{d.subgraph} resolves itself"
        is_key = field_name in key_names(d.type)
        variant = "requires-local-key-field" if is_key else "requires-local-field"
    sdls.add_field(
        d.subgraph,
        d.type.name.value,
        f'needs: String @requires(fields: "{field_name}")',
    )
    return variant, (
        f'{d.type.name.value}.needs in {d.subgraph} @requires(fields: "{field_name}"), '
        f"a field {why}"
    )


def bad_provides(rng: random.Random, sdls: Sdls) -> tuple[str, str] | None:
    """`@provides` naming a field of the returned entity that the providing subgraph
    resolves itself (not `@external`), or one that the entity lacks."""
    choices: dict[str, list[tuple[Def, str]]] = {}
    for defs in sdls.definitions().values():
        for d in resolving(defs):
            target = sdls.type(d.subgraph, named_type(printed_type(d.field)))
            if (
                not isinstance(target, ObjectTypeDefinitionNode)
                or "key" not in directive_names(target)
                or "provides" in directive_names(d.field)
            ):
                continue
            choices.setdefault("provides-unknown-field", []).append((d, "ghost"))
            for f in target.fields:
                if (
                    f.name.value not in key_names(target)
                    and not f.arguments
                    and "external" not in directive_names(f)
                    and is_leaf(sdls, d.subgraph, printed_type(f))
                ):
                    choices.setdefault("provides-local-field", []).append(
                        (d, f.name.value)
                    )
    if not choices:
        return None
    variant = rng.choice(list(choices))
    d, provided = rng.choice(choices[variant])
    sdls.set_field(d, with_directive(d.field, f'@provides(fields: "{provided}")'))
    return variant, (
        f'{d.coordinate} in {d.subgraph} gains @provides(fields: "{provided}")'
        + (", a field it resolves itself" if provided != "ghost" else "")
    )


def argument_mismatch(rng: random.Random, sdls: Sdls) -> tuple[str, str] | None:
    """A field several subgraphs resolve gets arguments that disagree: in type, in
    default, in nullability, or in presence."""
    # Key fields are left out: an argument there is `bad_key`'s business.
    key_fields, key_types = sdls.key_fields(), sdls.key_types()
    shared = [
        defs
        for coordinate, defs in sdls.definitions().items()
        if len(resolving(defs)) > 1
        and coordinate not in key_fields
        and coordinate[0] not in key_types
        and not any(
            a.name.value == _NEW_ARGUMENT for d in defs for a in d.field.arguments or ()
        )
    ]
    if not shared:
        return None
    defs = rng.choice(shared)
    odd = rng.choice(resolving(defs))
    x = _NEW_ARGUMENT
    variant = rng.choice(
        [
            "argument-type-mismatch",
            "argument-default-mismatch",
            "argument-nullability",
            "argument-in-one-subgraph",
            "required-argument-in-one-subgraph",
        ]
    )
    existing = [a.name.value for a in odd.field.arguments or ()]
    if variant == "argument-type-mismatch" and existing and rng.random() < 0.5:
        argument = odd.field.arguments[0]
        before = printed_type(argument)
        named = named_type(before)
        after = before.replace(named, _OTHER_SCALAR.get(named, "String"))
        arguments = (retyped(argument, after), *odd.field.arguments[1:])
        sdls.set_field(odd, replace_node(odd.field, arguments=arguments))
        return variant, (
            f"{odd.coordinate}({argument.name.value}:) is {after} in {odd.subgraph}, "
            f"{before} elsewhere"
        )
    everywhere, in_odd = {
        "argument-type-mismatch": (f"{x}: Int", f"{x}: String"),
        "argument-default-mismatch": (f"{x}: Int = 1", f"{x}: Int = 2"),
        "argument-nullability": (f"{x}: Int", f"{x}: Int!"),
        "argument-in-one-subgraph": (None, f"{x}: Int"),
        "required-argument-in-one-subgraph": (None, f"{x}: Int!"),
    }[variant]
    for d in defs:
        text = in_odd if d == odd else everywhere
        if text is not None:
            sdls.set_field(d, with_argument(d.field, text))
    elsewhere = f", {everywhere} elsewhere" if everywhere else ", absent elsewhere"
    return variant, f"{odd.coordinate}({in_odd}) in {odd.subgraph}{elsewhere}"


def drop_enum_value(rng: random.Random, sdls: Sdls) -> tuple[str, str] | None:
    """One subgraph's copy of an enum lacks a value: where the enum is an argument type
    as well as a field type (every value must be everywhere), or an output only."""
    enums: dict[str, list[str]] = {}
    for subgraph in sdls.names:
        for t in sdls.types(subgraph):
            if isinstance(t, EnumTypeDefinitionNode):
                enums.setdefault(t.name.value, []).append(subgraph)
    choices = [name for name, places in enums.items() if len(places) > 1]
    if not choices:
        return None
    enum = rng.choice(choices)
    texts = {s: sdls.text(s) for s in sdls.names}
    values = [
        v.name.value
        for v in sdls.type(enums[enum][0], enum).values
        # A value a default or a field set names cannot go.
        if sum(len(re.findall(rf"\b{v.name.value}\b", t)) for t in texts.values())
        == len(enums[enum])
    ]
    if not values:
        return None
    fields = [d.field for defs in sdls.definitions().values() for d in defs]
    as_input = any(
        named_type(printed_type(a)) == enum for f in fields for a in f.arguments or ()
    )
    as_output = any(named_type(printed_type(f)) == enum for f in fields)
    hosts = [
        defs[0]
        for defs in sdls.definitions().values()
        if len(defs) == 1
        and defs[0].subgraph in enums[enum]
        and "external" not in directive_names(defs[0].field)
        and not defs[0].field.arguments
    ]
    added = ""
    if as_output and not as_input and hosts and rng.random() < 0.7:
        host = rng.choice(hosts)
        sdls.set_field(host, with_argument(host.field, f"{_NEW_ARGUMENT}: {enum}"))
        added = f"; {host.coordinate}({_NEW_ARGUMENT}: {enum}) added in {host.subgraph}"
        as_input = True
    subgraph = rng.choice(enums[enum])
    value = rng.choice(values)
    node = sdls.type(subgraph, enum)
    kept = tuple(v for v in node.values if v.name.value != value)
    sdls.put(subgraph, replace_node(node, values=kept))
    variant = "enum-value-drop-" + "-".join(
        usage for usage, used in (("input", as_input), ("output", as_output)) if used
    )
    return variant, f"{enum}.{value} dropped in {subgraph}{added}"


def change_value_type(rng: random.Random, sdls: Sdls) -> tuple[str, str] | None:
    """A value type (`@shareable`, no key) that several subgraphs define: an interface
    in one of them, `@inaccessible` in one, or with a field more or less in one."""
    # Not the types a key selects into (`loc { code zone }`): a change there is a
    # key error first.
    in_keys = sdls.key_types()
    places: dict[str, list[str]] = {}
    for subgraph in sdls.names:
        for t in sdls.objects(subgraph):
            if (
                "shareable" in directive_names(t)
                and "key" not in directive_names(t)
                and t.name.value not in in_keys
            ):
                places.setdefault(t.name.value, []).append(subgraph)
    choices = [(name, p) for name, p in places.items() if len(p) > 1]
    if not choices:
        return None
    name, where = rng.choice(choices)
    subgraph = rng.choice(where)
    t = sdls.type(subgraph, name)
    in_field_sets = sdls.field_set_words()
    removable = [f for f in t.fields if f.name.value not in in_field_sets] * (
        len(t.fields) > 1
    )
    variant = rng.choice(
        ["value-type-kind-mismatch", "value-type-inaccessible-in-one"]
        + ["value-type-extra-field"]
        + ["value-type-missing-field"] * bool(removable)
    )
    if variant == "value-type-kind-mismatch":
        fields = tuple(replace_node(f, directives=()) for f in t.fields)
        interface = InterfaceTypeDefinitionNode(
            name=t.name, fields=fields, directives=(), interfaces=()
        )
        sdls.put(subgraph, interface)
        return (
            variant,
            f"{name} is an interface in {subgraph}, an object type elsewhere",
        )
    if variant == "value-type-inaccessible-in-one":
        sdls.put(subgraph, with_directive(t, "@inaccessible"))
        return variant, f"{name} is @inaccessible in {subgraph} only"
    if variant == "value-type-extra-field":
        sdls.add_field(subgraph, name, "extra: Int")
        return variant, f"{name}.extra: Int added in {subgraph} only"
    gone = rng.choice(removable)
    sdls.set_field(Def(subgraph, t, gone), None)
    return variant, f"{name}.{gone.name.value} removed in {subgraph} only"


def inaccessible_in_one(rng: random.Random, sdls: Sdls) -> tuple[str, str] | None:
    """One of several resolving definitions of a field is `@inaccessible`."""
    choices = [
        d
        for defs in sdls.definitions().values()
        if len(resolving(defs)) > 1
        for d in resolving(defs)
        if "inaccessible" not in directive_names(d.field)
    ]
    if not choices:
        return None
    d = rng.choice(choices)
    sdls.set_field(d, with_directive(d.field, "@inaccessible"))
    return "field-inaccessible-in-one", (
        f"{d.coordinate} is @inaccessible in {d.subgraph} only"
    )


MUTATIONS: tuple[Mutation, ...] = (
    drop_shareable,
    add_external,
    bad_key,
    change_shared_field_type,
    bad_override,
    remove_key_field,
    bad_requires,
    bad_provides,
    argument_mismatch,
    drop_enum_value,
    change_value_type,
    inaccessible_in_one,
)
