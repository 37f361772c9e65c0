"""Merging the fields of object and interface types, and their `@join__field` metadata.

A field gets no `@join__field` when every subgraph defining its type resolves it the same
way; otherwise one application per subgraph that declares it (external, overridden-but-used
or resolving). Sharing rules: a field resolved by several subgraphs (an @interfaceObject
resolving it for every implementation) must be shareable in each (explicitly, through its
type, as a key field, or as a Federation 1 field).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from planner.composition.errors import error
from planner.composition.hints import (
    compatible_types,
    did_you_mean,
    present_in_some,
    subgraph_list,
)
from planner.composition.merge_authorization import without_requirements
from planner.composition.merge_metadata import merge_applied, pick_description
from planner.composition.subgraph_model import FieldDef, Subgraph, TypeDef
from planner.composition.supergraph_model import (
    JoinField,
    MergedField,
    MergedType,
)
from planner.composition.type_refs import named_type

if TYPE_CHECKING:
    from planner.composition.merge import _Merger

__all__ = ["FieldMerger"]


class FieldMerger:
    def __init__(self, merger: _Merger, types: dict[str, MergedType]) -> None:
        self.m = merger
        self.types = types
        # Subgraphs with an @interfaceObject type, in subgraph order: the only ones
        # that can resolve an object's field without declaring the object.
        self._interface_object_graphs = [
            sg
            for sg in merger.subgraphs
            if any(t.interface_object for t in sg.types.values())
        ]
        self._order = {sg.name: i for i, sg in enumerate(merger.subgraphs)}

    def merge_fields(
        self, merged: MergedType, defs: list[tuple[Subgraph, TypeDef]]
    ) -> None:
        names: list[str] = []
        for _, t in defs:
            names.extend(f for f in t.fields if f not in names)
        value_type = self._value_type_kind(merged, defs)
        for name in names:
            having = [(sg, t, t.fields[name]) for sg, t in defs if name in t.fields]
            if value_type is not None:
                self._hint_value_type_field(merged, defs, name, value_type)
            field = self._merge_field(merged, defs, having)
            if field is not None:
                merged.fields[name] = field

    def _value_type_kind(
        self, merged: MergedType, defs: list[tuple[Subgraph, TypeDef]]
    ) -> str | None:
        """How Apollo's value-type field hints name `merged` ("non-entity object",
        "interface"), or None when they do not apply: an entity, a root type, an
        interface with a @key. Hints INCONSISTENT_ENTITY on the way, as Apollo's
        `hintOnInconsistentEntity` does."""
        if merged.kind == "INTERFACE":
            return None if any(t.keys for _, t in defs) else "interface"
        keyed = [sg.name for sg, t in defs if t.keys]
        if keyed and len(keyed) < len(defs):
            self.m.hint(
                "INCONSISTENT_ENTITY",
                f'Type "{merged.name}" is declared as an entity (has a @key applied) in some but not all defining subgraphs: it has no @key in {subgraph_list([sg.name for sg, t in defs if not t.keys])} but has some @key in {subgraph_list(keyed)}.',
                merged.name,
            )
        if keyed or any(sg.root_kind(merged.name) for sg, _ in defs):
            return None
        return "non-entity object"

    def _hint_value_type_field(
        self,
        merged: MergedType,
        defs: list[tuple[Subgraph, TypeDef]],
        name: str,
        kind: str,
    ) -> None:
        """INCONSISTENT_{OBJECT,INTERFACE}_VALUE_TYPE_FIELD: a subgraph defines the
        value type without the field (an @interfaceObject, a type whose fields are all
        @external, or an interface field an @interfaceObject provides do not count)."""
        if kind == "interface" and any(
            t.interface_object and name in t.fields for _, t in defs
        ):
            return
        lacking = [
            sg.name
            for sg, t in defs
            if name not in t.fields
            and not t.interface_object
            and not (t.fields and all(f.external for f in t.fields.values()))
        ]
        if not lacking:
            return
        coordinate = f"{merged.name}.{name}"
        code = (
            "INCONSISTENT_INTERFACE_VALUE_TYPE_FIELD"
            if kind == "interface"
            else "INCONSISTENT_OBJECT_VALUE_TYPE_FIELD"
        )
        self.m.hint(
            code,
            present_in_some(
                f'Field "{coordinate}" of {kind} type "{merged.name}" is defined in some but not all subgraphs that define "{merged.name}": ',
                f'"{coordinate}" is defined in',
                [sg.name for sg, t in defs if name in t.fields],
                [sg.name for sg, t in defs if name not in t.fields],
            ),
            coordinate,
        )

    def _merge_field(
        self,
        merged: MergedType,
        defs: list[tuple[Subgraph, TypeDef]],
        having: list[tuple[Subgraph, TypeDef, FieldDef]],
    ) -> MergedField | None:
        coordinate = f"{merged.name}.{having[0][2].name}"
        names_in = {sg.name for sg, _, _ in having}
        overridden_by: dict[str, FieldDef] = {}
        for sg, t, f in having:
            if f.override is None:
                continue
            names = [s.name for s in self.m.subgraphs]
            if t.interface_object:
                # Refused, and then merged as if it were not there, as Apollo does:
                # the field may then be resolved by several subgraphs without
                # @shareable, which is reported too.
                self.m.errors.append(
                    error(
                        "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
                        f'@override is not yet supported on fields of @interfaceObject types: cannot be used on field "{coordinate}" on subgraph "{sg.name}".',
                        (sg.name,),
                        coordinate,
                    )
                )
            elif f.override not in names:
                self.m.hint(
                    "FROM_SUBGRAPH_DOES_NOT_EXIST",
                    f'Source subgraph "{f.override}" for field "{coordinate}" on subgraph "{sg.name}" does not exist.{did_you_mean(f.override, names)}',
                    coordinate,
                )
            elif f.override in names_in:
                source = next(sf for s, _, sf in having if s.name == f.override)
                if source.override is not None:
                    # Reported from each side; neither override applies, so the
                    # field is then resolved by both subgraphs (Apollo's behaviour).
                    self.m.errors.append(
                        error(
                            "OVERRIDE_SOURCE_HAS_OVERRIDE",
                            f'Field "{coordinate}" on subgraph "{sg.name}" is also marked with directive @override in subgraph "{f.override}". Only one @override directive is allowed per field.',
                            (sg.name, f.override),
                            coordinate,
                        )
                    )
                    continue
                if source.external:
                    self.m.hint(
                        "OVERRIDE_DIRECTIVE_CAN_BE_REMOVED",
                        f'Field "{coordinate}" on subgraph "{sg.name}" is not resolved anymore by the from subgraph (it is marked "@external" in "{f.override}"). The @override directive can be removed.',
                        coordinate,
                    )
                overridden_by[f.override] = f
            elif f.override != sg.name:
                self.m.hint(
                    "OVERRIDE_DIRECTIVE_CAN_BE_REMOVED",
                    f'Field "{coordinate}" on subgraph "{sg.name}" no longer exists in the from subgraph. The @override directive can be removed.',
                    coordinate,
                )
        non_external = [(sg, t, f) for sg, t, f in having if not f.external]
        if not non_external:
            if merged.kind == "OBJECT":
                self.m.errors.append(
                    error(
                        "EXTERNAL_MISSING_ON_BASE",
                        f'Field "{coordinate}" is marked @external on all the subgraphs in which it is listed ({subgraph_list([sg.name for sg, _, _ in having])}).',
                        tuple(sg.name for sg, _, _ in having),
                        coordinate,
                    )
                )
            return None
        refs = [f.type for _, _, f in non_external]
        merged_type = self.m.relations.most_general(refs)
        if merged_type is None:
            self.m.errors.append(
                error(
                    "FIELD_TYPE_MISMATCH",
                    f'Type of field "{coordinate}" is incompatible across subgraphs: it has {_by_type(non_external)}',
                    tuple(sg.name for sg, _, _ in non_external),
                    coordinate,
                )
            )
            return None
        relation = compatible_types(
            "field",
            coordinate,
            merged_type,
            [(sg.name, f.type) for sg, _, f in non_external],
            "subtype",
        )
        if relation is not None:
            self.m.hint("INCONSISTENT_BUT_COMPATIBLE_FIELD_TYPE", relation, coordinate)
        externals = [(sg, f) for sg, _, f in having if f.external]
        mismatched = [
            (sg, f)
            for sg, f in externals
            if not self.m.relations.is_subtype(merged_type, f.type)
        ]
        if mismatched:
            groups = [(s, None, f) for s, f in mismatched] + non_external[:1]
            self.m.errors.append(
                error(
                    "EXTERNAL_TYPE_MISMATCH",
                    f'Type of field "{coordinate}" is incompatible across subgraphs (where marked @external): it has {_by_type(groups)}',
                    tuple(sg.name for sg, _ in mismatched),
                    coordinate,
                )
            )
        self._check_external_arguments(coordinate, non_external, externals)
        if merged.kind == "OBJECT":
            self._check_sharing(coordinate, non_external, overridden_by)
            self._check_runtime_types(coordinate, merged_type, non_external)
        args = self.m.merge_arguments(
            coordinate, [(sg, f.args) for sg, _, f in non_external]
        )
        if args is None:
            return None
        description = pick_description([f.description for _, _, f in non_external])
        self.m.hint_descriptions(
            coordinate, [(sg, f) for sg, _, f in non_external], description
        )
        self.m.hint_applied(coordinate, [(sg, f.applied) for sg, _, f in non_external])
        field = MergedField(
            name=having[0][2].name,
            type=merged_type,
            args=args,
            description=description,
            applied=merge_applied([f.applied for _, _, f in having]),
        )
        field.join_fields = self._join_fields(
            merged, defs, having, overridden_by, merged_type
        )
        return field

    def _check_sharing(
        self,
        coordinate: str,
        non_external: list[tuple[Subgraph, TypeDef, FieldDef]],
        overridden_by: dict[str, FieldDef],
    ) -> None:
        """A field resolved by several subgraphs must be shareable in each.

        An @interfaceObject resolves the fields it declares for every implementation of
        its interface, so a subgraph that lacks the object type but has one of its
        interfaces as an @interfaceObject declaring the field resolves it too (Apollo's
        `validateFieldSharing` with `fieldsInSourceIfAbstractedByInterfaceObject`)."""
        # A progressive override keeps both subgraphs resolving the field; an override
        # refused while merging (OVERRIDE_SOURCE_HAS_OVERRIDE) does not count.
        if any(f.override_label for f in overridden_by.values()):
            return
        own = {
            sg.name: (t, f) for sg, t, f in non_external if sg.name not in overridden_by
        }
        parent, _, field_name = coordinate.partition(".")
        # (label, subgraph, shareable) in subgraph order, as Apollo lists them
        resolvers: list[tuple[str, str, bool]] = []
        involved = {sg.name: sg for sg, _, _ in non_external if sg.name in own}
        for sg in self._interface_object_graphs:
            involved.setdefault(sg.name, sg)
        for sg in sorted(involved.values(), key=lambda s: self._order[s.name]):
            if sg.name in own:
                t, f = own[sg.name]
                resolvers.append((f'"{sg.name}"', sg.name, _shareable(sg, t, f)))
                continue
            if parent in sg.types:
                continue
            for t, f in self._interface_object_fields(sg, parent, field_name):
                label = (
                    f'"{sg.name}" (through @interfaceObject field "{t.name}.{f.name}")'
                )
                resolvers.append((label, sg.name, _shareable(sg, t, f)))
        non_shareable = [label for label, _, shareable in resolvers if not shareable]
        if len(resolvers) < 2 or not non_shareable:
            return
        which = (
            "all of them"
            if len(non_shareable) == len(resolvers)
            else _labels(non_shareable)
        )
        self.m.errors.append(
            error(
                "INVALID_FIELD_SHARING",
                f'Non-shareable field "{coordinate}" is resolved from multiple subgraphs: it is resolved from {_labels([label for label, _, _ in resolvers])} and defined as non-shareable in {which}',
                tuple(dict.fromkeys(name for _, name, _ in resolvers)),
                coordinate,
            )
        )

    def _interface_object_fields(
        self, sg: Subgraph, parent: str, field_name: str
    ) -> list[tuple[TypeDef, FieldDef]]:
        """The resolving fields of `sg`'s @interfaceObject types that stand for
        interfaces of the supergraph object type `parent`."""
        merged = self.types.get(parent)
        if merged is None:
            return []
        found = []
        for interface in merged.interfaces:
            local = sg.types.get(interface)
            if local is None or not local.interface_object:
                continue
            f = local.fields.get(field_name)
            if f is not None and not f.external:
                found.append((local, f))
        return found

    def _check_external_arguments(
        self,
        coordinate: str,
        non_external: list[tuple[Subgraph, TypeDef, FieldDef]],
        externals: list[tuple[Subgraph, FieldDef]],
    ) -> None:
        for sg, f in externals:
            for _, _, resolving in non_external:
                for arg in resolving.args:
                    if arg not in f.args:
                        declared = [s.name for s, _, r in non_external if arg in r.args]
                        self.m.errors.append(
                            error(
                                "EXTERNAL_ARGUMENT_MISSING",
                                f'Field "{coordinate}" is missing argument "{coordinate}({arg}:)" in some subgraphs where it is marked @external: argument "{coordinate}({arg}:)" is declared in {subgraph_list(declared)} but not in subgraph "{sg.name}" (where "{coordinate}" is @external).',
                                (*declared, sg.name),
                                f"{coordinate}({arg}:)",
                            )
                        )
                        return

    def _check_runtime_types(
        self,
        coordinate: str,
        merged_type: str,
        non_external: list[tuple[Subgraph, TypeDef, FieldDef]],
    ) -> None:
        """A shared field of abstract type must be able to return a common runtime type everywhere."""
        if len(non_external) < 2:
            return
        target = named_type(merged_type)
        runtime: list[tuple[str, set[str]]] = []
        for sg, _, _ in non_external:
            local = sg.types.get(target)
            if local is None or local.kind not in ("INTERFACE", "UNION"):
                return
            if local.kind == "UNION":
                runtime.append((sg.name, set(local.members)))
            else:
                runtime.append(
                    (
                        sg.name,
                        {
                            n
                            for n, t in sg.types.items()
                            if target in t.interfaces and t.kind == "OBJECT"
                        },
                    )
                )
        for i, (first, types_a) in enumerate(runtime):
            for second, types_b in runtime[i + 1 :]:
                if types_a and types_b and not types_a & types_b:
                    self.m.errors.append(
                        error(
                            "SHAREABLE_HAS_MISMATCHED_RUNTIME_TYPES",
                            f'For the following supergraph API query:\n{{ {coordinate} }}\nShared field "{coordinate}" return type "{merged_type}" has a non-intersecting set of possible runtime types across subgraphs. Runtime types in subgraph "{first}" are: [{", ".join(sorted(types_a))}]. Runtime types in subgraph "{second}" are: [{", ".join(sorted(types_b))}]. This is not allowed as shared fields must resolve the same way in all subgraphs, and that imply at least some common runtime types between the subgraphs.',
                            (first, second),
                            coordinate,
                        )
                    )
                    return

    def _join_fields(
        self,
        merged: MergedType,
        defs: list[tuple[Subgraph, TypeDef]],
        having: list[tuple[Subgraph, TypeDef, FieldDef]],
        overridden_by: dict[str, FieldDef],
        merged_type: str,
    ) -> list[JoinField]:
        owners = len(self.m.subgraphs) if merged.name == "Query" else len(defs)
        plain = (
            len(having) == owners
            and not overridden_by
            and all(
                not f.external
                and f.requires is None
                and f.provides is None
                and f.override is None
                and f.type == merged_type
                for _, _, f in having
            )
        )
        if plain:
            return []
        types_differ = any(f.type != merged_type for _, _, f in having)
        joins: list[JoinField] = []
        for sg, t, f in having:
            graph = self.m.graph[sg.name]
            overrider = overridden_by.get(sg.name)
            join = JoinField(
                graph,
                requires=f.requires,
                provides=f.provides,
                type=f.type if types_differ else None,
                external=f.external,
                override=f.override,
                override_label=f.override_label,
            )
            if overrider is not None:
                self._override_hint(
                    f"{t.name}.{f.name}",
                    sg.name,
                    overrider,
                    (t.name, f.name) in sg.used_fields,
                )
                if overrider.override_label:
                    join.override_label = overrider.override_label
                elif (t.name, f.name) in sg.used_fields:
                    join = JoinField(graph, type=join.type, used_overridden=True)
                else:
                    continue
            joins.append(join)
        return joins

    def _override_hint(
        self, coordinate: str, source: str, overrider: FieldDef, used: bool
    ) -> None:
        if overrider.override_label:
            self.m.hint(
                "OVERRIDE_MIGRATION_IN_PROGRESS",
                f'Field "{coordinate}" on subgraph "{source}" is currently being migrated via progressive @override. It is still used in some federation directive(s) (@key, @requires, and/or @provides) and/or to satisfy interface constraint(s). Once the migration is complete, consider marking it @external explicitly or removing it along with its references.'
                if used
                else f'Field "{coordinate}" is currently being migrated with progressive @override. Once the migration is complete, remove the field from subgraph "{source}".',
                coordinate,
            )
        elif used:
            self.m.hint(
                "OVERRIDDEN_FIELD_CAN_BE_REMOVED",
                f'Field "{coordinate}" on subgraph "{source}" is overridden. It is still used in some federation directive(s) (@key, @requires, and/or @provides) and/or to satisfy interface constraint(s), but consider marking it @external explicitly or removing it along with its references.',
                coordinate,
            )
        else:
            self.m.hint(
                "OVERRIDDEN_FIELD_CAN_BE_REMOVED",
                f'Field "{coordinate}" on subgraph "{source}" is overridden. Consider removing it.',
                coordinate,
            )

    def add_interface_object_fields(self) -> None:
        """Fields an @interfaceObject adds to an interface also exist on every implementation.

        They copy the interface field's directives except the authorization ones, which
        `merge_authorization.propagate` adds from the @interfaceObject fields alone."""
        for interface in self.types.values():
            if interface.kind != "INTERFACE" or not any(
                j.interface_object for j in interface.join_types
            ):
                continue
            for t in self.types.values():
                if interface.name not in t.interfaces:
                    continue
                for name, field in interface.fields.items():
                    if name not in t.fields:
                        t.fields[name] = MergedField(
                            name=name,
                            type=field.type,
                            args=dict(field.args),
                            description=field.description,
                            applied=without_requirements(field.applied),
                            join_fields=[JoinField(None)],
                            from_interface_object=True,
                        )
                        self._check_sharing(f"{t.name}.{name}", [], {})


def _shareable(sg: Subgraph, t: TypeDef, f: FieldDef) -> bool:
    return (
        f.shareable or t.shareable or not sg.fed2 or (t.name, f.name) in sg.key_fields
    )


def _labels(labels: Sequence[str]) -> str:
    """Apollo's list of subgraphs, each label already quoted (`subgraph_list` quotes)."""
    if len(labels) == 1:
        return f"subgraph {labels[0]}"
    return "subgraphs " + ", ".join(labels[:-1]) + " and " + labels[-1]


def _by_type(defs: Sequence[tuple[Subgraph, object, FieldDef]]) -> str:
    groups: dict[str, list[str]] = {}
    for sg, _, f in defs:
        groups.setdefault(f.type, []).append(sg.name)
    return " but ".join(
        f'type "{ref}" in {subgraph_list(names)}' for ref, names in groups.items()
    )
