"""Satisfiability: every field a client can query must be reachable by some query plan.

A walk over (type, subgraph) states from each subgraph's root fields. In a state, every
field of the supergraph type must be resolvable either locally or after key jumps to another
subgraph (a jump into S2 needs a resolvable @key of the type in S2 whose fields the current
subgraph can provide; jumps chain), or through an @interfaceObject. A field that cannot be
reached gets SATISFIABILITY_ERROR with an example query, in the shape Apollo reports it.
This is the composition-time check; the query graph of the planner refines it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from planner.composition.errors import error
from planner.composition.field_sets import FieldSetError, parse_field_set
from planner.composition.result import CompositionError
from planner.composition.subgraph_model import Subgraph, TypeDef
from planner.composition.supergraph_model import SupergraphModel
from planner.composition.type_refs import named_type

__all__ = ["check_satisfiability"]

_MAX_ERRORS = 10


def check_satisfiability(
    model: SupergraphModel, subgraphs: Sequence[Subgraph]
) -> list[CompositionError]:
    return _Checker(model, subgraphs).run()


class _Checker:
    def __init__(self, model: SupergraphModel, subgraphs: Sequence[Subgraph]) -> None:
        self.model = model
        self.subgraphs = list(subgraphs)
        self.by_name = {s.name: s for s in subgraphs}
        self.overridden: set[tuple[str, str, str]] = set()
        for sg in subgraphs:
            for t in sg.types.values():
                for f in t.fields.values():
                    if f.override and not f.override_label:
                        self.overridden.add((t.name, f.name, f.override))
        self.closures: dict[tuple[str, str], list[str]] = {}
        self.root_kinds = {root: kind for kind, root in model.roots.items()}
        self.collectible_cache: dict[tuple[str, str, str], bool] = {}

    def run(self) -> list[CompositionError]:
        errors: list[CompositionError] = []
        reported: set[tuple[str, str]] = set()
        seen: set[tuple[str, str, str]] = set()
        queue: deque[tuple[str, str, tuple[str, ...], _Provided]] = deque()
        for kind, root in self.model.roots.items():
            for sg in self.subgraphs:
                if sg.roots.get(kind) == root and root in sg.types:
                    for fname in sg.types[root].fields:
                        if self._resolves(root, fname, sg):
                            self._push_children(
                                queue, root, fname, sg, (kind, fname), None
                            )
        while queue and len(errors) < _MAX_ERRORS:
            type_name, sg_name, path, provided = queue.popleft()
            state = (type_name, sg_name, _provided_key(provided))
            if state in seen:
                continue
            seen.add(state)
            sg = self.by_name[sg_name]
            merged = self.model.types.get(type_name)
            local = sg.types.get(type_name)
            if (
                merged is None
                or local is None
                or (local.kind == "INTERFACE" and not local.interface_object)
            ):
                continue
            for fname, mfield in merged.fields.items():
                if mfield.applied.inaccessible:
                    continue
                if self._resolves(type_name, fname, sg):
                    self._push_children(
                        queue, type_name, fname, sg, (*path, fname), None
                    )
                    continue
                if provided is not None and fname in provided and fname in local.fields:
                    self._push_children(
                        queue, type_name, fname, sg, (*path, fname), provided[fname]
                    )
                    continue
                reached = [self.by_name[n] for n in self._closure(type_name, sg)]
                found = [s for s in reached if self._resolves(type_name, fname, s)]
                found += self._via_interface_objects(type_name, fname, reached)
                if found:
                    target = found[0]
                    owner = (
                        type_name
                        if type_name in target.types
                        and not target.types[type_name].interface_object
                        else self._interface_object_name(type_name, target)
                    )
                    self._push_children(
                        queue, owner or type_name, fname, target, (*path, fname), None
                    )
                    continue
                if (type_name, fname) in reported:
                    continue
                reported.add((type_name, fname))
                errors.append(self._error(type_name, fname, sg, (*path, fname)))
        return errors

    def _resolves(self, type_name: str, fname: str, sg: Subgraph) -> bool:
        t = sg.types.get(type_name)
        if t is None:
            return False
        f = t.fields.get(fname)
        return (
            f is not None
            and not f.external
            and (type_name, fname, sg.name) not in self.overridden
        )

    def _push_children(
        self,
        queue: deque[tuple[str, str, tuple[str, ...], _Provided]],
        parent: str,
        fname: str,
        sg: Subgraph,
        path: tuple[str, ...],
        provided: _Provided,
    ) -> None:
        field = sg.types[parent].fields[fname]
        if field.provides and provided is None:
            try:
                provided = _provided_fields(parse_field_set(field.provides))
            except FieldSetError:
                provided = None
        target = named_type(field.type)
        t = sg.types.get(target)
        if t is None or t.kind not in ("OBJECT", "INTERFACE", "UNION"):
            return
        queue.append((target, sg.name, path, provided))
        if t.kind == "UNION":
            runtime = t.members
        elif t.kind == "INTERFACE":
            runtime = [n for n, other in sg.types.items() if target in other.interfaces]
        else:
            return
        for member in runtime:
            queue.append((member, sg.name, (*path, f"... on {member}"), provided))

    def _closure(self, type_name: str, start: Subgraph) -> list[str]:
        """Subgraphs reachable from `start` for this type through chains of key jumps."""
        cache_key = (type_name, start.name)
        if cache_key in self.closures:
            return self.closures[cache_key]
        visited = [start.name]
        kind = self.root_kinds.get(type_name)
        if kind is not None:
            # A field returning a root type (`Shipment.query: Query`) lets the plan
            # ask any subgraph that has that root: Apollo's root-type-resolution edge.
            visited += [
                other.name
                for other in self.subgraphs
                if other is not start
                and other.roots.get(kind) == type_name
                and type_name in other.types
            ]
            self.closures[cache_key] = visited
            return visited
        frontier = [start]
        while frontier:
            current = frontier.pop()
            for other in self.subgraphs:
                if other.name in visited or type_name not in other.types:
                    continue
                keys = [k for k in other.types[type_name].keys if k.resolvable]
                if any(self._collectible(type_name, k.fields, current) for k in keys):
                    visited.append(other.name)
                    frontier.append(other)
        self.closures[cache_key] = visited
        return visited

    def _collectible(self, type_name: str, fields: str, sg: Subgraph) -> bool:
        cache_key = (type_name, fields, sg.name)
        if cache_key not in self.collectible_cache:
            try:
                selection = parse_field_set(fields)
                self.collectible_cache[cache_key] = self._selection_local(
                    sg.types.get(type_name), selection, sg
                )
            except FieldSetError:
                self.collectible_cache[cache_key] = False
        return self.collectible_cache[cache_key]

    def _selection_local(self, t: TypeDef | None, selection, sg: Subgraph) -> bool:  # type: ignore[no-untyped-def]
        if t is None:
            return False
        for node in selection.selections:
            name = getattr(node, "name", None)
            if name is None:
                continue
            if name.value == "__typename":
                continue
            f = t.fields.get(name.value)
            if f is None or f.external:
                return False
            if node.selection_set is not None and not self._selection_local(
                sg.types.get(named_type(f.type)), node.selection_set, sg
            ):
                return False
        return True

    def _interface_object_name(self, type_name: str, sg: Subgraph) -> str | None:
        merged = self.model.types.get(type_name)
        for interface in merged.interfaces if merged else ():
            local = sg.types.get(interface)
            if local is not None and local.interface_object:
                return interface
        return None

    def _via_interface_objects(
        self, type_name: str, fname: str, reached: list[Subgraph]
    ) -> list[Subgraph]:
        merged = self.model.types.get(type_name)
        found = []
        for sg in self.subgraphs:
            interface = self._interface_object_name(type_name, sg)
            if interface is None or not self._resolves(interface, fname, sg):
                continue
            keys = [k for k in sg.types[interface].keys if k.resolvable]
            if merged and any(
                self._collectible(type_name, k.fields, r) for k in keys for r in reached
            ):
                found.append(sg)
        return found

    def _error(
        self, type_name: str, fname: str, sg: Subgraph, path: tuple[str, ...]
    ) -> CompositionError:
        reasons = [
            f'- from subgraph "{sg.name}":',
            f'  - cannot find field "{type_name}.{fname}".',
        ]
        for other in self.subgraphs:
            if other is sg or not self._resolves(type_name, fname, other):
                continue
            keys = other.types[type_name].keys
            if not keys:
                why = (
                    f'type "{type_name}" has no @key defined in subgraph "{other.name}"'
                )
            elif not any(k.resolvable for k in keys):
                why = f'none of the @key defined on type "{type_name}" in subgraph "{other.name}" are resolvable (they are all declared with their "resolvable" argument set to false)'
            else:
                fields = ", ".join(f'"{k.fields}"' for k in keys if k.resolvable)
                why = f'subgraph "{sg.name}" cannot resolve the fields of any @key of type "{type_name}" in subgraph "{other.name}" (@key(fields: {fields}))'
            reasons.append(
                f'  - cannot move to subgraph "{other.name}", which has field "{type_name}.{fname}", because {why}.'
            )
        query = _example_query(path[0], list(path[1:]))
        message = (
            f"The following supergraph API query:\n{query}\ncannot be satisfied by the subgraphs because:\n"
            + "\n".join(reasons)
        )
        return error(
            "SATISFIABILITY_ERROR", message, (sg.name,), f"{type_name}.{fname}"
        )


_Provided = dict[str, "_Provided"] | None  # field name -> what is provided under it


def _provided_fields(selection_set) -> dict[str, _Provided]:  # type: ignore[no-untyped-def]
    provided: dict[str, _Provided] = {}
    for node in selection_set.selections:
        if hasattr(node, "name"):
            provided[node.name.value] = (
                _provided_fields(node.selection_set) if node.selection_set else None
            )
        elif getattr(node, "selection_set", None) is not None:
            provided.update(_provided_fields(node.selection_set))
    return provided


def _provided_key(provided: _Provided) -> str:
    return (
        "" if provided is None else repr(sorted(provided.items(), key=lambda kv: kv[0]))
    )


def _example_query(kind: str, fields: list[str]) -> str:
    lines = [("{" if kind == "query" else f"{kind} {{")]
    for depth, name in enumerate(fields, start=1):
        last = depth == len(fields)
        lines.append("  " * depth + name + ("" if last else " {"))
    for depth in range(len(fields) - 1, 0, -1):
        lines.append("  " * depth + "}")
    lines.append("}")
    return "\n".join(lines)
