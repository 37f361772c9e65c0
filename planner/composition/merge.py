"""Merging validated subgraphs into the supergraph model (Apollo Federation 2 merge rules).

Subgraphs are merged in name order, as Apollo does; a type's fields appear in the order the
subgraphs first declare them. Object and interface fields are merged in `merge_fields.py`;
enums, inputs, unions and scalars here.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator, Sequence

from planner.composition.errors import error
from planner.composition.hints import (
    compatible_types,
    default_in_some,
    described_differently,
    present_in_some,
    subgraph_list,
)
from planner.composition.merge_authorization import AUTH_DIRECTIVES, feature_order
from planner.composition.merge_authorization import propagate as propagate_requirements
from planner.composition.merge_directives import (
    composed_directives,
    executable_directive_hints,
    executable_directives,
    merge_executable_directives,
)
from planner.composition.merge_fields import FieldMerger
from planner.composition.merge_metadata import merge_applied, pick_description
from planner.composition.merge_types import TypeRelations
from planner.composition.result import CompositionError, CompositionHint
from planner.composition.subgraph_model import (
    Applied,
    InputValueDef,
    KeyDef,
    Subgraph,
    TypeDef,
)
from planner.composition.supergraph_model import (
    JoinField,
    JoinType,
    MergedEnumValue,
    MergedInputValue,
    MergedType,
    SupergraphModel,
)
from planner.composition.type_refs import named_type
from planner.errors import COMPOSITION_HINTS

__all__ = ["graph_enum_names", "merge_subgraphs", "subgraph_list"]

# The reason of `@deprecated` without one (graphql-js's DEFAULT_DEPRECATION_REASON).
_DEFAULT_DEPRECATION = "No longer supported"

_KIND_LABEL = {
    "OBJECT": "Object Type",
    "INTERFACE": "Interface Type",
    "UNION": "Union Type",
    "ENUM": "Enum Type",
    "INPUT_OBJECT": "Input Object Type",
    "SCALAR": "Scalar Type",
}


def graph_enum_names(names: Sequence[str]) -> dict[str, str]:
    """Subgraph name -> `join__Graph` value: upper case, non-alphanumerics as `_`, made unique."""
    result: dict[str, str] = {}
    used: Counter[str] = Counter()
    for name in names:
        base = re.sub(r"[^A-Za-z0-9_]", "_", name).upper()
        if base[:1].isdigit():
            base = "_" + base
        used[base] += 1
        result[name] = base if used[base] == 1 else f"{base}_{used[base] - 1}"
    return result


def merge_subgraphs(
    subgraphs: Sequence[Subgraph],
) -> tuple[SupergraphModel | None, list[CompositionError], list[CompositionHint]]:
    merger = _Merger(sorted(subgraphs, key=lambda s: s.name))
    model = merger.merge()
    return (model if not merger.errors else None), merger.errors, merger.hints


class _Merger:
    def __init__(self, subgraphs: list[Subgraph]) -> None:
        self.subgraphs = subgraphs
        self.graph = graph_enum_names([s.name for s in subgraphs])
        self.errors: list[CompositionError] = []
        self.hints: list[CompositionHint] = []
        self.defs: dict[str, list[tuple[Subgraph, TypeDef]]] = {}
        implementers: dict[str, set[str]] = {}
        members: dict[str, set[str]] = {}
        for sg in subgraphs:
            for name, type_def in sg.types.items():
                self.defs.setdefault(name, []).append((sg, type_def))
                for interface in type_def.interfaces:
                    implementers.setdefault(interface, set()).add(name)
                for member in type_def.members:
                    members.setdefault(member, set()).add(name)
        for name in list(implementers):
            for impl in list(implementers[name]):
                implementers[name] |= implementers.get(impl, set())
        self.relations = TypeRelations(implementers, members)
        self.input_usage, self.output_usage = self._enum_usage()

    def merge(self) -> SupergraphModel:
        roots: dict[str, str] = {}
        for sg in self.subgraphs:
            roots.update(sg.roots)
        roots["query"] = "Query"
        types: dict[str, MergedType] = {}
        for name in sorted(self.defs, key=_sort_key):
            merged = self._merge_type(name, self.defs[name])
            if merged is not None:
                types[name] = merged
        fields = FieldMerger(self, types)
        for name, merged in types.items():
            if merged.kind in ("OBJECT", "INTERFACE"):
                fields.merge_fields(merged, self.defs[name])
        fields.add_interface_object_fields()
        propagate_requirements(types, self.subgraphs)
        if "Query" not in types:
            types["Query"] = MergedType("Query", "OBJECT", None, Applied())
        query = types["Query"]
        present = {j.graph for j in query.join_types}
        for sg in self.subgraphs:
            if self.graph[sg.name] not in present:
                query.join_types.append(JoinType(self.graph[sg.name]))
        query.join_types.sort(key=lambda j: self._graph_index(j.graph))
        version = max(sg.version for sg in self.subgraphs) if self.subgraphs else (2, 0)
        join_version = (
            "0.5" if version >= (2, 8) else "0.4" if version >= (2, 7) else "0.3"
        )
        model = SupergraphModel(
            graphs=[(self.graph[s.name], s.name, s.url) for s in self.subgraphs],
            roots={
                k: roots[k] for k in ("query", "mutation", "subscription") if k in roots
            },
            types=types,
            join_version=join_version,
        )
        for code, message, coordinate in executable_directive_hints(self.subgraphs):
            self.hint(code, message, coordinate)
        model.directives = merge_executable_directives(
            self.subgraphs, self.merge_arguments
        )
        composed, model.composed_links = composed_directives(self.subgraphs)
        model.directives.update(composed)
        applied = list(_applied_everywhere(model))
        model.uses_tag = any(a.tags for a in applied)
        model.uses_inaccessible = any(a.inaccessible for a in applied)
        model.feature_order = feature_order(self.subgraphs)
        model.auth_features = [f for f in model.feature_order if f in AUTH_DIRECTIVES]
        return model

    def _graph_index(self, graph: str) -> int:
        return list(self.graph.values()).index(graph)

    def hint(self, code: str, message: str, coordinate: str | None = None) -> None:
        assert code in COMPOSITION_HINTS, f"add {code} to planner/errors.py first"
        self.hints.append(CompositionHint(code, message, coordinate))

    def hint_descriptions(
        self,
        coordinate: str,
        described: Sequence[tuple[Subgraph, object]],
        chosen: str | None,
    ) -> None:
        """INCONSISTENT_DESCRIPTION when the subgraphs describe `coordinate` differently."""
        message = described_differently(
            f'Element "{coordinate}"',
            [(sg.name, getattr(d, "description")) for sg, d in described],  # noqa: B009
            chosen,
        )
        if message is not None:
            self.hint("INCONSISTENT_DESCRIPTION", message, coordinate)

    def hint_applied(
        self, coordinate: str, applied: Sequence[tuple[Subgraph, Applied]]
    ) -> None:
        """The hints of Apollo's `mergeAppliedDirective` on non-repeatable directives
        applied with different arguments: @requiresScopes and @policy merge them
        (MERGED_NON_REPEATABLE_DIRECTIVE_ARGUMENTS), @deprecated keeps the most
        common reason (INCONSISTENT_NON_REPEATABLE_DIRECTIVE_ARGUMENTS)."""
        for directive, argument in (
            ("requiresScopes", "scopes"),
            ("policy", "policies"),
        ):
            values = {repr(v) for _, a in applied for v in getattr(a, argument)}
            if len(values) > 1:
                self.hint(
                    "MERGED_NON_REPEATABLE_DIRECTIVE_ARGUMENTS",
                    f'Directive @{directive} is applied to "{coordinate}" in multiple subgraphs with different arguments. Merging strategies used by arguments: {{ "{argument}": DNF_CONJUNCTION }}',
                    coordinate,
                )
        printed = [
            (
                sg.name,
                (
                    ""
                    if not a.deprecated
                    else "no arguments"
                    if a.deprecation_reason is None
                    else f"arguments {{reason: {json.dumps(a.deprecation_reason)}}}"
                ),
            )
            for sg, a in applied
        ]
        reasons = Counter(
            a.deprecation_reason or _DEFAULT_DEPRECATION
            for _, a in applied
            if a.deprecated
        )
        if len(reasons) < 2:
            return
        kept = reasons.most_common(1)[0][0]
        chosen = next(
            p
            for (_, p), (_, a) in zip(printed, applied, strict=True)
            if a.deprecated and (a.deprecation_reason or _DEFAULT_DEPRECATION) == kept
        )
        groups: dict[str, list[str]] = {}
        for sg_name, p in printed:
            groups.setdefault(p, []).append(sg_name)
        others = " and ".join(
            f"{p} in {subgraph_list(names)}"
            for p, names in groups.items()
            if p != chosen
        )
        self.hint(
            "INCONSISTENT_NON_REPEATABLE_DIRECTIVE_ARGUMENTS",
            f'Non-repeatable directive @deprecated is applied to "{coordinate}" in multiple subgraphs but with incompatible arguments. The supergraph will use {chosen} (from {subgraph_list(groups[chosen])}), but found {others}.',
            coordinate,
        )

    def _merge_type(
        self, name: str, defs: list[tuple[Subgraph, TypeDef]]
    ) -> MergedType | None:
        kinds = {("INTERFACE" if t.interface_object else t.kind) for _, t in defs}
        if len(kinds) > 1:
            by_kind: dict[str, list[str]] = {}
            for sg, t in defs:
                by_kind.setdefault(t.kind, []).append(sg.name)
            parts = [
                f"{_KIND_LABEL[k]} in {subgraph_list(v)}" for k, v in by_kind.items()
            ]
            self.errors.append(
                error(
                    "TYPE_KIND_MISMATCH",
                    f'Type "{name}" has mismatched kind: it is defined as {" but ".join(parts)}',
                    tuple(sg.name for sg, _ in defs),
                    name,
                )
            )
            return None
        kind = kinds.pop()
        merged = MergedType(
            name=name,
            kind=kind,
            description=pick_description([t.description for _, t in defs]),
            applied=merge_applied([t.applied for _, t in defs]),
        )
        self.hint_descriptions(name, defs, merged.description)
        self.hint_applied(name, [(sg, t.applied) for sg, t in defs])
        for sg, t in defs:
            graph = self.graph[sg.name]
            for interface in t.interfaces:
                merged.join_implements.append((graph, interface))
                if interface not in merged.interfaces:
                    merged.interfaces.append(interface)
            keys: list[KeyDef | None] = list(t.keys) or [None]
            for key in keys:
                merged.join_types.append(
                    JoinType(
                        graph,
                        key=key.fields if key else None,
                        extension=self._is_extension(sg, t, defs),
                        resolvable=key.resolvable if key else True,
                        interface_object=t.interface_object,
                    )
                )
            if t.specified_by and merged.specified_by is None:
                merged.specified_by = t.specified_by
        merged.join_implements.sort(
            key=lambda gi: (self._graph_index(gi[0]), merged.interfaces.index(gi[1]))
        )
        if kind == "UNION":
            for sg, t in defs:
                for member in t.members:
                    merged.join_members.append((self.graph[sg.name], member))
                    if member not in merged.members:
                        merged.members.append(member)
            merged.join_members.sort(
                key=lambda gm: (self._graph_index(gm[0]), merged.members.index(gm[1]))
            )
            for member in merged.members:
                missing = [sg.name for sg, t in defs if member not in t.members]
                if missing:
                    self.hint(
                        "INCONSISTENT_UNION_MEMBER",
                        present_in_some(
                            f'Union type "{name}" includes member type "{member}" in some but not all defining subgraphs: ',
                            f'"{member}" is defined in',
                            [sg.name for sg, t in defs if member in t.members],
                            missing,
                        ),
                        name,
                    )
        elif kind == "ENUM":
            self._merge_enum(merged, defs)
        elif kind == "INPUT_OBJECT":
            self._merge_input(merged, defs)
        return merged

    @staticmethod
    def _is_extension(
        sg: Subgraph, t: TypeDef, defs: list[tuple[Subgraph, TypeDef]]
    ) -> bool:
        """`extension: true`: declared with @extends, or only by `extend type` (Federation 1's
        extensions of a type another subgraph defines are upgraded to definitions)."""
        if t.declared_extends:
            return True
        if not t.extension:
            return False
        return sg.fed2 or all(other.extension for _, other in defs)

    def _enum_usage(self) -> tuple[dict[str, str], dict[str, str]]:
        """Enum name -> an example coordinate where it is used as input / as output."""
        inputs: dict[str, str] = {}
        outputs: dict[str, str] = {}
        for sg in self.subgraphs:
            for type_def in sg.types.values():
                for f in type_def.fields.values():
                    outputs.setdefault(named_type(f.type), f"{type_def.name}.{f.name}")
                    for a in f.args.values():
                        inputs.setdefault(
                            named_type(a.type), f"{type_def.name}.{f.name}({a.name}:)"
                        )
                for i in type_def.input_fields.values():
                    inputs.setdefault(named_type(i.type), f"{type_def.name}.{i.name}")
        # Arguments of the directive definitions the supergraph keeps are inputs too
        # (Apollo merges them after the fields, so they are the last examples).
        kept: list[tuple[str, Sequence[InputValueDef]]] = []
        for name, (defs, _) in executable_directives(self.subgraphs).items():
            common = set.intersection(*({a.name for a in d.args} for _, d in defs))
            kept.append((name, [a for a in defs[0][1].args if a.name in common]))
        kept.extend(
            (name, sg.directives[name].args)
            for sg in self.subgraphs
            for name in sg.composed
            if name in sg.directives
        )
        for name, args in kept:
            for a in args:
                inputs.setdefault(named_type(a.type), f"@{name}({a.name}:)")
        return inputs, outputs

    def _merge_enum(
        self, merged: MergedType, defs: list[tuple[Subgraph, TypeDef]]
    ) -> None:
        name = merged.name
        as_input = self.input_usage.get(name)
        as_output = self.output_usage.get(name)
        if not as_input and not as_output:
            self.hint(
                "UNUSED_ENUM_TYPE",
                f'Enum type "{name}" is defined but unused. It will be included in the supergraph with all the values appearing in any subgraph ("as if" it was only used as an output type).',
                name,
            )
        all_values: list[str] = []
        for _, t in defs:
            all_values.extend(v for v in t.values if v not in all_values)
        for value in all_values:
            having = [(sg, t.values[value]) for sg, t in defs if value in t.values]
            missing = [sg.name for sg, t in defs if value not in t.values]
            description = pick_description([v.description for _, v in having])
            self.hint_descriptions(f"{name}.{value}", having, description)
            self.hint_applied(f"{name}.{value}", [(sg, v.applied) for sg, v in having])
            if missing and as_input and as_output:
                self.errors.append(
                    error(
                        "ENUM_VALUE_MISMATCH",
                        f'Enum type "{name}" is used as both input type (for example, as type of "{as_input}") and output type (for example, as type of "{as_output}"), but value "{value}" is not defined in all the subgraphs defining "{name}": "{value}" is defined in {subgraph_list([sg.name for sg, _ in having])} but not in {subgraph_list(missing)}',
                        tuple(sg.name for sg, _ in defs),
                        name,
                    )
                )
                continue
            if missing and as_input:
                self.hint(
                    "INCONSISTENT_ENUM_VALUE_FOR_INPUT_ENUM",
                    present_in_some(
                        f'Value "{value}" of enum type "{name}" will not be part of the supergraph as it is not defined in all the subgraphs defining "{name}": ',
                        f'"{value}" is defined in',
                        [sg.name for sg, _ in having],
                        missing,
                    ),
                    f"{name}.{value}",
                )
                continue
            if missing:
                self.hint(
                    "INCONSISTENT_ENUM_VALUE_FOR_OUTPUT_ENUM",
                    present_in_some(
                        f'Value "{value}" of enum type "{name}" has been added to the supergraph but is only defined in a subset of the subgraphs defining "{name}": ',
                        f'"{value}" is defined in',
                        [sg.name for sg, _ in having],
                        missing,
                    ),
                    f"{name}.{value}",
                )
            merged.values[value] = MergedEnumValue(
                value,
                description,
                merge_applied([v.applied for _, v in having]),
                [self.graph[sg.name] for sg, _ in having],
            )
        if not merged.values and as_input and not as_output:
            self.errors.append(
                error(
                    "EMPTY_MERGED_ENUM_TYPE",
                    f'None of the values of enum type "{name}" are defined consistently in all the subgraphs defining that type. As only values common to all subgraphs are merged, this would result in an empty type.',
                    tuple(sg.name for sg, _ in defs),
                    name,
                )
            )

    def _merge_input(
        self, merged: MergedType, defs: list[tuple[Subgraph, TypeDef]]
    ) -> None:
        name = merged.name
        all_fields: list[str] = []
        for _, t in defs:
            all_fields.extend(f for f in t.input_fields if f not in all_fields)
        unmergeable = False
        for field_name in all_fields:
            having = [
                (sg, t.input_fields[field_name])
                for sg, t in defs
                if field_name in t.input_fields
            ]
            missing = [sg.name for sg, t in defs if field_name not in t.input_fields]
            coordinate = f"{name}.{field_name}"
            if missing:
                required = [
                    sg.name
                    for sg, v in having
                    if v.type.endswith("!") and v.default is None
                ]
                if required:
                    self.errors.append(
                        error(
                            "REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH",
                            f'Input object field "{coordinate}" is required in some subgraphs but does not appear in all subgraphs: it is required in {subgraph_list(required)} but does not appear in {subgraph_list(missing)}',
                            tuple(sg.name for sg, _ in defs),
                            coordinate,
                        )
                    )
                else:
                    self.hint(
                        "INCONSISTENT_INPUT_OBJECT_FIELD",
                        present_in_some(
                            f'Input object field "{field_name}" will not be added to "{name}" in the supergraph as it does not appear in all subgraphs: ',
                            "it is defined in",
                            [sg.name for sg, _ in having],
                            missing,
                        ),
                        coordinate,
                    )
                continue
            value = self.merge_input_value(
                coordinate,
                having,
                "FIELD_TYPE_MISMATCH",
                "INPUT_FIELD_DEFAULT_MISMATCH",
                "Input field",
            )
            if value is None:
                # in every subgraph but not mergeable: reported as such, and the type
                # is not empty because of it
                unmergeable = True
                continue
            if any(v.type != value.type for _, v in having):
                value.join_fields = [
                    JoinField(self.graph[sg.name], type=v.type) for sg, v in having
                ]
            merged.input_fields[field_name] = value
        if (
            not merged.input_fields
            and not unmergeable
            and not any(e.coordinate == name for e in self.errors)
        ):
            self.errors.append(
                error(
                    "EMPTY_MERGED_INPUT_TYPE",
                    f'None of the fields of input object type "{name}" are consistently defined in all the subgraphs defining that type. As only fields common to all subgraphs are merged, this would result in an empty type.',
                    tuple(sg.name for sg, _ in defs),
                    name,
                )
            )

    def merge_arguments(
        self,
        coordinate: str,
        having: Sequence[tuple[Subgraph, dict[str, InputValueDef]]],
    ) -> dict[str, MergedInputValue] | None:
        """Merges the arguments of a field or directive declared in the given subgraphs:
        an optional argument missing somewhere is dropped (with a hint), a required one
        is an error. None once an error was recorded."""
        names: list[str] = []
        for _, declared in having:
            names.extend(a for a in declared if a not in names)
        args: dict[str, MergedInputValue] = {}
        ok = True
        for name in names:
            arg_coordinate = f"{coordinate}({name}:)"
            present = [(sg, d[name]) for sg, d in having if name in d]
            missing = [sg.name for sg, d in having if name not in d]
            if missing:
                required = [
                    sg.name
                    for sg, a in present
                    if a.type.endswith("!") and a.default is None
                ]
                if required:
                    self.errors.append(
                        error(
                            "REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH",
                            f'Argument "{arg_coordinate}" is required in some subgraphs but does not appear in all subgraphs: it is required in {subgraph_list(required)} but does not appear in {subgraph_list(missing)}',
                            tuple(sg.name for sg, _ in having),
                            arg_coordinate,
                        )
                    )
                    ok = False
                else:
                    # Apollo counts every subgraph lacking the argument as missing it,
                    # also those without the field or directive.
                    defined_in = {sg.name for sg, _ in present}
                    self.hint(
                        "INCONSISTENT_ARGUMENT_PRESENCE",
                        present_in_some(
                            f'Optional argument "{arg_coordinate}" will not be included in the supergraph as it does not appear in all subgraphs: ',
                            "it is defined in",
                            [sg.name for sg, _ in present],
                            [
                                s.name
                                for s in self.subgraphs
                                if s.name not in defined_in
                            ],
                        ),
                        arg_coordinate,
                    )
                continue
            value = self.merge_input_value(
                arg_coordinate,
                present,
                "FIELD_ARGUMENT_TYPE_MISMATCH",
                "FIELD_ARGUMENT_DEFAULT_MISMATCH",
                "Argument",
            )
            if value is None:
                ok = False
            else:
                args[name] = value
        return args if ok else None

    def merge_input_value(
        self,
        coordinate: str,
        having: Sequence[tuple[Subgraph, object]],
        type_code: str,
        default_code: str,
        what: str,
    ) -> MergedInputValue | None:
        """Merges one argument or input field declared in every given subgraph."""
        values = [v for _, v in having]
        refs = [v.type for v in values]  # type: ignore[attr-defined]
        merged_type = self.relations.most_specific(refs)
        if merged_type is None:
            detail = " but ".join(
                f'type "{ref}" in {subgraph_list(names)}'
                for ref, names in _group(having, "type")
            )
            self.errors.append(
                error(
                    type_code,
                    f'Type of {what.lower() if what != "Input field" else "input field"} "{coordinate}" is incompatible across subgraphs: it has {detail}',
                    tuple(sg.name for sg, _ in having),
                    coordinate,
                )
            )
            return None
        element = "argument" if what == "Argument" else "field"
        relation = compatible_types(
            element,
            coordinate,
            merged_type,
            [(sg.name, v.type) for sg, v in having],  # type: ignore[attr-defined]
            "supertype",
        )
        if relation is not None:
            self.hint(
                f"INCONSISTENT_BUT_COMPATIBLE_{element.upper()}_TYPE",
                relation,
                coordinate,
            )
        defaults = {v.default for v in values}  # type: ignore[attr-defined]
        if len(defaults) > 1 and None in defaults and len(defaults) == 2:
            # A default in some subgraphs only: Apollo drops it, with a hint.
            self.hint(
                "INCONSISTENT_DEFAULT_VALUE_PRESENCE",
                default_in_some(
                    what,
                    coordinate,
                    [(sg.name, v.default) for sg, v in having],  # type: ignore[attr-defined]
                ),
                coordinate,
            )
            defaults = {None}
        if len(defaults) > 1:
            detail = " but ".join(
                (
                    f"default value {d} in {subgraph_list(n)}"
                    if d is not None
                    else f"no default value in {subgraph_list(n)}"
                )
                for d, n in _group(having, "default")
            )
            self.errors.append(
                error(
                    default_code,
                    f'{what} "{coordinate}" has incompatible default values across subgraphs: it has {detail}',
                    tuple(sg.name for sg, _ in having),
                    coordinate,
                )
            )
            return None
        first = values[0]
        description = pick_description([v.description for v in values])  # type: ignore[attr-defined]
        self.hint_descriptions(coordinate, having, description)
        self.hint_applied(coordinate, [(sg, v.applied) for sg, v in having])  # type: ignore[attr-defined]
        return MergedInputValue(
            name=first.name,  # type: ignore[attr-defined]
            type=merged_type,
            default=defaults.pop(),
            description=description,
            applied=merge_applied([v.applied for v in values]),  # type: ignore[attr-defined]
        )


def _group(
    having: Sequence[tuple[Subgraph, object]], attr: str
) -> list[tuple[str | None, list[str]]]:
    groups: dict[str | None, list[str]] = {}
    for sg, value in having:
        groups.setdefault(getattr(value, attr), []).append(sg.name)
    return list(groups.items())


def _applied_everywhere(model: SupergraphModel) -> Iterator[Applied]:
    """The non-join directives applied to every element of the merged model."""
    for t in model.types.values():
        yield t.applied
        for f in t.fields.values():
            yield f.applied
            yield from (a.applied for a in f.args.values())
        yield from (v.applied for v in t.input_fields.values())
        yield from (v.applied for v in t.values.values())
    for d in model.directives.values():
        yield from (a.applied for a in d.args.values())


def _sort_key(name: str) -> tuple[str, str]:
    """Apollo prints definitions in locale order: case-insensitive first, lower case first on ties."""
    return (name.lower(), name.swapcase())
