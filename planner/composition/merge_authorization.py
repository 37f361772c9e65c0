"""Merging authorization requirements beyond each element's own subgraph definitions.

Apollo (2.9.4 and later; checked against `@apollo/composition` 2.14.4) copies the
requirements of implementations onto their interfaces, so that a query through an
interface is never less protected than the same query through the object:

- an object type's `@authenticated`/`@requiresScopes`/`@policy` also apply to every
  interface it implements in the supergraph;
- an object field's requirements (unless `@external`) also apply to the same field of
  every interface the object implements;
- a field of an `@interfaceObject` also passes its requirements to that field on every
  implementation of the interface, and on the other interfaces those implement.

The features linked in the supergraph, and the order their directives print in on
fields, follow the subgraphs (in name order) that apply them: Apollo adds a spec to the
supergraph the first time a subgraph uses one of its directives (`@tag` and
`@inaccessible` included).
https://www.apollographql.com/docs/graphos/routing/security/authorization#composition-and-federation
"""

from __future__ import annotations

from collections.abc import Sequence

from planner.composition.subgraph_model import Applied, Subgraph
from planner.composition.supergraph_model import MergedType

__all__ = [
    "AUTH_DIRECTIVES",
    "auth_features",
    "feature_order",
    "has_requirements",
    "propagate",
    "without_requirements",
]

# In the order a subgraph's federation directives are defined (and so first met).
AUTH_DIRECTIVES = ("authenticated", "requiresScopes", "policy")
_LINKED_DIRECTIVES = ("tag", "inaccessible", *AUTH_DIRECTIVES)


def has_requirements(applied: Applied) -> bool:
    return applied.authenticated or bool(applied.scopes) or bool(applied.policies)


def _applies(applied: Applied, directive: str) -> bool:
    if directive == "tag":
        return bool(applied.tags)
    if directive == "inaccessible":
        return applied.inaccessible
    if directive == "authenticated":
        return applied.authenticated
    if directive == "requiresScopes":
        return bool(applied.scopes)
    return bool(applied.policies)


def feature_order(subgraphs: Sequence[Subgraph]) -> list[str]:
    """`tag`, `inaccessible` and the authorization directives some subgraph applies, in
    the order Apollo links them: by subgraph (name order), then in the order federation
    defines them."""
    found: list[str] = []
    for sg in sorted(subgraphs, key=lambda s: s.name):
        applied = [t.applied for t in sg.types.values()]
        for t in sg.types.values():
            applied.extend(v.applied for v in t.input_fields.values())
            applied.extend(v.applied for v in t.values.values())
            for f in t.fields.values():
                applied.append(f.applied)
                applied.extend(a.applied for a in f.args.values())
        for definition in sg.directives.values():
            applied.extend(a.applied for a in definition.args)
        for directive in _LINKED_DIRECTIVES:
            if directive not in found and any(_applies(a, directive) for a in applied):
                found.append(directive)
    return found


def auth_features(subgraphs: Sequence[Subgraph]) -> list[str]:
    """The authorization directives some subgraph applies, in link order."""
    return [d for d in feature_order(subgraphs) if d in AUTH_DIRECTIVES]


def without_requirements(applied: Applied) -> Applied:
    """A copy of `applied` without `@authenticated`, `@requiresScopes` or `@policy`."""
    return Applied(
        inaccessible=applied.inaccessible,
        tags=list(applied.tags),
        deprecated=applied.deprecated,
        deprecation_reason=applied.deprecation_reason,
        composed=list(applied.composed),
    )


def add_requirements(dest: Applied, source: Applied) -> None:
    """Adds `source`'s requirements to `dest` as one more application of each."""
    dest.authenticated = dest.authenticated or source.authenticated
    dest.scopes.extend(s for s in source.scopes if s not in dest.scopes)
    dest.policies.extend(p for p in source.policies if p not in dest.policies)


def propagate(types: dict[str, MergedType], subgraphs: Sequence[Subgraph]) -> None:
    """Copies requirements of implementations onto interfaces (and of `@interfaceObject`
    fields onto implementations), as Apollo's `accessControlAdditionalSources` does."""
    implementations: dict[str, list[str]] = {}
    interfaces_of: dict[str, list[str]] = {}
    for t in types.values():
        if t.kind != "OBJECT":
            continue
        interfaces_of[t.name] = list(t.interfaces)
        for interface in t.interfaces:
            implementations.setdefault(interface, []).append(t.name)
    extra: dict[tuple[str, str | None], list[Applied]] = {}

    def record(type_name: str, field_name: str | None, applied: Applied) -> None:
        extra.setdefault((type_name, field_name), []).append(applied)

    for sg in sorted(subgraphs, key=lambda s: s.name):
        for type_def in sg.types.values():
            if type_def.kind != "OBJECT":
                continue
            if has_requirements(type_def.applied):
                for interface in interfaces_of.get(type_def.name, ()):
                    record(interface, None, type_def.applied)
            for f in type_def.fields.values():
                if f.external or not has_requirements(f.applied):
                    continue
                if not type_def.interface_object:
                    for interface in interfaces_of.get(type_def.name, ()):
                        record(interface, f.name, f.applied)
                    continue
                others: list[str] = []
                for impl in implementations.get(type_def.name, ()):
                    record(impl, f.name, f.applied)
                    others.extend(
                        i
                        for i in interfaces_of.get(impl, ())
                        if i != type_def.name and i not in others
                    )
                for interface in others:
                    record(interface, f.name, f.applied)
    for (type_name, field_name), sources in extra.items():
        merged = types.get(type_name)
        if merged is None:
            continue
        if field_name is None:
            if merged.kind == "INTERFACE":
                for source in sources:
                    add_requirements(merged.applied, source)
            continue
        target = merged.fields.get(field_name)
        if target is not None:
            for source in sources:
                add_requirements(target.applied, source)
