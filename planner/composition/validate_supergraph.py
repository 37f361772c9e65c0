"""Rules checked on the merged supergraph: queries exist, @inaccessible is consistent,
entity interfaces and @interfaceObject are used correctly, and @requires fields carry
the authorization requirements of what they read. (That every field is reachable is
checked on the printed supergraph: ``satisfiability``.)"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from graphql import (
    EnumValueNode,
    GraphQLSyntaxError,
    ListValueNode,
    ObjectValueNode,
    StringValueNode,
    ValueNode,
    parse_value,
)

from planner.composition.errors import error, error_at
from planner.composition.result import CompositionError
from planner.composition.subgraph_model import Subgraph
from planner.composition.supergraph_model import (
    MergedInputValue,
    MergedType,
    SupergraphModel,
)
from planner.composition.type_refs import is_list, named_type, nullable, of_type
from planner.composition.validate_authorization import check_transitive_requirements

__all__ = ["validate_supergraph"]


def validate_supergraph(
    model: SupergraphModel, subgraphs: Sequence[Subgraph]
) -> list[CompositionError]:
    errors: list[CompositionError] = []
    query = model.types.get("Query")
    if query is None or not query.fields:
        errors.append(
            error(
                "NO_QUERIES",
                "No queries found in any subgraph: a supergraph must have a query root type.",
            )
        )
        return errors
    errors.extend(_inaccessible(model))
    errors.extend(_defaults_using_inaccessible(model))
    errors.extend(_interface_objects(model, subgraphs))
    errors.extend(_entity_interfaces(model, subgraphs))
    errors.extend(_interface_fields(model))
    errors.extend(check_transitive_requirements(model, subgraphs))
    return errors


def _inaccessible(model: SupergraphModel) -> list[CompositionError]:
    errors: list[CompositionError] = []
    hidden = {name for name, t in model.types.items() if t.applied.inaccessible}

    def referenced(type_ref: str, by: str) -> None:
        name = named_type(type_ref)
        if name in hidden:
            errors.append(
                error(
                    "REFERENCED_INACCESSIBLE",
                    f'Type "{name}" is @inaccessible but is referenced by "{by}", which is in the API schema.',
                    coordinate=by,
                )
            )

    for t in model.types.values():
        if t.applied.inaccessible:
            continue
        if t.kind in ("OBJECT", "INTERFACE"):
            visible = [f for f in t.fields.values() if not f.applied.inaccessible]
            for f in visible:
                referenced(f.type, f"{t.name}.{f.name}")
                for a in f.args.values():
                    coordinate = f"{t.name}.{f.name}({a.name}:)"
                    if a.applied.inaccessible:
                        if a.type.endswith("!") and a.default is None:
                            errors.append(
                                error(
                                    "REQUIRED_INACCESSIBLE",
                                    f'Argument "{coordinate}" is @inaccessible but is a required argument of its field.',
                                    coordinate=coordinate,
                                )
                            )
                        continue
                    referenced(a.type, coordinate)
            for i in t.interfaces:
                if i in hidden:
                    referenced(i, t.name)
            for f in t.fields.values():
                if not f.applied.inaccessible:
                    continue
                for i in t.interfaces:
                    interface = model.types.get(i)
                    if interface is None or i in hidden:
                        continue
                    implemented = interface.fields.get(f.name)
                    if implemented is not None and not implemented.applied.inaccessible:
                        errors.append(
                            error(
                                "IMPLEMENTED_BY_INACCESSIBLE",
                                f'Field "{t.name}.{f.name}" is @inaccessible but implements the interface field "{i}.{f.name}", which is in the API schema.',
                                coordinate=f"{t.name}.{f.name}",
                            )
                        )
            if not visible and t.fields:
                errors.append(_only_inaccessible(t, "fields"))
        elif t.kind == "INPUT_OBJECT":
            visible_inputs = [
                v for v in t.input_fields.values() if not v.applied.inaccessible
            ]
            for v in visible_inputs:
                referenced(v.type, f"{t.name}.{v.name}")
            for v in t.input_fields.values():
                if (
                    v.applied.inaccessible
                    and v.type.endswith("!")
                    and v.default is None
                ):
                    errors.append(
                        error(
                            "REQUIRED_INACCESSIBLE",
                            f'Input field "{t.name}.{v.name}" is @inaccessible but is a required input field of its type.',
                            coordinate=f"{t.name}.{v.name}",
                        )
                    )
            if not visible_inputs and t.input_fields:
                errors.append(_only_inaccessible(t, "input fields"))
        elif t.kind == "ENUM":
            if t.values and all(v.applied.inaccessible for v in t.values.values()):
                errors.append(_only_inaccessible(t, "values"))
        elif t.kind == "UNION" and t.members and all(m in hidden for m in t.members):
            errors.append(_only_inaccessible(t, "members"))
    if model.roots.get("query") in hidden:
        errors.append(
            error(
                "QUERY_ROOT_TYPE_INACCESSIBLE",
                'Type "Query" is @inaccessible but is the root query type, which must be in the API schema.',
                coordinate="Query",
            )
        )
    return errors


def _defaults_using_inaccessible(model: SupergraphModel) -> list[CompositionError]:
    """Default values in the API schema must not use what it hides: an @inaccessible
    enum value, or an @inaccessible input field set in an input object literal.

    Apollo's DEFAULT_VALUE_USES_INACCESSIBLE, checked on the default values of field
    and directive arguments and of input fields (its `validateInaccessibleElements`).
    """
    # (type, enum value or input field) -> coordinates of the visible arguments and
    # input fields whose default value uses it, in schema order
    used_by: dict[tuple[str, str], list[str]] = {}

    def read(value: MergedInputValue, coordinate: str, visible: bool) -> None:
        if not visible or value.default is None:
            return
        try:
            node = parse_value(value.default)
        except GraphQLSyntaxError:
            return
        for used in _default_references(model, node, value.type):
            used_by.setdefault(used, []).append(coordinate)

    for t in model.types.values():
        shown = not t.applied.inaccessible
        for f in t.fields.values():
            for a in f.args.values():
                visible = shown and not f.applied.inaccessible
                read(
                    a,
                    f"{t.name}.{f.name}({a.name}:)",
                    visible and not a.applied.inaccessible,
                )
        for v in t.input_fields.values():
            read(v, f"{t.name}.{v.name}", shown and not v.applied.inaccessible)
    for d in model.directives.values():
        for a in d.args.values():
            read(a, f"@{d.name}({a.name}:)", not a.applied.inaccessible)
    errors: list[CompositionError] = []
    for t in model.types.values():
        hidden = [
            ("Enum value", name)
            for name, value in t.values.items()
            if value.applied.inaccessible
        ] + [
            ("Input field", name)
            for name, value in t.input_fields.items()
            if value.applied.inaccessible
        ]
        for what, name in hidden:
            for coordinate in used_by.get((t.name, name), ()):
                errors.append(
                    error(
                        "DEFAULT_VALUE_USES_INACCESSIBLE",
                        f'{what} "{t.name}.{name}" is @inaccessible but is used in the default value of "{coordinate}", which is in the API schema.',
                        coordinate=coordinate,
                    )
                )
    return errors


def _default_references(
    model: SupergraphModel, node: ValueNode, type_ref: str
) -> Iterator[tuple[str, str]]:
    """The enum values and input fields a default value uses, as (type, name).

    A lone value given for a list type stands for a one-item list (input coercion);
    values that do not fit the type use nothing, as in Apollo's `addValueReferences`.
    """
    ref = nullable(type_ref)
    if is_list(ref):
        items = node.values if isinstance(node, ListValueNode) else (node,)
        for item in items:
            yield from _default_references(model, item, of_type(ref))
        return
    t = model.types.get(ref)
    if t is None:
        return
    if t.kind == "INPUT_OBJECT" and isinstance(node, ObjectValueNode):
        given = {f.name.value: f.value for f in node.fields}
        for name, input_field in t.input_fields.items():
            if name in given:
                yield (t.name, name)
                yield from _default_references(model, given[name], input_field.type)
    elif (
        # Apollo reads enum literals as strings, so a string literal names a value too.
        t.kind == "ENUM"
        and isinstance(node, EnumValueNode | StringValueNode)
        and node.value in t.values
    ):
        yield (t.name, node.value)


def _only_inaccessible(t: MergedType, what: str) -> CompositionError:
    kind = {
        "OBJECT": "Type",
        "INTERFACE": "Type",
        "INPUT_OBJECT": "Input object",
        "ENUM": "Enum",
        "UNION": "Union",
    }[t.kind]
    return error(
        "ONLY_INACCESSIBLE_CHILDREN",
        f'{kind} "{t.name}" is in the API schema but all of its {what} are @inaccessible.',
        coordinate=t.name,
    )


def _interface_objects(
    model: SupergraphModel, subgraphs: Sequence[Subgraph]
) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for t in model.types.values():
        if not any(j.interface_object for j in t.join_types):
            continue
        as_object = [
            sg.name
            for sg in subgraphs
            if t.name in sg.types and sg.types[t.name].interface_object
        ]
        as_interface = [
            sg
            for sg in subgraphs
            if t.name in sg.types
            and sg.types[t.name].kind == "INTERFACE"
            and sg.types[t.name].keys
        ]
        if not as_interface:
            names = ", ".join(f'"{n}"' for n in as_object)
            errors.append(
                error(
                    "INTERFACE_OBJECT_USAGE_ERROR",
                    f'Type "{t.name}" is declared with @interfaceObject in all the subgraphs in which is is defined (it is defined in subgraphs {names} but should be defined as an interface in at least one subgraph)',
                    tuple(as_object),
                    t.name,
                )
            )
            continue
        implementations = [
            n for n, other in model.types.items() if t.name in other.interfaces
        ]
        for sg in subgraphs:
            mine = sg.types.get(t.name)
            if mine is None or not mine.interface_object:
                continue
            for impl in implementations:
                if impl in sg.types:
                    errors.append(
                        error_at(
                            "INTERFACE_OBJECT_USAGE_ERROR",
                            sg.name,
                            f'Interface type "{t.name}" is defined as an @interfaceObject in subgraph "{sg.name}" so that subgraph should not define any of the implementation types of "{t.name}", but it defines type "{impl}"',
                            sg.types[impl].node,
                            impl,
                        )
                    )
    return errors


def _entity_interfaces(
    model: SupergraphModel, subgraphs: Sequence[Subgraph]
) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for sg in subgraphs:
        for interface in sg.types.values():
            if interface.kind != "INTERFACE" or not interface.keys:
                continue
            supergraph_impls = [
                n
                for n, other in model.types.items()
                if interface.name in other.interfaces and other.kind == "OBJECT"
            ]
            missing = [n for n in supergraph_impls if n not in sg.types]
            if missing:
                errors.append(
                    error_at(
                        "INTERFACE_KEY_MISSING_IMPLEMENTATION_TYPE",
                        sg.name,
                        f'Interface type "{interface.name}" has a resolvable key (@key(fields: "{interface.keys[0].fields}")) in subgraph "{sg.name}" but that subgraph is missing some of the supergraph implementation types of "{interface.name}". Subgraph "{sg.name}" should define type{"s" if len(missing) > 1 else ""} {_and(missing)} (and have {"them" if len(missing) > 1 else "it"} implement "{interface.name}").',
                        interface.node,
                        interface.name,
                    )
                )
            for impl_name in [
                n for n, other in sg.types.items() if interface.name in other.interfaces
            ]:
                impl = sg.types[impl_name]
                impl_keys = {" ".join(k.fields.split()) for k in impl.keys}
                for key in interface.keys:
                    if " ".join(key.fields.split()) not in impl_keys:
                        errors.append(
                            error_at(
                                "INTERFACE_KEY_NOT_ON_IMPLEMENTATION",
                                sg.name,
                                f'Key @key(fields: "{key.fields}") on interface type "{interface.name}" is missing on implementation type "{impl_name}".',
                                impl.node,
                                impl_name,
                            )
                        )
    return errors


def _interface_fields(model: SupergraphModel) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for t in model.types.values():
        for interface_name in t.interfaces:
            interface = model.types.get(interface_name)
            if interface is None:
                continue
            for name in interface.fields:
                if name not in t.fields:
                    errors.append(
                        error(
                            "INTERFACE_FIELD_NO_IMPLEM",
                            f'Interface field "{interface_name}.{name}" is declared in some subgraph but type "{t.name}", which implements "{interface_name}", does not have field "{name}" in any subgraph.',
                            coordinate=f"{t.name}.{name}",
                        )
                    )
    return errors


def _and(names: Sequence[str]) -> str:
    quoted = [f'"{n}"' for n in names]
    return (
        quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
    )
