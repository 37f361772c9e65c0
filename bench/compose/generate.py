"""Generate a synthetic, seeded Federation 2 graph for composition benchmarks.

The shape follows what real supergraphs look like (Apollo's docs on entities,
https://www.apollographql.com/docs/federation/entities, and value types,
https://www.apollographql.com/docs/federation/federated-types/sharing-types):
entities owned by one subgraph and extended by others through `@key`, `@shareable`
value types copied into several subgraphs, `@requires` / `@provides` with `@external`
fields, interfaces with implementations, unions, enums, input types used as arguments,
root `Query` fields in every subgraph and a few `Mutation`s.

Every subgraph owns a share of each kind of type; the output is a pure function of
`Shape` (the seed included), so two runs produce byte-identical SDL.

`python -m bench.compose.generate [--tiny]` prints the input `oracle/compose.mjs` reads.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import dataclass, field
from typing import Any

from bench.compose._sdl import Composite, Field, SubgraphDraft, lower_first
from bench.compose._vocabulary import DOMAINS, ENUM_VALUES, NOUNS, SCALARS

__all__ = ["FULL", "TINY", "Federation", "GeneratedSubgraph", "Shape", "generate"]

# Share of the type budget per kind; plain object types take the remainder (~41%).
_KIND_SHARES = {
    "entity": 0.22,
    "value": 0.08,
    "interface": 0.05,
    "union": 0.04,
    "enum": 0.10,
    "input": 0.10,
}
_KINDS = (*_KIND_SHARES, "object")

# Extensions per entity, as weights for 0, 1, 2, 3 extending subgraphs.
_EXTENDERS = (10, 35, 35, 20)


@dataclass(frozen=True, slots=True)
class Shape:
    """How big the generated federation is; the seed fixes everything else."""

    subgraphs: int = 100
    types: int = 3000
    seed: int = 1


FULL = Shape()
TINY = Shape(subgraphs=5, types=60)


@dataclass(frozen=True, slots=True)
class GeneratedSubgraph:
    name: str
    url: str
    sdl: str


@dataclass(frozen=True, slots=True)
class Federation:
    """The generated subgraphs and what they contain.

    `kinds` counts distinct type names by kind across the supergraph (root operation
    types excluded); `features` counts the federation constructs used.
    """

    shape: Shape
    subgraphs: tuple[GeneratedSubgraph, ...]
    kinds: dict[str, int]
    features: dict[str, int]

    @property
    def type_count(self) -> int:
        return sum(self.kinds.values())

    def oracle_input(self) -> dict[str, Any]:
        """The JSON `oracle/compose.mjs` reads on stdin."""
        return {
            "subgraphs": [
                {"name": s.name, "url": s.url, "sdl": s.sdl} for s in self.subgraphs
            ]
        }


@dataclass(slots=True)
class _Entity:
    name: str
    owner: int
    keys: tuple[str, ...]  # the owner's @key field sets
    key_fields: dict[str, str]  # key field name -> type
    scalars: list[tuple[str, str]] = field(default_factory=list)  # non-key, owner's


def generate(shape: Shape = FULL) -> Federation:
    """Build the federation for `shape`; deterministic in `shape.seed`."""
    if shape.subgraphs < 2 or shape.types < 5 * shape.subgraphs:
        raise ValueError(
            f"need at least 2 subgraphs and 5 types per subgraph, got {shape}"
        )
    return _Generator(shape).run()


class _Generator:
    def __init__(self, shape: Shape) -> None:
        self.shape = shape
        self.rng = random.Random(shape.seed)
        self.subs = [self._draft(i) for i in range(shape.subgraphs)]
        self.owned: list[dict[str, list[str]]] = [
            {kind: [] for kind in _KINDS} for _ in self.subs
        ]
        self.type_names: set[str] = set()
        self.root_names: set[str] = set()
        self.entities: dict[str, _Entity] = {}
        self.entity_fields: dict[str, set[str]] = {}
        self.values_in: list[list[str]] = [[] for _ in self.subs]
        self.features = dict.fromkeys(
            (
                "extensions",
                "requires",
                "provides",
                "references",
                "shared_values",
                "mutations",
            ),
            0,
        )

    def _draft(self, i: int) -> SubgraphDraft:
        domain = DOMAINS[i % len(DOMAINS)]
        name = domain + (str(i // len(DOMAINS) + 1) if i >= len(DOMAINS) else "")
        return SubgraphDraft(name=name, domain=domain, prefix=name.capitalize())

    def run(self) -> Federation:
        self._allocate()
        for i in range(len(self.subs)):
            self._define_owned(i)
        self._share_values()
        self._extend_entities()
        self._reference_entities()
        for i in range(len(self.subs)):
            self._define_roots(i)
        kinds = {k: sum(len(o[k]) for o in self.owned) for k in _KINDS}
        return Federation(
            shape=self.shape,
            subgraphs=tuple(
                GeneratedSubgraph(
                    s.name, f"http://{s.name}.bench.invalid/graphql", s.render()
                )
                for s in self.subs
            ),
            kinds=kinds,
            features=dict(self.features),
        )

    # -- allocation ---------------------------------------------------------------

    def _allocate(self) -> None:
        """Split the type budget by kind, then each kind across the subgraphs."""
        n, total = len(self.subs), self.shape.types
        quotas = {k: round(total * share) for k, share in _KIND_SHARES.items()}
        quotas["object"] = total - sum(quotas.values())
        suffixes = {"enum": "Kind", "input": "Input", "union": "Result"}
        nouns = [self.rng.sample(NOUNS, len(NOUNS)) for _ in self.subs]
        for kind in _KINDS:
            base, extra = divmod(quotas[kind], n)
            lucky = set(self.rng.sample(range(n), extra))
            for i in range(n):
                for _ in range(base + (i in lucky)):
                    noun = nouns[i].pop() if nouns[i] else "Record"
                    name = self._type_name(
                        self.subs[i].prefix + noun + suffixes.get(kind, "")
                    )
                    self.owned[i][kind].append(name)

    def _type_name(self, wanted: str) -> str:
        name, n = wanted, 2
        while name in self.type_names:
            name, n = f"{wanted}{n}", n + 1
        self.type_names.add(name)
        return name

    # -- what each subgraph owns --------------------------------------------------

    def _define_owned(self, i: int) -> None:
        rng, sub, owned = self.rng, self.subs[i], self.owned[i]
        for name in owned["enum"]:
            sub.enums[name] = sorted(rng.sample(ENUM_VALUES, rng.randint(3, 6)))
        for name in owned["entity"]:
            self._define_entity(i, name)
        for name in owned["object"]:
            obj = sub.composites[name] = Composite("type", name)
            for fname, ftype in rng.sample(SCALARS, rng.randint(2, 5)):
                obj.add(fname, ftype)
        for name in owned["value"]:
            obj = sub.composites[name] = Composite("type", name, ["@shareable"])
            for fname, ftype in rng.sample(SCALARS, rng.randint(2, 4)):
                obj.add(fname, ftype)
            if owned["enum"] and rng.random() < 0.3:
                obj.add("kind", rng.choice(owned["enum"]))
        for k, name in enumerate(owned["input"]):
            fields = [
                Field(f, t.rstrip("!"))
                for f, t in rng.sample(SCALARS, rng.randint(2, 4))
            ]
            if owned["enum"]:
                fields.append(Field("kind", rng.choice(owned["enum"])))
            if k and rng.random() < 0.3:  # nest an earlier input: no cycles
                fields.append(Field("and", owned["input"][rng.randrange(k)]))
            sub.inputs[name] = fields
        self._define_abstract(i)
        self._link_owned(i)

    def _define_entity(self, i: int, name: str) -> None:
        rng, sub = self.rng, self.subs[i]
        style = rng.choices(("id", "two_keys", "composite"), (70, 15, 15))[0]
        if style == "two_keys":
            entity = _Entity(name, i, ("id", "sku"), {"id": "ID!", "sku": "String!"})
        elif style == "composite":
            entity = _Entity(
                name, i, ("id region",), {"id": "ID!", "region": "String!"}
            )
        else:
            entity = _Entity(name, i, ("id",), {"id": "ID!"})
        obj = sub.composites[name] = Composite(
            "type", name, [f'@key(fields: "{k}")' for k in entity.keys]
        )
        for fname, ftype in entity.key_fields.items():
            obj.add(fname, ftype)
        for fname, ftype in rng.sample(SCALARS, rng.randint(3, 6)):
            obj.add(fname, ftype)
            entity.scalars.append((fname, ftype))
        self.entities[name] = entity
        self.entity_fields[name] = set(obj.fields)

    def _define_abstract(self, i: int) -> None:
        """Interfaces and unions over the object types and entities `i` owns."""
        rng, sub, owned = self.rng, self.subs[i], self.owned[i]
        concrete = owned["object"] + owned["entity"]
        for name in owned["interface"]:
            iface = sub.composites[name] = Composite("interface", name)
            score = lower_first(name.removeprefix(sub.prefix)) + "Score"
            fields = (("id", "ID!"), ("displayName", "String"), (score, "Float"))
            for fname, ftype in fields:
                iface.add(fname, ftype)
            for impl_name in rng.sample(
                concrete, min(len(concrete), rng.randint(2, 3))
            ):
                impl = sub.composites[impl_name]
                impl.implements.append(name)
                for fname, ftype in fields:
                    if fname not in impl.fields:
                        self._add(i, impl, fname, ftype)
        for name in owned["union"]:
            sub.unions[name] = rng.sample(
                concrete, min(len(concrete), rng.randint(2, 3))
            )

    def _link_owned(self, i: int) -> None:
        """Make every owned object, value type and enum reachable from an owned entity."""
        rng, sub, owned = self.rng, self.subs[i], self.owned[i]
        hosts = owned["entity"]
        for k, name in enumerate(owned["object"]):
            # Some objects hang off an earlier object instead, for nesting depth.
            host = (
                owned["object"][rng.randrange(k)] if k and rng.random() < 0.3 else None
            )
            parent = sub.composites[host or rng.choice(hosts)]
            wrap = rng.choice(("{}", "[{}!]!", "{}!"))
            self._add(
                i, parent, lower_first(name.removeprefix(sub.prefix)), wrap.format(name)
            )
        for name in owned["value"]:
            self.values_in[i].append(name)
            self._add(i, sub.composites[rng.choice(hosts)], lower_first(name), name)
        for name in owned["enum"]:
            parent = sub.composites[rng.choice(hosts + owned["object"])]
            self._add(i, parent, "status", name)
        # Entities of the same subgraph referencing each other (Order.items, ...).
        for name in hosts:
            if len(hosts) > 1 and rng.random() < 0.3:
                target = rng.choice([h for h in hosts if h != name])
                self._add(
                    i, sub.composites[name], lower_first(target) + "s", f"[{target}!]!"
                )

    def _add(
        self, i: int, obj: Composite, name: str, type_: str, directives: str = ""
    ) -> str:
        """Add a field; entity fields stay unique across all subgraphs (no @shareable)."""
        taken = self.entity_fields.get(obj.name)
        if taken is None:
            return obj.add(name, type_, directives=directives)
        unique, n = name, 2
        while unique in taken or unique in obj.fields:
            unique, n = f"{name}{n}", n + 1
        taken.add(unique)
        return obj.add(unique, type_, directives=directives)

    # -- across subgraphs ---------------------------------------------------------

    def _share_values(self) -> None:
        """Copy each @shareable value type (and its enum) into 1-3 more subgraphs."""
        rng = self.rng
        for i, owned in enumerate(self.owned):
            others = [j for j in range(len(self.subs)) if j != i]
            for name in owned["value"]:
                source = self.subs[i].composites[name]
                for j in rng.sample(others, min(len(others), rng.randint(1, 3))):
                    target = self.subs[j]
                    target.composites[name] = Composite(
                        "type", name, ["@shareable"], fields=dict(source.fields)
                    )
                    kind = source.fields.get("kind")
                    if kind is not None:
                        target.enums[kind.type] = self.subs[i].enums[kind.type]
                    self.values_in[j].append(name)
                    host = target.composites[rng.choice(self.owned[j]["entity"])]
                    self._add(j, host, lower_first(name), name)
                    self.features["shared_values"] += 1

    def _extend_entities(self) -> None:
        """Other subgraphs add fields to entities through @key, some with @requires."""
        rng = self.rng
        for entity in list(self.entities.values()):
            others = [j for j in range(len(self.subs)) if j != entity.owner]
            count = min(len(others), rng.choices(range(4), _EXTENDERS)[0])
            for j in rng.sample(others, count):
                ext = self._entity_in(j, entity, resolvable=True)
                self.features["extensions"] += 1
                for _ in range(rng.randint(1, 3)):
                    self._add(j, ext, *self._extension_field(j))
                external = [f for f in entity.scalars if f[0] not in ext.fields]
                if external and rng.random() < 0.25:
                    fname, ftype = rng.choice(external)
                    ext.add(fname, ftype, directives="@external")
                    computed = (
                        f"{self.subs[j].domain}{fname[:1].upper()}{fname[1:]}Estimate"
                    )
                    self._add(
                        j, ext, computed, "Float", f'@requires(fields: "{fname}")'
                    )
                    self.features["requires"] += 1

    def _extension_field(self, j: int) -> tuple[str, str]:
        rng, sub, owned = self.rng, self.subs[j], self.owned[j]
        choices = ["scalar", "scalar"]
        choices += ["enum"] * bool(owned["enum"]) + ["value"] * bool(self.values_in[j])
        choices += ["object"] * bool(owned["object"])
        choice = rng.choice(choices)
        if choice == "enum":
            return f"{sub.domain}Status", rng.choice(owned["enum"])
        if choice == "value":
            name = rng.choice(self.values_in[j])
            return lower_first(name), name
        if choice == "object":
            name = rng.choice(owned["object"])
            return lower_first(name), f"[{name}!]"
        fname, ftype = rng.choice(SCALARS)
        return f"{sub.domain}{fname[:1].upper()}{fname[1:]}", ftype

    def _reference_entities(self) -> None:
        """Owned entities point at entities of other subgraphs, some with @provides."""
        rng, names = self.rng, list(self.entities)
        for i, owned in enumerate(self.owned):
            for name in owned["entity"]:
                if rng.random() >= 0.35:
                    continue
                target = self.entities[rng.choice(names)]
                if target.owner == i:
                    continue
                ref = self._entity_in(i, target, resolvable=False)
                parent, directives = self.subs[i].composites[name], ""
                provided = [f for f in target.scalars if f[0] not in ref.fields]
                if provided and rng.random() < 0.4:
                    fname, ftype = rng.choice(provided)
                    ref.add(fname, ftype, directives="@external")
                    owner_field = (
                        self.subs[target.owner].composites[target.name].fields[fname]
                    )
                    owner_field.directives = "@shareable"
                    directives = f'@provides(fields: "{fname}")'
                    self.features["provides"] += 1
                self._add(i, parent, lower_first(target.name), target.name, directives)
                self.features["references"] += 1

    def _entity_in(self, j: int, entity: _Entity, *, resolvable: bool) -> Composite:
        """Subgraph j's definition of `entity`: an extension, or a key-only stub."""
        sub = self.subs[j]
        if entity.name in sub.composites:
            return sub.composites[entity.name]
        key = self.rng.choice(entity.keys)
        directive = (
            f'@key(fields: "{key}"'
            + ("" if resolvable else ", resolvable: false")
            + ")"
        )
        obj = sub.composites[entity.name] = Composite("type", entity.name, [directive])
        for fname in key.split():
            obj.add(fname, entity.key_fields[fname])
        return obj

    # -- root fields --------------------------------------------------------------

    def _define_roots(self, i: int) -> None:
        rng, sub, owned = self.rng, self.subs[i], self.owned[i]
        for name in owned["entity"]:
            entity = self.entities[name]
            args = ", ".join(
                f"{f}: {entity.key_fields[f]}" for f in entity.keys[0].split()
            )
            self._root(
                sub.query, lower_first(name.removeprefix(sub.prefix)), name, args
            )
        for name in owned["interface"]:
            self._root(
                sub.query, lower_first(name) + "s", f"[{name}!]!", "first: Int = 20"
            )
        for name in owned["union"]:
            self._root(
                sub.query,
                "search" + name.removesuffix("Result"),
                f"[{name}!]!",
                "term: String!, first: Int = 20",
            )
        for name in owned["input"]:
            target = rng.choice(owned["entity"])
            self._root(
                sub.query,
                "find" + name.removesuffix("Input"),
                f"[{target}!]!",
                f"where: {name}, first: Int = 20",
            )
        for name in owned["enum"][::2]:
            target = rng.choice(owned["entity"])
            self._root(
                sub.query,
                lower_first(target) + "sBy" + name.removeprefix(sub.prefix),
                f"[{target}!]!",
                f"kind: {name}!",
            )
        mutating = max(1, round(len(self.subs) * 0.1))
        if i % (len(self.subs) // mutating) == 0:
            self._define_mutations(i)

    def _define_mutations(self, i: int) -> None:
        rng, sub, owned = self.rng, self.subs[i], self.owned[i]
        for name in owned["entity"][:3]:
            entity = self.entities[name]
            args = ", ".join(
                f"{f}: {entity.key_fields[f]}" for f in entity.keys[0].split()
            )
            base = name.removeprefix(sub.prefix)
            if owned["input"]:
                self._root(
                    sub.mutation,
                    "create" + name,
                    f"{name}!",
                    f"input: {rng.choice(owned['input'])}!",
                )
            self._root(sub.mutation, f"archive{sub.prefix}{base}", "Boolean!", args)
            self.features["mutations"] += 1

    def _root(self, root: Composite, name: str, type_: str, args: str) -> None:
        """Root fields are unique across subgraphs: none of them is @shareable."""
        unique, n = name, 2
        while unique in self.root_names:
            unique, n = f"{name}{n}", n + 1
        self.root_names.add(unique)
        root.add(unique, type_, args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.compose.generate",
        description="Print a synthetic federation as oracle/compose.mjs input JSON.",
    )
    parser.add_argument("--subgraphs", type=int, default=FULL.subgraphs)
    parser.add_argument("--types", type=int, default=FULL.types)
    parser.add_argument("--seed", type=int, default=FULL.seed)
    parser.add_argument(
        "--tiny",
        action="store_true",
        help=f"{TINY.subgraphs} subgraphs, {TINY.types} types",
    )
    parser.add_argument(
        "--summary", action="store_true", help="print counts, not the SDL"
    )
    args = parser.parse_args(argv)
    shape = TINY if args.tiny else Shape(args.subgraphs, args.types, args.seed)
    federation = generate(shape)
    if args.summary:
        summary = {
            "subgraphs": len(federation.subgraphs),
            "types": federation.type_count,
        }
        json.dump(
            {**summary, "kinds": federation.kinds, "features": federation.features},
            sys.stdout,
            indent=2,
        )
    else:
        json.dump(federation.oracle_input(), sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
