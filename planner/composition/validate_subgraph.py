"""Federation rules that one subgraph must satisfy on its own (keys, requires, provides, external...).

Federation 1 subgraphs are first upgraded the way Apollo upgrades them: key fields of type
extensions stop being `@external`, and `@external` fields nothing uses are dropped.
"""

from __future__ import annotations

import re

from planner.composition.errors import error_at
from planner.composition.field_sets import (
    FieldSetError,
    SelectedField,
    parse_field_set,
    walk_field_set,
)
from planner.composition.result import CompositionError
from planner.composition.subgraph_model import FieldDef, Subgraph, TypeDef
from planner.composition.type_refs import named_type

__all__ = ["validate_subgraph"]

_LABEL = re.compile(r"^[a-zA-Z][a-zA-Z0-9_\-:.]*$")
_PERCENT = re.compile(r"^percent\((\d{1,3}(\.\d{1,8})?)\)$")


def validate_subgraph(subgraph: Subgraph) -> list[CompositionError]:
    return _Validator(subgraph).run()


class _Validator:
    def __init__(self, subgraph: Subgraph) -> None:
        self.sg = subgraph
        self.errors: list[CompositionError] = []

    def fail(
        self,
        code: str,
        message: str,
        node: object = None,
        coordinate: str | None = None,
    ) -> None:
        self.errors.append(error_at(code, self.sg.name, message, node, coordinate))  # type: ignore[arg-type]

    def run(self) -> list[CompositionError]:
        if not self.sg.fed2:
            _upgrade_fed1_key_externals(self.sg)
        for type_def in list(self.sg.types.values()):
            self._check_keys(type_def)
            self._check_interface_object(type_def)
            for field_def in type_def.fields.values():
                self._check_field(type_def, field_def)
        if self.sg.fed2:
            self._check_externals_used()
        else:
            _drop_unused_fed1_externals(self.sg)
        return self.errors

    def _check_keys(self, type_def: TypeDef) -> None:
        if type_def.keys and type_def.kind == "INTERFACE" and self.sg.version < (2, 3):
            self.fail(
                "KEY_UNSUPPORTED_ON_INTERFACE",
                f'Cannot use @key on interface "{type_def.name}": @key is not yet supported on interfaces',
                type_def.node,
                type_def.name,
            )
            return
        for key in type_def.keys:
            where = f'On type "{type_def.name}", for @key(fields: "{key.fields}")'
            try:
                if _has_directive(key.fields):
                    self.fail(
                        "KEY_DIRECTIVE_IN_FIELDS_ARG",
                        f"{where}: cannot have directive applications in the @key(fields:) argument but found @{_has_directive(key.fields)}.",
                        type_def.node,
                        type_def.name,
                    )
                    continue
                selected = walk_field_set(self.sg, type_def.name, key.fields)
            except FieldSetError as exc:
                abstract = self._abstract_key_field(type_def, key.fields)
                if abstract is not None:
                    self.fail(
                        "KEY_FIELDS_SELECT_INVALID_TYPE",
                        f'{where}: field "{type_def.name}.{abstract.name}" is a{"n" if self._kind_of(abstract.type) == "INTERFACE" else ""} {self._kind_of(abstract.type).capitalize()} type which is not allowed in @key',
                        type_def.node,
                        type_def.name,
                    )
                else:
                    self.fail(
                        "KEY_INVALID_FIELDS",
                        f"{where}: {exc}",
                        type_def.node,
                        type_def.name,
                    )
                continue
            for sel in selected:
                coordinate = f"{sel.parent.name}.{sel.field.name}"
                required = next(
                    (
                        a
                        for a in sel.field.args.values()
                        if a.type.endswith("!") and a.default is None
                    ),
                    None,
                )
                if required is not None:
                    # Apollo reads the selection as a query first: a required
                    # argument without a value makes it invalid before any key rule.
                    self.fail(
                        "KEY_INVALID_FIELDS",
                        f'{where}: Missing mandatory value for argument "{required.name}" of field "{coordinate}" in selection "{sel.node.name.value}"',
                        type_def.node,
                        type_def.name,
                    )
                elif sel.field.args:
                    self.fail(
                        "KEY_FIELDS_HAS_ARGS",
                        f"{where}: field {coordinate} cannot be included because it has arguments (fields with argument are not allowed in @key)",
                        type_def.node,
                        type_def.name,
                    )
                # Lists are allowed in keys (Apollo refuses only abstract types).
                kind = self._kind_of(sel.field.type)
                if kind in ("INTERFACE", "UNION"):
                    self.fail(
                        "KEY_FIELDS_SELECT_INVALID_TYPE",
                        f'{where}: field "{coordinate}" is a {kind.capitalize()} type which is not allowed in @key',
                        type_def.node,
                        type_def.name,
                    )
                self.sg.used_fields.add((sel.parent.name, sel.field.name))
                # Every field a key selects, nested ones too, is shareable (Apollo's
                # computeShareables): `loc { code zone }` makes Loc.code shareable.
                self.sg.key_fields.add((sel.parent.name, sel.field.name))

    def _abstract_key_field(self, type_def: TypeDef, fields: str) -> FieldDef | None:
        """A top-level key field of interface or union type (checked before sub-selections)."""
        try:
            selection_set = parse_field_set(fields)
        except FieldSetError:
            return None
        for node in selection_set.selections:
            field_def = type_def.fields.get(
                getattr(getattr(node, "name", None), "value", "")
            )
            if field_def is not None and self._kind_of(field_def.type) in (
                "INTERFACE",
                "UNION",
            ):
                return field_def
        return None

    def _kind_of(self, type_ref: str) -> str:
        target = self.sg.types.get(named_type(type_ref))
        return target.kind if target else "SCALAR"

    def _check_interface_object(self, type_def: TypeDef) -> None:
        if not type_def.interface_object:
            return
        if not type_def.keys:
            self.fail(
                "INTERFACE_OBJECT_USAGE_ERROR",
                f'The @interfaceObject directive can only be applied to entity types but type "{type_def.name}" has no @key in this subgraph.',
                type_def.node,
                type_def.name,
            )

    def _check_field(self, type_def: TypeDef, field_def: FieldDef) -> None:
        coordinate = f"{type_def.name}.{field_def.name}"
        on_interface = type_def.kind == "INTERFACE"
        if on_interface and field_def.shareable:
            self.fail(
                "INVALID_SHAREABLE_USAGE",
                f'Invalid use of @shareable on field "{coordinate}": only object type fields can be marked with @shareable',
                field_def.node,
                coordinate,
            )
        if on_interface and field_def.external and self.sg.fed2:
            self.fail(
                "EXTERNAL_ON_INTERFACE",
                f'Interface type field "{coordinate}" is marked @external but @external is not allowed on interface fields.',
                field_def.node,
                coordinate,
            )
        if field_def.requires is not None:
            self._check_requires(type_def, field_def, coordinate, on_interface)
        if field_def.provides is not None:
            self._check_provides(type_def, field_def, coordinate, on_interface)
        if field_def.override is not None:
            self._check_override(type_def, field_def, coordinate, on_interface)

    def _check_requires(
        self,
        type_def: TypeDef,
        field_def: FieldDef,
        coordinate: str,
        on_interface: bool,
    ) -> None:
        where = (
            f'On field "{coordinate}", for @requires(fields: "{field_def.requires}")'
        )
        if on_interface:
            self.fail(
                "REQUIRES_UNSUPPORTED_ON_INTERFACE",
                f'Cannot use @requires on field "{coordinate}" of parent type "{type_def.name}": @requires is not yet supported within interfaces',
                field_def.node,
                coordinate,
            )
            # Apollo goes on to check the field set too, and so report the same codes
        try:
            selected = walk_field_set(self.sg, type_def.name, field_def.requires or "")
        except FieldSetError as exc:
            self.fail(
                "REQUIRES_INVALID_FIELDS", f"{where}: {exc}", field_def.node, coordinate
            )
            return
        self._check_external_selection(
            selected,
            "REQUIRES_FIELDS_MISSING_EXTERNAL",
            where,
            "@requires",
            field_def,
            coordinate,
        )

    def _check_provides(
        self,
        type_def: TypeDef,
        field_def: FieldDef,
        coordinate: str,
        on_interface: bool,
    ) -> None:
        where = (
            f'On field "{coordinate}", for @provides(fields: "{field_def.provides}")'
        )
        if on_interface:
            self.fail(
                "PROVIDES_UNSUPPORTED_ON_INTERFACE",
                f'Cannot use @provides on field "{coordinate}" of parent type "{type_def.name}": @provides is not yet supported within interfaces',
                field_def.node,
                coordinate,
            )
            # Apollo goes on to check the field set too, and so report the same codes
        target = named_type(field_def.type)
        kind = self._kind_of(field_def.type)
        if kind not in ("OBJECT", "INTERFACE", "UNION"):
            self.fail(
                "PROVIDES_ON_NON_OBJECT_FIELD",
                f'Invalid @provides directive on field "{coordinate}": field has type "{field_def.type}" which is not a Composite Type',
                field_def.node,
                coordinate,
            )
            return
        try:
            selected = walk_field_set(self.sg, target, field_def.provides or "")
        except FieldSetError as exc:
            self.fail(
                "PROVIDES_INVALID_FIELDS", f"{where}: {exc}", field_def.node, coordinate
            )
            return
        self._check_external_selection(
            selected,
            "PROVIDES_FIELDS_MISSING_EXTERNAL",
            where,
            "@provides",
            field_def,
            coordinate,
        )

    def _check_external_selection(
        self,
        selected: list[SelectedField],
        code: str,
        where: str,
        directive: str,
        field_def: FieldDef,
        coordinate: str,
    ) -> None:
        external_parents: set[int] = set()
        for sel in selected:
            self.sg.used_fields.add((sel.parent.name, sel.field.name))
            if sel.depth == 0:
                external_parents.clear()
            if sel.field.external or not self.sg.fed2:
                external_parents.add(sel.depth)
                continue
            if any(d < sel.depth for d in external_parents):
                continue
            # Only leaves must be external (Apollo's rule): a field of the subgraph's
            # own with a sub-selection leads to external fields below it
            # (`author { name }`).
            if sel.node.selection_set is not None:
                continue
            self.fail(
                code,
                f'{where}: field "{sel.parent.name}.{sel.field.name}" should not be part of a {directive} since it is already provided by this subgraph (it is not marked @external)',
                field_def.node,
                coordinate,
            )

    def _check_override(
        self,
        type_def: TypeDef,
        field_def: FieldDef,
        coordinate: str,
        on_interface: bool,
    ) -> None:
        source = field_def.override
        if type_def.interface_object:
            return  # refused while merging (merge_fields), where Apollo refuses it
        if on_interface:
            self.fail(
                "OVERRIDE_ON_INTERFACE",
                f'@override cannot be used on field "{coordinate}" on subgraph "{self.sg.name}": @override is not supported on interface type fields.',
                field_def.node,
                coordinate,
            )
            return
        if source == self.sg.name:
            self.fail(
                "OVERRIDE_FROM_SELF_ERROR",
                f'Source and destination subgraphs "{source}" are the same for overridden field "{coordinate}"',
                field_def.node,
                coordinate,
            )
        label = field_def.override_label
        if label is not None and not _valid_label(label):
            self.fail(
                "OVERRIDE_LABEL_INVALID",
                f'Invalid @override label "{label}" on field "{coordinate}" on subgraph "{self.sg.name}": labels must start with a letter and after that may contain alphanumerics, underscores, minuses, colons, periods, or be of the form "percent(x)" where x is a float between 0-100 inclusive.',
                field_def.node,
                coordinate,
            )
        if field_def.external:
            self.fail(
                "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
                f'@override cannot be used on field "{coordinate}" on subgraph "{self.sg.name}" since "{coordinate}" on "{self.sg.name}" is marked with directive "@external"',
                field_def.node,
                coordinate,
            )

    def _check_externals_used(self) -> None:
        for type_def in self.sg.types.values():
            for field_def in type_def.fields.values():
                if (
                    not field_def.external
                    or (type_def.name, field_def.name) in self.sg.used_fields
                ):
                    continue
                if self._satisfies_interface(type_def, field_def.name):
                    continue
                coordinate = f"{type_def.name}.{field_def.name}"
                self.fail(
                    "EXTERNAL_UNUSED",
                    f'Field "{coordinate}" is marked @external but is not used in any federation directive (@key, @provides, @requires) or to satisfy an interface; the field declaration has no use and should be removed (or the field should not be @external).',
                    field_def.node,
                    coordinate,
                )

    def _satisfies_interface(self, type_def: TypeDef, field_name: str) -> bool:
        return any(
            field_name in self.sg.types[i].fields
            for i in type_def.interfaces
            if i in self.sg.types
        )


def _valid_label(label: str) -> bool:
    percent = _PERCENT.match(label)
    if percent:
        return 0 <= float(percent.group(1)) <= 100
    return bool(_LABEL.match(label)) and not label.startswith("percent")


def _has_directive(fields: str) -> str | None:
    try:
        selection_set = parse_field_set(fields)
    except FieldSetError:
        return None
    stack = list(selection_set.selections)
    while stack:
        node = stack.pop()
        if node.directives:
            return node.directives[0].name.value
        sub = getattr(node, "selection_set", None)
        if sub is not None:
            stack.extend(sub.selections)
    return None


def _upgrade_fed1_key_externals(subgraph: Subgraph) -> None:
    """Federation 1 type extensions mark key fields @external; Federation 2 lets them resolve."""
    for type_def in subgraph.types.values():
        for key in type_def.keys:
            try:
                selected = walk_field_set(subgraph, type_def.name, key.fields)
            except FieldSetError:
                continue
            for sel in selected:
                if sel.depth == 0 and sel.field.external:
                    sel.field.external = False


def _drop_unused_fed1_externals(subgraph: Subgraph) -> None:
    for type_def in subgraph.types.values():
        for name in [
            n
            for n, f in type_def.fields.items()
            if f.external and (type_def.name, n) not in subgraph.used_fields
        ]:
            del type_def.fields[name]
