"""Random GraphQL operations over a schema: seeded, deterministic, always valid.

``generate_operations(schema, seed, count)`` writes ``count`` distinct operations that a
client of ``schema`` (a supergraph's API schema) could send, for differential testing:
the same corpus goes to Apollo's planner and ours (``tests/planner/test_differential.py``),
or to Apollo Gateway and our router. ``generate(...)`` gives the same operations with a
name and variable values, for tools that execute them.

What the operations contain, so that a planner or executor meets every shape:

- nested selections that follow object fields up to ``max_depth`` levels, preferring
  composite fields so entity joins chain across subgraphs;
- at most ``max_fields`` selections per selection set (fields, ``__typename`` and
  fragments all count);
- on interfaces and unions: interface fields, inline fragments on some or every possible
  type, nested type conditions (an interface inside a union, an object inside that);
- named fragments, reused when they fit under the depth bound;
- aliases, including one field twice under two aliases with different arguments;
- arguments: every required one, optional ones sometimes, as literals or as variables
  (declared with the argument's type, sometimes nullable with a default value);
- ``@skip`` / ``@include`` on fields, inline fragments and spreads, with literal or
  variable conditions; ``__typename`` here and there;
- a mutation now and then when the schema has a ``Mutation`` type (``mutation_share``).

Every operation is validated with graphql-core against ``schema``; one that fails (a rare
field-merging conflict) is thrown away and drawn again from the next seed. The output
depends only on ``schema``, ``seed``, ``count`` and the options: ``random.Random`` seeded
with a string is stable across processes and Python versions.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    Undefined,
    get_named_type,
    is_composite_type,
    parse,
    print_ast,
    validate,
)

__all__ = [
    "EXAMPLE_ARGUMENT_VALUES",
    "GeneratedOperation",
    "Options",
    "generate",
    "generate_operations",
]

# Values that name real records of the example subgraphs (subgraphs/_world.py), so that
# executing a generated operation against them returns data rather than nulls. Keys are
# argument or input-field names, or schema coordinates (`Query.user(id:)`,
# `OrderLineInput.upc`), which win over plain names.
EXAMPLE_ARGUMENT_VALUES: Mapping[str, Sequence[object]] = {
    "upc": ("UPC-0001", "UPC-0002", "UPC-0017", "UPC-0120"),
    "Query.user(id:)": ("1", "2", "42", "500"),
    "Query.order(id:)": ("order-1", "order-2", "order-7"),
    "Query.review(id:)": ("review-1", "review-3", "review-12"),
    "Query.item(id:)": ("book-1", "book-2", "furniture-4", "furniture-5"),
    "Mutation.placeOrder(userId:)": ("1", "7"),
    "text": ("oak", "silent", "SKU-00", "harbor"),
    "first": (1, 2, 3, 5),
    "quantity": (1, 2, 3),
}

# Fields whose effect differs between two runs of one operation: `addReview` gives each
# new review the next id of the process, so two gateways sharing the reviews subgraph
# would answer differently.
_NEVER_GENERATED = frozenset({"Mutation.addReview"})

_STRINGS = ("alpha", "beta", "gamma", "delta", "omega")
_IDS = ("1", "2", "3", "42")
_ALIAS_WORDS = ("main", "other", "alt", "extra", "first", "second", "cheap", "top")


@dataclass(frozen=True, slots=True)
class Options:
    """Size bounds and value sources for the generator.

    ``max_depth`` bounds field nesting (root fields are depth 1); ``max_fields`` bounds
    the selections of each selection set. ``argument_values`` supplies plausible values
    by argument name or schema coordinate (see ``EXAMPLE_ARGUMENT_VALUES``); other
    arguments get small values of their type. ``mutation_share`` is the share of
    operations that are mutations (0 for read-only corpora, e.g. when the operations are
    executed twice and compared).
    """

    max_depth: int = 5
    max_fields: int = 4
    mutation_share: float = 0.1
    argument_values: Mapping[str, Sequence[object]] = field(default_factory=dict)
    name_prefix: str = "Generated"
    max_attempts: int = 40


@dataclass(frozen=True, slots=True)
class GeneratedOperation:
    """One operation: its name, its document text and values for its variables.

    ``variables`` has a value for every variable without a default, and sometimes one
    for a variable with a default.
    """

    name: str
    document: str
    variables: Mapping[str, object]


def generate_operations(
    schema: GraphQLSchema, seed: int, count: int, options: Options | None = None
) -> list[str]:
    """``count`` distinct valid operation documents over ``schema``, one per string."""
    return [op.document for op in generate(schema, seed, count, options)]


def generate(
    schema: GraphQLSchema, seed: int, count: int, options: Options | None = None
) -> list[GeneratedOperation]:
    """``count`` distinct valid operations over ``schema``, with names and variables."""
    options = options or Options()
    if schema.query_type is None:
        raise ValueError("the schema has no query type")
    operations: list[GeneratedOperation] = []
    seen: set[str] = set()
    for index in range(count):
        name = f"{options.name_prefix}{index + 1}"
        operations.append(_generate_one(schema, seed, index, name, options, seen))
    return operations


def _generate_one(
    schema: GraphQLSchema,
    seed: int,
    index: int,
    name: str,
    options: Options,
    seen: set[str],
) -> GeneratedOperation:
    last_errors: list[str] = []
    for attempt in range(options.max_attempts):
        rng = random.Random(f"opgen:{seed}:{index}:{attempt}")
        text, variables = _OperationBuilder(schema, rng, options).build(name)
        document = parse(text)
        errors = validate(schema, document)
        if errors:
            last_errors = [e.message for e in errors]
            continue
        printed = print_ast(document)
        body = printed.split("{", 1)[1]  # the name differs per operation; ignore it
        if body in seen:
            continue
        seen.add(body)
        return GeneratedOperation(name, printed, variables)
    raise RuntimeError(
        f"no valid operation after {options.max_attempts} attempts "
        f"(seed {seed}, index {index}); last errors: {last_errors[:3]}"
    )


@dataclass(slots=True)
class _Fragment:
    name: str
    type_name: str
    height: int  # levels of fields it adds below the spread point


class _OperationBuilder:
    """Writes one operation's text; all randomness comes from ``rng``."""

    def __init__(
        self, schema: GraphQLSchema, rng: random.Random, options: Options
    ) -> None:
        self.schema = schema
        self.rng = rng
        self.options = options
        self.variable_definitions: list[str] = []
        self.variable_values: dict[str, object] = {}
        self.fragment_definitions: list[str] = []
        self.fragments: list[_Fragment] = []
        self.names_used: set[str] = set()
        # Unaliased uses of a field must agree on arguments to merge; remember them.
        self.field_arguments: dict[tuple[str, str], str] = {}
        # The deepest field written so far, counting the bodies of reused fragments.
        self.deepest = 0

    # -- operation ----------------------------------------------------------------------

    def build(self, name: str) -> tuple[str, dict[str, object]]:
        root = self.schema.query_type
        kind = "query"
        mutation = self.schema.mutation_type
        if mutation is not None and self.rng.random() < self.options.mutation_share:
            root, kind = mutation, "mutation"
        assert root is not None
        limit = 2 if kind == "mutation" else self.options.max_fields
        selections = self.object_selections(root, 1, limit=limit, root=True)
        header = f"{kind} {name}"
        if self.variable_definitions:
            header += "(" + ", ".join(self.variable_definitions) + ")"
        text = header + " { " + " ".join(selections) + " }"
        return "\n".join([text, *self.fragment_definitions]), self.variable_values

    # -- selection sets -----------------------------------------------------------------

    def selection_set(self, type_: GraphQLNamedType, depth: int) -> str:
        """``{ ... }`` for a composite type whose fields sit at ``depth``."""
        if isinstance(type_, GraphQLObjectType):
            items = self.object_selections(type_, depth)
        elif isinstance(type_, GraphQLInterfaceType | GraphQLUnionType):
            items = self.abstract_selections(type_, depth)
        else:
            raise TypeError(f"{type_} has no selection set")
        return "{ " + " ".join(items) + " }"

    def object_selections(
        self,
        type_: GraphQLObjectType,
        depth: int,
        limit: int | None = None,
        root: bool = False,
    ) -> list[str]:
        rng = self.rng
        limit = limit or self.options.max_fields
        # Bushy near the root, thinner below, so operations stay readable.
        wanted = rng.randint(1, limit if depth <= 2 else max(1, limit // 2 + 1))
        items: list[str] = []
        for field_name in self.pick_fields(type_, depth, wanted):
            items.extend(
                self.field_selections(type_, field_name, depth, wanted - len(items))
            )
            if len(items) >= wanted:
                break
        if not items:  # every field needs more depth than is left
            items.append("__typename")
        if not root and len(items) < limit and rng.random() < 0.2:
            items.insert(rng.randrange(len(items) + 1), "__typename")
        if not root and depth < self.options.max_depth and rng.random() < 0.15:
            items = self.wrap_in_fragment(type_, depth, items)
        return items

    def abstract_selections(
        self, type_: GraphQLInterfaceType | GraphQLUnionType, depth: int
    ) -> list[str]:
        rng = self.rng
        limit = self.options.max_fields
        possible = list(self.schema.get_possible_types(type_))
        items: list[str] = []
        if rng.random() < 0.5:
            items.append("__typename")
        if isinstance(type_, GraphQLInterfaceType) and rng.random() < 0.7:
            wanted = min(rng.randint(1, 2), limit - len(items))
            for field_name in self.pick_fields(type_, depth, wanted):
                items.extend(self.field_selections(type_, field_name, depth, 1))
        # Type conditions: on every possible type sometimes, otherwise on a few.
        room = limit - len(items)
        if possible and room > 0:
            if len(possible) <= room and rng.random() < 0.4:
                targets = possible
            else:
                targets = rng.sample(possible, rng.randint(1, min(room, len(possible))))
            for target in targets:
                if len(items) >= limit:
                    break
                items.append(self.type_condition(target, depth))
        nested = self.overlapping_abstract_type(type_)
        if nested is not None and len(items) < limit and rng.random() < 0.25:
            items.append(self.type_condition(nested, depth))
        if not items:
            items.append("__typename")
        return items

    def type_condition(self, type_: GraphQLNamedType, depth: int) -> str:
        """An inline fragment or a named fragment spread on ``type_``."""
        rng = self.rng
        directive = self.maybe_condition_directive(0.1)
        if rng.random() < 0.3:
            return self.fragment_spread(type_, depth) + directive
        return f"... on {type_.name}{directive} " + self.selection_set(type_, depth)

    def wrap_in_fragment(
        self, type_: GraphQLObjectType, depth: int, items: list[str]
    ) -> list[str]:
        """Moves the tail of ``items`` into ``... on T`` or ``... @include`` or a spread."""
        if len(items) < 2:
            return items
        cut = self.rng.randrange(1, len(items))
        head, tail = items[:cut], items[cut:]
        choice = self.rng.random()
        if choice < 0.4:
            return [*head, "... on " + type_.name + " { " + " ".join(tail) + " }"]
        if choice < 0.7:
            directive = self.condition_directive()
            return [*head, "..." + directive + " { " + " ".join(tail) + " }"]
        # A named fragment made of the tail; its height is not tracked, so it is
        # recorded as filling the remaining depth (reused only where that fits).
        name = self.fresh_name(f"{type_.name}Fields")
        self.fragment_definitions.append(
            f"fragment {name} on {type_.name} {{ {' '.join(tail)} }}"
        )
        height = self.options.max_depth - depth + 1
        self.fragments.append(_Fragment(name, type_.name, height))
        return [*head, "..." + name]

    def fragment_spread(self, type_: GraphQLNamedType, depth: int) -> str:
        """``...Name``: reuses a fragment on ``type_`` that fits, or defines a new one."""
        room = self.options.max_depth - depth + 1
        fitting = [
            f for f in self.fragments if f.type_name == type_.name and f.height <= room
        ]
        if fitting and self.rng.random() < 0.6:
            reused = self.rng.choice(fitting)
            self.deepest = max(self.deepest, depth + reused.height - 1)
            return "..." + reused.name
        name = self.fresh_name(f"{type_.name}Fields")
        outer_deepest, self.deepest = self.deepest, depth
        body = self.selection_set(type_, depth)
        height = self.deepest - depth + 1
        self.deepest = max(outer_deepest, self.deepest)
        self.fragment_definitions.append(f"fragment {name} on {type_.name} {body}")
        self.fragments.append(_Fragment(name, type_.name, height))
        return "..." + name

    def overlapping_abstract_type(
        self, type_: GraphQLInterfaceType | GraphQLUnionType
    ) -> GraphQLInterfaceType | GraphQLUnionType | None:
        """Another abstract type sharing possible types with ``type_``, for nesting."""
        mine = {t.name for t in self.schema.get_possible_types(type_)}
        candidates = [
            t
            for t in self.schema.type_map.values()
            if isinstance(t, GraphQLInterfaceType | GraphQLUnionType)
            and t.name != type_.name
            and not t.name.startswith("_")
            and mine & {p.name for p in self.schema.get_possible_types(t)}
        ]
        return self.rng.choice(candidates) if candidates else None

    # -- fields -------------------------------------------------------------------------

    def pick_fields(
        self, type_: GraphQLObjectType | GraphQLInterfaceType, depth: int, wanted: int
    ) -> list[str]:
        """Distinct field names, composite ones favoured while there is depth left."""
        names = []
        weights = []
        for name, definition in type_.fields.items():
            if name.startswith("__") or f"{type_.name}.{name}" in _NEVER_GENERATED:
                continue
            composite = is_composite_type(get_named_type(definition.type))
            if composite and depth >= self.options.max_depth:
                continue
            names.append(name)
            weights.append(
                3.0 if composite and depth < self.options.max_depth - 1 else 1.0
            )
        chosen: list[str] = []
        while names and len(chosen) < wanted:
            pick = self.rng.choices(range(len(names)), weights)[0]
            chosen.append(names.pop(pick))
            weights.pop(pick)
        return chosen

    def field_selections(
        self,
        parent: GraphQLObjectType | GraphQLInterfaceType,
        field_name: str,
        depth: int,
        room: int,
    ) -> list[str]:
        """One selection of the field, or two under different aliases and arguments."""
        rng = self.rng
        definition = parent.fields[field_name]
        if definition.args and room >= 2 and rng.random() < 0.2:
            args = self.arguments(parent.name, field_name, definition.args)
            other = self.other_arguments(parent.name, field_name, definition, args)
            if other is not None:
                return [
                    self.field_text(parent, field_name, definition, depth, True, args),
                    self.field_text(parent, field_name, definition, depth, True, other),
                ]
        alias = rng.random() < 0.15
        return [self.field_text(parent, field_name, definition, depth, alias)]

    def other_arguments(
        self, type_name: str, field_name: str, definition: GraphQLField, taken: str
    ) -> str | None:
        """Arguments for the field that differ from ``taken``, or None after a few
        draws (a draw that is thrown away leaves no variable behind)."""
        for _ in range(5):
            mark = (
                len(self.variable_definitions),
                dict(self.variable_values),
                set(self.names_used),
            )
            drawn = self.arguments(type_name, field_name, definition.args)
            if drawn != taken:
                return drawn
            del self.variable_definitions[mark[0] :]
            self.variable_values, self.names_used = mark[1], mark[2]
        return None

    def field_text(
        self,
        parent: GraphQLObjectType | GraphQLInterfaceType,
        field_name: str,
        definition: GraphQLField,
        depth: int,
        alias: bool,
        arguments: str | None = None,
    ) -> str:
        """The field with its arguments (``arguments`` when given), directives and
        selection set."""
        if alias:
            word = self.rng.choice(_ALIAS_WORDS)
            prefix = (
                self.fresh_name(word + field_name[0].upper() + field_name[1:]) + ": "
            )
            if arguments is None:
                arguments = self.arguments(parent.name, field_name, definition.args)
        else:
            prefix = ""
            key = (parent.name, field_name)
            if key not in self.field_arguments:
                self.field_arguments[key] = self.arguments(
                    parent.name, field_name, definition.args
                )
            arguments = self.field_arguments[key]
        text = prefix + field_name + arguments + self.maybe_condition_directive(0.07)
        self.deepest = max(self.deepest, depth)
        named = get_named_type(definition.type)
        if is_composite_type(named):
            text += " " + self.selection_set(named, depth + 1)
        return text

    # -- directives ---------------------------------------------------------------------

    def maybe_condition_directive(self, probability: float) -> str:
        return self.condition_directive() if self.rng.random() < probability else ""

    def condition_directive(self) -> str:
        """`` @skip(if: ...)`` or `` @include(if: ...)``, literal or variable."""
        rng = self.rng
        name = rng.choice(("skip", "include"))
        if rng.random() < 0.35:
            condition = rng.choice(("true", "false"))
        else:
            variable = self.fresh_name("skipIt" if name == "skip" else "withIt")
            value = rng.random() < 0.5
            if rng.random() < 0.3:
                self.variable_definitions.append(
                    f"${variable}: Boolean = {json.dumps(not value)}"
                )
                if rng.random() < 0.5:
                    self.variable_values[variable] = value
            else:
                self.variable_definitions.append(f"${variable}: Boolean!")
                self.variable_values[variable] = value
            condition = "$" + variable
        return f" @{name}(if: {condition})"

    # -- arguments and values -----------------------------------------------------------

    def arguments(
        self, type_name: str, field_name: str, args: Mapping[str, GraphQLArgument]
    ) -> str:
        parts = []
        for arg_name, arg in args.items():
            required = (
                isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined
            )
            if not required and self.rng.random() < 0.6:
                continue
            coordinate = f"{type_name}.{field_name}({arg_name}:)"
            parts.append(
                f"{arg_name}: " + self.argument_value(arg.type, coordinate, arg_name)
            )
        return "(" + ", ".join(parts) + ")" if parts else ""

    def argument_value(
        self, type_: GraphQLInputType, coordinate: str, name: str
    ) -> str:
        """A literal, or a variable declared for it (then its value is recorded)."""
        rng = self.rng
        if rng.random() >= 0.35:
            literal, _ = self.value(type_, coordinate, name)
            return literal
        variable = self.fresh_name(name)
        literal, value = self.value(type_, coordinate, name)
        if isinstance(type_, GraphQLNonNull) and rng.random() < 0.3:
            # Nullable with a default: allowed where the argument is non-null.
            self.variable_definitions.append(
                f"${variable}: {type_.of_type} = {literal}"
            )
            if rng.random() < 0.5:
                self.variable_values[variable] = self.value(type_, coordinate, name)[1]
        else:
            self.variable_definitions.append(f"${variable}: {type_}")
            self.variable_values[variable] = value
        return "$" + variable

    def value(
        self, type_: GraphQLInputType, coordinate: str, name: str
    ) -> tuple[str, object]:
        """A value of ``type_`` as a GraphQL literal and as JSON."""
        rng = self.rng
        if isinstance(type_, GraphQLNonNull):
            return self.value(type_.of_type, coordinate, name)
        if isinstance(type_, GraphQLList):
            items = [
                self.value(type_.of_type, coordinate, name)
                for _ in range(rng.randint(1, 2))
            ]
            return "[" + ", ".join(i[0] for i in items) + "]", [i[1] for i in items]
        if isinstance(type_, GraphQLInputObjectType):
            return self.input_object(type_)
        supplied = self.options.argument_values.get(coordinate)
        if supplied is None:
            supplied = self.options.argument_values.get(name)
        if supplied:
            choice = rng.choice(list(supplied))
            return _literal(choice), choice
        if isinstance(type_, GraphQLEnumType):
            value = rng.choice(list(type_.values))
            return value, value
        if isinstance(type_, GraphQLScalarType):
            return _scalar_value(type_.name, rng)
        raise TypeError(f"no value for input type {type_}")

    def input_object(self, type_: GraphQLInputObjectType) -> tuple[str, object]:
        parts: list[str] = []
        value: dict[str, Any] = {}
        for field_name, input_field in type_.fields.items():
            if not _required(input_field) and self.rng.random() < 0.5:
                continue
            coordinate = f"{type_.name}.{field_name}"
            literal, json_value = self.value(input_field.type, coordinate, field_name)
            parts.append(f"{field_name}: {literal}")
            value[field_name] = json_value
        return "{" + ", ".join(parts) + "}", value

    # -- names --------------------------------------------------------------------------

    def fresh_name(self, base: str) -> str:
        """``base``, or ``base2``, ``base3``... : unique within the operation."""
        name, n = base, 1
        while name in self.names_used:
            n += 1
            name = f"{base}{n}"
        self.names_used.add(name)
        return name


def _required(input_field: GraphQLInputField) -> bool:
    return (
        isinstance(input_field.type, GraphQLNonNull)
        and input_field.default_value is Undefined
    )


def _scalar_value(scalar: str, rng: random.Random) -> tuple[str, object]:
    if scalar == "Int":
        number = rng.randint(1, 5)
        return str(number), number
    if scalar == "Float":
        decimal = rng.choice((0.5, 1.5, 2.25))
        return str(decimal), decimal
    if scalar == "Boolean":
        flag = rng.random() < 0.5
        return json.dumps(flag), flag
    if scalar == "ID":
        ident = rng.choice(_IDS)
        return json.dumps(ident), ident
    # String and custom scalars: a string literal is valid for both.
    text = rng.choice(_STRINGS)
    return json.dumps(text), text


def _literal(value: object) -> str:
    """A JSON-like value as a GraphQL literal (strings quoted, objects unquoted keys)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return json.dumps(value)
