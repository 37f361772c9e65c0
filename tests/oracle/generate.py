"""Random federated worlds, seeded and deterministic: ``generate_world(seed, index)``.

A world is drawn as a model (``oracle.model``), printed as 2-5 subgraph SDLs, and filled
with records. What the draws cover:

- entities with one key or several (``id``, ``sku``, compound ``code num``, nested
  ``loc { code zone }``); subgraphs that know an entity by only some of its keys, or only
  as a stub (``resolvable: false``), so that keys must often be collected through a
  third subgraph before a jump;
- fields owned by one subgraph, or ``@shareable`` in two, sometimes with another
  nullability in one of them; fields with arguments (with and without defaults);
  fields that fail on some records; ``@override`` (with and without a label);
  ``@inaccessible`` fields and key fields;
- ``@requires`` on scalar fields, fields with arguments, nested value-type fields,
  other ``@requires`` fields (chains) and interface fields from an ``@interfaceObject``;
- ``@provides`` on entity fields and lists of them;
- mutations (read-only: a mutation answers like a root field, so what it tests is
  that mutation root fields run one after another and their entities are completed);
- lists of lists (of scalars, entities and abstract types) and input-object arguments
  (``where: Filter``, with an enum field when the world has one), drawn aside
  (``_aside``) so that the worlds they do not touch stay as they were;
- value types; interfaces (value interfaces defined in several subgraphs with other
  implementations in each; entity interfaces with an ``@interfaceObject`` elsewhere);
  unions whose members differ between subgraphs;
- root fields: lists, lookups by key, abstract lists, and shareable root fields;
- with ``wide`` (``--wide`` campaigns; other worlds than the seed's, drawn after the
  main draws from a stream of their own): ``@interfaceObject`` in more subgraphs (a
  second one, or a subgraph of its own when every other one knows an implementation),
  ``@provides`` on root fields (lists and lookups) and under type conditions on
  abstract fields, ``@requires`` fields whose value is an entity or a list of them,
  entity fields in value types, and overrides in force (``percent(100)``).

Every field's values only use runtime types that each subgraph resolving it knows, and
every object a subgraph returns is one it defines, so each subgraph is a correct one:
what it answers is what the monolith (``oracle.monolith``) answers.
"""

from __future__ import annotations

import random
from typing import Any

from oracle.model import GenArg, GenField, GenType, Model, print_subgraph
from oracle.world import ERROR, REF, World

__all__ = ["argument_values", "generate_world"]

SUBGRAPHS = ("alpha", "beta", "gamma", "delta", "epsilon")
ENTITY_NAMES = ("Book", "Author", "Shelf", "Store", "Review", "User", "Order", "Item")
INTERFACE_NAMES = ("Node", "Named", "Media")
UNION_NAMES = ("Result", "Feed")
VALUE_NAMES = ("Dims", "Price")
ENUMS = {"Color": ["RED", "GREEN", "BLUE"], "Size": ["SMALL", "MEDIUM", "LARGE"]}
# One type per word everywhere, so that sibling fragments meet the same name often.
SCALAR_WORDS = {
    "title": "String",
    "code": "String",
    "note": "String",
    "rank": "Int",
    "level": "Int",
    "score": "Float",
    "flag": "Boolean",
    "open": "Boolean",
    "tone": "Color",
    "size": "Size",
}
ALT_KEYS = ("sku", "code num", "loc { code zone }")
RECORDS_PER_ENTITY = (2, 4)


def generate_world(seed: int, index: int, *, wide: bool = False) -> World:
    """World ``index`` of the campaign ``seed``; ``wide`` adds the draws of
    ``_Generator._widen`` (the same world without them otherwise, so seeds that
    campaigns and CI ran keep their worlds)."""
    rng = random.Random(f"oracle-world:{seed}:{index}")
    return _Generator(rng, f"w{seed}x{index}", wide=wide).build()


def argument_values(world: World) -> dict[str, list[object]]:
    """Values for opgen (``support.opgen.Options.argument_values``): keys of existing
    records (and one that matches nothing) for lookup arguments, small values else."""
    values: dict[str, list[object]] = {
        "n": [1, 2, 3],
        "first": [0, 1, 2],
        "lang": ["en", "fr"],
        "strict": [True, False],
    }
    keys: dict[str, list[object]] = {}
    for record in world.records.values():
        for name in ("id", "sku"):
            if isinstance(record.get(name), str):
                keys.setdefault(name, []).append(record[name])
    for name, found in keys.items():
        values[name] = [*sorted(set(found))[:6], f"missing-{name}"]
    return values


class _Generator:
    def __init__(self, rng: random.Random, name: str, *, wide: bool = False) -> None:
        self.rng = rng
        self.name = name
        self.wide = wide
        count = rng.randint(2, 5)
        self.model = Model(list(SUBGRAPHS[:count]))
        self.features: set[str] = set()
        self.records: dict[str, dict[str, Any]] = {}
        self.asides = 0

    def _aside(self, tag: str) -> random.Random:
        """A draw of its own for a feature added after the main draws were fixed: the
        main sequence (and every world the feature does not touch) stays as it was."""
        self.asides += 1
        return random.Random(f"{self.name}:{tag}:{self.asides}")

    # -- the schema ---------------------------------------------------------------

    def build(self) -> World:
        rng = self.rng
        model = self.model
        model.types["Query"] = GenType("Query", "root")
        for enum_name in rng.sample(sorted(ENUMS), rng.randint(1, 2)):
            model.types[enum_name] = GenType(enum_name, "enum", values=ENUMS[enum_name])
        for value_name in rng.sample(VALUE_NAMES, rng.randint(0, 2)):
            self._value_type(value_name)
        names = rng.sample(ENTITY_NAMES, rng.randint(2, 5))
        for entity_name in names:
            self._entity(entity_name)
        for interface_name in rng.sample(INTERFACE_NAMES, rng.randint(0, 2)):
            self._interface(interface_name)
        for union_name in rng.sample(UNION_NAMES, rng.randint(0, 2)):
            self._union(union_name)
        for entity in model.entities():
            for _ in range(rng.randint(1, 4)):
                self._entity_field(entity)
        for entity in model.entities():
            if rng.random() < 0.45:
                self._requires(entity)
        for _ in range(rng.randint(0, 2)):
            self._provides()
        for gen in list(model.types.values()):
            if gen.kind == "interface" and gen.interface_objects and rng.random() < 0.6:
                self._interface_object_requires(gen)
        self._roots()
        self._mutations()
        if self.wide:
            self._widen(random.Random(f"{self.name}:wide"))
        self._finish_keys()
        self._data()
        subgraphs = {
            name: print_subgraph(model, name)
            for name in model.subgraphs
            if self._has_content(name)
        }
        return World(
            self.name,
            subgraphs,
            self.records,
            self._query_values(),
            tuple(sorted(self.features)),
        )

    def _has_content(self, subgraph: str) -> bool:
        return any(
            self.model.defines(t.name, subgraph) for t in self._composites()
        ) or any(f.printed_in(subgraph) for f in self.model.query.fields.values())

    def _composites(self) -> list[GenType]:
        return [
            t
            for t in self.model.types.values()
            if t.kind in ("entity", "interface", "union")
        ]

    def _value_type(self, name: str) -> None:
        gen = GenType(name, "value")
        for word in self.rng.sample(sorted(SCALAR_WORDS), 2):
            gen.fields[word] = GenField(word, self._scalar_type(word, nullable=True))
        self.model.types[name] = gen

    def _scalar_type(self, word: str, nullable: bool) -> str:
        type_name = SCALAR_WORDS[word]
        if type_name not in ("String", "Int", "Float", "Boolean") and (
            type_name not in self.model.types
        ):
            type_name = "String"
        return type_name if nullable else type_name + "!"

    def _entity(self, name: str) -> None:
        rng = self.rng
        model = self.model
        home = rng.choice(model.subgraphs)
        keys = ["id"]
        if rng.random() < 0.45:
            keys.append(rng.choice(ALT_KEYS))
            if rng.random() < 0.2:
                other = rng.choice([k for k in ALT_KEYS if k not in keys])
                keys.append(other)
        gen = GenType(name, "entity", keys=keys, home=home)
        gen.presence[home] = [(key, True) for key in keys]
        for subgraph in model.subgraphs:
            if subgraph == home or rng.random() > 0.55:
                continue
            chosen = rng.sample(keys, rng.randint(1, len(keys)))
            gen.presence[subgraph] = [(k, rng.random() < 0.8) for k in chosen]
        gen.fields["id"] = GenField("id", "ID!", key=True)
        if "sku" in " ".join(keys):
            gen.fields["sku"] = GenField(
                "sku", "String!", key=True, inaccessible=rng.random() < 0.25
            )
        if "code num" in keys:
            gen.fields["code"] = GenField("code", "String!", key=True)
            gen.fields["num"] = GenField("num", "Int!", key=True)
        if any(k.startswith("loc") for k in keys):
            if "Loc" not in model.types:
                loc = GenType("Loc", "value")
                loc.fields["code"] = GenField("code", "String!")
                loc.fields["zone"] = GenField("zone", "Int!")
                model.types["Loc"] = loc
            gen.fields["loc"] = GenField("loc", "Loc!", key=True)
        if len(keys) > 1:
            self.features.add("several keys")
        if any(not ok for p in gen.presence.values() for _, ok in p):
            self.features.add("resolvable: false")
        model.types[name] = gen

    def _resolvable_in(self, gen: GenType) -> list[str]:
        return [s for s, keys in gen.presence.items() if any(ok for _, ok in keys)]

    def _ensure_present(
        self, type_name: str, subgraph: str, rng: random.Random | None = None
    ) -> bool:
        """Makes ``type_name`` known to ``subgraph`` (an entity as a stub, by one of its
        keys); False when that cannot be done (abstract types are where they are)."""
        rng = rng or self.rng
        gen = self.model.types[type_name]
        if gen.kind == "entity":
            if subgraph not in gen.presence and self._seen_as_interface_object(
                type_name, subgraph
            ):
                return False
            if subgraph not in gen.presence:
                key = rng.choice(gen.keys)
                gen.presence[subgraph] = [(key, rng.random() < 0.3)]
            return True
        if gen.kind in ("interface", "union"):
            return self.model.defines(type_name, subgraph)
        return True

    def _seen_as_interface_object(self, entity: str, subgraph: str) -> bool:
        """Whether ``subgraph`` sees an interface ``entity`` implements as an
        ``@interfaceObject`` (it must not define the implementation then)."""
        return any(
            t.kind == "interface"
            and entity in t.implementers
            and subgraph in t.interface_objects
            for t in self.model.types.values()
        )

    # -- interfaces and unions ------------------------------------------------------

    def _interface(self, name: str) -> None:
        rng = self.rng
        model = self.model
        entities = model.entities()
        if len(entities) < 2:
            return
        entity_interface = rng.random() < 0.4
        if entity_interface:
            # One entity interface per implementation: Apollo cannot reach fields of
            # two interface objects of one type.
            entities = [
                e
                for e in entities
                if not any(
                    t.kind == "interface"
                    and t.entity_interface
                    and e.name in t.implementers
                    for t in model.types.values()
                )
            ]
            if len(entities) < 2:
                return
        implementers = rng.sample(entities, rng.randint(2, min(3, len(entities))))
        word = rng.choice(
            [w for w in SCALAR_WORDS if all(w not in e.fields for e in implementers)]
            or ["note"]
        )
        if any(word in e.fields for e in implementers):
            return
        homes = [
            s
            for s in model.subgraphs
            if not any(self._seen_as_interface_object(e.name, s) for e in implementers)
        ]
        if not homes:
            return
        home = rng.choice(homes)
        gen = GenType(name, "interface", home=home, defined_in=[home])
        gen.implementers = [e.name for e in implementers]
        gen.fields["id"] = GenField("id", "ID!", resolvers=[home], key=True)
        word_type = self._scalar_type(word, nullable=True)
        gen.fields[word] = GenField(word, word_type, resolvers=[home])
        gen.entity_interface = entity_interface
        for entity in implementers:
            keys = entity.presence.setdefault(home, [])
            if not any(k == "id" and ok for k, ok in keys):
                keys[:] = [(k, ok) for k, ok in keys if k != "id"] + [("id", True)]
            entity.implements.setdefault(home, []).append(name)
            entity.fields[word] = GenField(word, word_type, resolvers=[home])
        model.types[name] = gen
        if entity_interface:
            self.features.add("entity interface")
            # Every implementation must live in the interface's subgraph: so must every
            # entity that implements it later (none do: implementations are fixed here).
            free = [
                s
                for s in model.subgraphs
                if s != home and all(s not in e.presence for e in implementers)
            ]
            if free and rng.random() < 0.8:
                other = rng.choice(free)
                gen.interface_objects.append(other)
                gen.fields["id"].resolvers.append(other)
                extra = rng.choice(
                    [
                        w
                        for w in SCALAR_WORDS
                        if w != word and all(w not in e.fields for e in implementers)
                    ]
                    or ["level"]
                )
                if all(extra not in e.fields for e in implementers):
                    extra_type = self._scalar_type(extra, nullable=rng.random() < 0.7)
                    args = self._maybe_args(extra_type)
                    gen.fields[extra] = GenField(
                        extra, extra_type, args=args, resolvers=[other]
                    )
                    for entity in implementers:
                        entity.fields[extra] = GenField(
                            extra,
                            extra_type,
                            args=list(args),
                            resolvers=[other],
                            via_interface_object=True,
                        )
                self.features.add("@interfaceObject")
            return
        # A value interface: other subgraphs may define it with other implementations.
        for subgraph in model.subgraphs:
            if subgraph == home or rng.random() > 0.4:
                continue
            local = [
                e
                for e in implementers
                if any(k == "id" for k, _ in e.presence.get(subgraph, ()))
            ]
            if not local:
                continue
            gen.defined_in.append(subgraph)
            gen.fields["id"].resolvers.append(subgraph)
            gen.fields[word].resolvers.append(subgraph)
            for entity in local:
                entity.implements.setdefault(subgraph, []).append(name)
                entity.fields[word].resolvers.append(subgraph)
            self.features.add("interface differs per subgraph")

    def _union(self, name: str) -> None:
        rng = self.rng
        model = self.model
        entities = model.entities()
        if len(entities) < 2:
            return
        gen = GenType(name, "union")
        for subgraph in rng.sample(
            model.subgraphs, rng.randint(1, min(2, len(model.subgraphs)))
        ):
            members = rng.sample(
                entities, rng.randint(1 if gen.members else 2, min(3, len(entities)))
            )
            members = [e for e in members if self._ensure_present(e.name, subgraph)]
            if members:
                gen.members[subgraph] = [e.name for e in members]
        if not gen.members:
            return
        if len(gen.members) > 1:
            self.features.add("union differs per subgraph")
        model.types[name] = gen

    # -- entity fields --------------------------------------------------------------

    def _fresh_name(self, gen: GenType, base: str) -> str:
        name, n = base, 1
        while name in gen.fields:
            n += 1
            name = f"{base}{n}"
        return name

    def _maybe_args(self, type_text: str) -> list[GenArg]:
        rng = self.rng
        if rng.random() > 0.25:
            return []
        if type_text.startswith("["):
            return [GenArg("first", "Int")]
        enums = [t.name for t in self.model.types.values() if t.kind == "enum"]
        choices = [
            [GenArg("n", "Int", "2")],
            [GenArg("n", "Int")],
            [GenArg("lang", "String", '"en"')],
            [GenArg("strict", "Boolean", "false")],
        ]
        if enums:
            choices.append([GenArg("c", rng.choice(enums))])
            choices.append([GenArg("n", "Int", "1"), GenArg("c", rng.choice(enums))])
        self.features.add("arguments")
        chosen: list[GenArg] = rng.choice(choices)
        if self._aside("input").random() < 0.3:
            chosen = [*chosen, GenArg("where", self._filter_input())]
            self.features.add("input-object arguments")
        return chosen

    def _filter_input(self) -> str:
        """The world's one input type, made on first use."""
        model = self.model
        if "Filter" not in model.types:
            gen = GenType("Filter", "input")
            gen.fields["n"] = GenField("n", "Int")
            gen.fields["lang"] = GenField("lang", "String")
            enums = sorted(t.name for t in model.types.values() if t.kind == "enum")
            if enums:
                enum = self._aside("filter").choice(enums)
                gen.fields["c"] = GenField("c", enum)
            model.types["Filter"] = gen
        return "Filter"

    def _entity_field(self, entity: GenType) -> None:
        rng = self.rng
        model = self.model
        owners = self._resolvable_in(entity)
        if not owners:
            return
        owner = rng.choice(owners)
        roll = rng.random()
        abstract = [t for t in self._composites() if t.kind != "entity"]
        values = [
            t for t in model.types.values() if t.kind == "value" and t.name != "Loc"
        ]
        if roll < 0.5:
            word = rng.choice(sorted(SCALAR_WORDS))
            name = self._fresh_name(entity, word)
            type_text = self._scalar_type(word, nullable=rng.random() < 0.7)
            if rng.random() < 0.12:
                type_text = f"[{type_text.rstrip('!')}!]"
        elif roll < 0.78 or not (abstract or values):
            target = rng.choice(model.entities())
            many = rng.random() < 0.45
            name = self._fresh_name(entity, target.name.lower() + ("s" if many else ""))
            type_text = f"[{target.name}!]" if many else target.name
            if many and rng.random() < 0.3:
                type_text += "!"
            if not self._ensure_present(target.name, owner):
                return
        elif values and (not abstract or rng.random() < 0.4):
            target = rng.choice(values)
            name = self._fresh_name(entity, target.name.lower())
            type_text = target.name
        else:
            target = rng.choice(abstract)
            places = [s for s in owners if model.defines(target.name, s)]
            if not places:
                return
            owner = rng.choice(places)
            many = rng.random() < 0.5
            name = self._fresh_name(entity, target.name.lower() + ("s" if many else ""))
            type_text = f"[{target.name}!]" if many else target.name
        if type_text.startswith("[") and self._aside("nest").random() < 0.25:
            bang = "!" if type_text.endswith("!") else ""
            type_text = f"[{type_text.rstrip('!')}!]{bang}"
            self.features.add("lists of lists")
        gen_field = GenField(
            name, type_text, args=self._maybe_args(type_text), resolvers=[owner]
        )
        entity.fields[name] = gen_field
        self._decorate(entity, gen_field, owners)

    def _can_resolve(self, gen_field: GenField, subgraph: str) -> bool:
        named = gen_field.named
        gen = self.model.types.get(named)
        if gen is None or gen.kind in ("enum", "value"):
            return True
        if gen.kind == "entity":
            return self._ensure_present(named, subgraph)
        return self.model.defines(named, subgraph)

    def _decorate(
        self, entity: GenType, gen_field: GenField, owners: list[str]
    ) -> None:
        """Shares, overrides, hides or makes fail the new field, sometimes."""
        rng = self.rng
        owner = gen_field.resolvers[0]
        others = [s for s in owners if s != owner]
        roll = rng.random()
        if others and roll < 0.22:
            other = rng.choice(others)
            if self._can_resolve(gen_field, other):
                gen_field.resolvers.append(other)
                if not self._allowed_types(gen_field):
                    gen_field.resolvers.pop()
                    return
                self.features.add("@shareable")
                if (
                    not gen_field.is_list
                    and not gen_field.non_null
                    and rng.random() < 0.5
                ):
                    gen_field.variants[rng.choice(gen_field.resolvers)] = (
                        gen_field.type + "!"
                    )
                    self.features.add("nullability differs")
            return
        if others and roll < 0.3:
            new_owner = rng.choice(others)
            if self._can_resolve(gen_field, new_owner):
                gen_field.override_from = owner
                gen_field.resolvers = [new_owner]
                if not self._allowed_types(gen_field):
                    gen_field.override_from = None
                    gen_field.resolvers = [owner]
                    return
                if rng.random() < 0.35:
                    gen_field.override_label = "percent(0)"
                self.features.add("@override")
            return
        if roll < 0.36 and gen_field.named in {*SCALAR_WORDS.values(), "String"}:
            gen_field.inaccessible = True
            self.features.add("@inaccessible")
            return
        if roll < 0.46 and gen_field.named in ("String", "Int", "Float", "Boolean"):
            gen_field.failing = True
            self.features.add("failing field")

    # -- @requires and @provides ----------------------------------------------------

    def _requires(self, entity: GenType) -> None:
        rng = self.rng
        requirers = self._resolvable_in(entity)
        if not requirers:
            return
        subgraph = rng.choice(requirers)
        candidates = [
            f
            for f in entity.fields.values()
            if _lendable(f, subgraph, with_args=True, with_requires=True)
            and (
                f.named in ("String", "Int", "Float", "Boolean")
                or self.model.types.get(f.named, GenType("", "")).kind
                in ("enum", "value")
            )
        ]
        parts = []
        abstract = self._abstract_requirement(entity, subgraph)
        if abstract is not None:
            parts.append(abstract)
        if not candidates and not parts:
            return
        chosen = rng.sample(candidates, min(len(candidates), rng.randint(0, 2)))
        if not chosen and not parts:
            chosen = candidates[:1]
        for required in chosen:
            text = required.name
            if required.args:
                arg = required.args[0]
                text += f"({arg.name}: {self._literal(arg.type)})"
                self.features.add("@requires with arguments")
            gen = self.model.types.get(required.named)
            if gen is not None and gen.kind == "value":
                sub = rng.sample(sorted(gen.fields), rng.randint(1, len(gen.fields)))
                text += " { " + " ".join(sub) + " }"
                self.features.add("@requires nested")
            if required.requires is not None:
                self.features.add("@requires chain")
            required.external.add(subgraph)
            parts.append(text)
        word = rng.choice(["title", "rank", "flag", "tone", "note"])
        name = self._fresh_name(entity, "req" + word.capitalize())
        type_text = self._scalar_type(word, nullable=rng.random() < 0.6)
        entity.fields[name] = GenField(
            name,
            type_text,
            args=self._maybe_args(type_text),
            resolvers=[subgraph],
            requires=" ".join(parts),
        )
        self.features.add("@requires")

    def _abstract_requirement(self, entity: GenType, subgraph: str) -> str | None:
        """Sometimes ``media { ... on Book { title } }``: a required field of an abstract
        type, narrowed to one member's field."""
        rng = self.rng
        if rng.random() > 0.5:
            return None
        fields = [
            f
            for f in entity.fields.values()
            if self.model.types.get(f.named, GenType("", "")).kind
            in ("union", "interface")
            and subgraph not in f.resolvers
            and f.override_from is None
            and not f.variants
            and not f.args
            and not f.via_interface_object
            and self.model.defines(f.named, subgraph)
            and subgraph not in self.model.types[f.named].interface_objects
        ]
        rng.shuffle(fields)
        for required in fields:
            owner = required.resolvers[0]
            for member_name in self.model.possible_in(required.named, subgraph):
                if member_name not in self.model.possible_in(required.named, owner):
                    continue
                member = self.model.types[member_name]
                leaves = [
                    g
                    for g in member.fields.values()
                    if _lendable(g, subgraph)
                    and g.named in ("String", "Int", "Float", "Boolean")
                    # Where the abstract field is resolved: Apollo does not plan a
                    # nested condition that needs another jump.
                    and required.resolvers[0] in g.resolvers
                ]
                if not leaves:
                    continue
                leaf = rng.choice(leaves)
                required.external.add(subgraph)
                leaf.external.add(subgraph)
                self.features.add("@requires on an abstract type")
                return f"{required.name} {{ ... on {member_name} {{ {leaf.name} }} }}"
        return None

    def _literal(self, type_name: str) -> str:
        rng = self.rng
        gen = self.model.types.get(type_name)
        if gen is not None and gen.kind == "enum":
            return rng.choice(gen.values)
        return {
            "Int": str(rng.randint(1, 4)),
            "String": '"fr"',
            "Boolean": "true",
        }.get(type_name, "1")

    def _interface_object_requires(self, interface: GenType) -> None:
        other = interface.interface_objects[0]
        candidates = [
            f
            for f in interface.fields.values()
            if not f.key and other not in f.resolvers and not f.args
        ]
        if not candidates:
            return
        required = self.rng.choice(candidates)
        required.external.add(other)
        implementers = [self.model.types[n] for n in interface.implementers]
        name, n = "reqNote", 1
        while any(name in t.fields for t in (interface, *implementers)):
            n += 1
            name = f"reqNote{n}"

        type_text = "String"
        interface.fields[name] = GenField(
            name, type_text, resolvers=[other], requires=required.name
        )
        for gen in implementers:
            gen.fields[name] = GenField(
                name, type_text, resolvers=[other], via_interface_object=True
            )
        self.features.add("@requires on @interfaceObject")

    def _provides(self) -> None:
        rng = self.rng
        fields = [
            (entity, f)
            for entity in self.model.entities()
            for f in entity.fields.values()
            if self.model.types.get(f.named, GenType("", "")).kind == "entity"
            and len(f.resolvers) == 1
            and not f.provides
            and not f.args
        ]
        if not fields:
            return
        _, gen_field = rng.choice(fields)
        if self._provide_under(gen_field, rng):
            self.features.add(
                "@provides" + (" through a list" if gen_field.is_list else "")
            )

    def _provide_under(self, gen_field: GenField, rng: random.Random) -> bool:
        """Gives ``gen_field`` (of an entity type, one resolver) a ``@provides`` of
        some of its type's fields; False when none can be provided."""
        subgraph = gen_field.resolvers[0]
        target = self.model.types[gen_field.named]
        candidates = [
            f
            for f in target.fields.values()
            if _lendable(f, subgraph)
            and self.model.types.get(f.named, GenType("", "")).kind
            not in ("entity", "interface", "union")
        ]
        if not candidates:
            return False
        chosen = rng.sample(candidates, min(len(candidates), rng.randint(1, 2)))
        parts = []
        for provided in chosen:
            provided.external.add(subgraph)
            provided.provided = True
            gen = self.model.types.get(provided.named)
            if gen is not None and gen.kind == "value":
                parts.append(provided.name + " { " + " ".join(gen.fields) + " }")
            else:
                parts.append(provided.name)
        nested = self._nested_provision(target, subgraph, rng)
        if nested is not None:
            parts.append(nested)
        gen_field.provides[subgraph] = " ".join(parts)
        return True

    def _nested_provision(
        self, target: GenType, subgraph: str, rng: random.Random
    ) -> str | None:
        """Sometimes ``owner { name }``: an entity field of the provided type and one of
        that entity's fields, both provided."""
        if rng.random() > 0.4:
            return None
        links = [
            f
            for f in target.fields.values()
            if self.model.types.get(f.named, GenType("", "")).kind == "entity"
            and subgraph not in f.resolvers
            and len(f.resolvers) == 1
            and f.override_from is None
            and not f.args
            and not f.failing
            and not f.provides
            and not f.via_interface_object
        ]
        rng.shuffle(links)
        for link in links:
            inner = self.model.types[link.named]
            leaves = [
                g
                for g in inner.fields.values()
                if _lendable(g, subgraph)
                and g.named in ("String", "Int", "Float", "Boolean")
            ]
            if not leaves or not self._ensure_present(inner.name, subgraph, rng):
                continue
            leaf = rng.choice(leaves)
            for provided in (link, leaf):
                provided.external.add(subgraph)
                provided.provided = True
            self.features.add("@provides nested")
            return f"{link.name} {{ {leaf.name} }}"
        return None

    # -- wider worlds ---------------------------------------------------------------

    def _widen(self, rng: random.Random) -> None:
        """What ``wide`` worlds add, from a stream of their own: one more subgraph
        with an ``@interfaceObject`` of an entity interface (often a second one),
        ``@provides`` on root fields (lists and lookups) and on an abstract field,
        a ``@requires`` field whose value is an entity, an entity field in a value
        type, and overrides in force (``percent(100)``)."""
        for gen in list(self.model.types.values()):
            if gen.entity_interface and rng.random() < 0.8:
                self._another_interface_object(gen, rng)
        roots = [
            f
            for f in self.model.query.fields.values()
            if self.model.types.get(f.named, GenType("", "")).kind == "entity"
            and not f.provides
        ]
        rng.shuffle(roots)
        for gen_field in roots[: rng.randint(0, 3)]:
            if self._provide_under(gen_field, rng):
                self.features.add("@provides on a root field")
        if rng.random() < 0.6:
            self._requires_an_entity(rng)
        if rng.random() < 0.6:
            self._provides_on_an_abstract_field(rng)
        if rng.random() < 0.6:
            self._entity_in_a_value_type(rng)
        for entity in self.model.entities():
            for gen_field in entity.fields.values():
                if gen_field.override_from is not None and rng.random() < 0.6:
                    gen_field.override_label = "percent(100)"
                    self.features.add("@override in force")

    def _provides_on_an_abstract_field(self, rng: random.Random) -> None:
        """``@provides(fields: "... on Book { title }")`` on a field of an interface
        or union type: a member's field, provided under a type condition."""
        fields = [
            f
            for gen in (*self.model.entities(), self.model.query)
            for f in gen.fields.values()
            if self.model.types.get(f.named, GenType("", "")).kind
            in ("union", "interface")
            and len(f.resolvers) == 1
            and not f.provides
            and f.override_from is None
            and f.resolvers[0] not in self.model.types[f.named].interface_objects
        ]
        rng.shuffle(fields)
        for gen_field in fields:
            subgraph = gen_field.resolvers[0]
            parts = []
            for member_name in self._allowed_types(gen_field):
                member = self.model.types[member_name]
                leaves = [
                    g
                    for g in member.fields.values()
                    if _lendable(g, subgraph)
                    and g.named in ("String", "Int", "Float", "Boolean")
                ]
                if subgraph not in member.presence or not leaves:
                    continue
                leaf = rng.choice(leaves)
                leaf.external.add(subgraph)
                leaf.provided = True
                parts.append(f"... on {member_name} {{ {leaf.name} }}")
            if parts:
                gen_field.provides[subgraph] = " ".join(parts)
                self.features.add("@provides on an abstract field")
                return

    def _entity_in_a_value_type(self, rng: random.Random) -> None:
        """A value type (``@shareable``, printed wherever it is used) with a field of
        an entity type: every subgraph using the value type resolves it."""
        values = [
            t
            for t in self.model.types.values()
            if t.kind == "value" and t.name != "Loc"
        ]
        if not values:
            return
        value = rng.choice(values)
        target = rng.choice(self.model.entities())
        places = {
            s
            for gen in self.model.types.values()
            for f in gen.fields.values()
            if f.named == value.name
            for s in (*f.resolvers, *f.external, f.override_from)
            if s is not None
        }
        if not all(self._ensure_present(target.name, s, rng) for s in sorted(places)):
            return
        many = rng.random() < 0.4
        name = self._fresh_name(value, target.name.lower() + ("s" if many else ""))
        value.fields[name] = GenField(
            name, f"[{target.name}!]" if many else target.name
        )
        self.features.add("entity in a value type")

    def _requires_an_entity(self, rng: random.Random) -> None:
        """A ``@requires`` field whose value is an entity or a list of them (picked
        by the required values), so that a plan goes on from what it answers."""
        entities = self.model.entities()
        entity = rng.choice(entities)
        requirers = self._resolvable_in(entity)
        if not requirers:
            return
        subgraph = rng.choice(requirers)
        candidates = [
            f
            for f in entity.fields.values()
            if _lendable(f, subgraph)
            and f.named in ("String", "Int", "Float", "Boolean")
        ]
        target = rng.choice(entities)
        if not candidates or not self._ensure_present(target.name, subgraph, rng):
            return
        required = rng.choice(candidates)
        required.external.add(subgraph)
        many = rng.random() < 0.5
        name = self._fresh_name(entity, "req" + target.name + ("s" if many else ""))
        entity.fields[name] = GenField(
            name,
            f"[{target.name}!]" if many else target.name,
            resolvers=[subgraph],
            requires=required.name,
        )
        self.features.add("@requires of an entity")

    def _another_interface_object(self, interface: GenType, rng: random.Random) -> None:
        """One more subgraph sees ``interface`` as an ``@interfaceObject`` and adds a
        field of its own to it (and sometimes a root field listing it)."""
        implementers = [self.model.types[n] for n in interface.implementers]
        free = [
            s
            for s in self.model.subgraphs
            if s not in interface.defined_in
            and s not in interface.interface_objects
            and all(s not in e.presence for e in implementers)
        ]
        words = [
            w
            for w in SCALAR_WORDS
            if w not in interface.fields
            and all(w not in e.fields for e in implementers)
        ]
        if not free and len(self.model.subgraphs) < len(SUBGRAPHS):
            # A subgraph of its own: every other one knows an implementation.
            free = [SUBGRAPHS[len(self.model.subgraphs)]]
        if not free or not words:
            return
        other = rng.choice(free)
        if other not in self.model.subgraphs:
            self.model.subgraphs.append(other)
        word = rng.choice(words)
        type_text = self._scalar_type(word, nullable=rng.random() < 0.7)
        self.features.add(
            "@interfaceObject in several subgraphs"
            if interface.interface_objects
            else "@interfaceObject"
        )
        interface.interface_objects.append(other)
        interface.fields["id"].resolvers.append(other)
        interface.fields[word] = GenField(word, type_text, resolvers=[other])
        for entity in implementers:
            entity.fields[word] = GenField(
                word, type_text, resolvers=[other], via_interface_object=True
            )
        if rng.random() < 0.5:
            query = self.model.query
            name = self._fresh_name(query, interface.name.lower() + other.capitalize())
            query.fields[name] = GenField(
                name, f"[{interface.name}!]!", resolvers=[other]
            )

    # -- roots ----------------------------------------------------------------------

    def _roots(self) -> None:
        rng = self.rng
        model = self.model
        query = model.query
        for entity in model.entities():
            places = sorted(entity.presence)
            subgraph = rng.choice(places)
            name = self._fresh_name(
                query, entity.name[0].lower() + entity.name[1:] + "s"
            )
            query.fields[name] = GenField(
                name, f"[{entity.name}!]!", resolvers=[subgraph]
            )
            if len(places) > 1 and rng.random() < 0.25:
                query.fields[name].resolvers.append(
                    rng.choice([p for p in places if p != subgraph])
                )
                self.features.add("shareable root field")
            for key in ("id", "sku"):
                holders = [
                    s
                    for s, keys in entity.presence.items()
                    if any(key in k.split() for k, _ in keys)
                    and not (key == "sku" and entity.fields["sku"].inaccessible)
                ]
                if holders and rng.random() < 0.6:
                    holder = rng.choice(holders)
                    lookup = self._fresh_name(
                        query,
                        f"{entity.name[0].lower()}{entity.name[1:]}By{key.capitalize()}",
                    )
                    query.fields[lookup] = GenField(
                        lookup,
                        entity.name,
                        args=[GenArg(key, "ID!" if key == "id" else "String!")],
                        resolvers=[holder],
                    )
        for gen in self._composites():
            if gen.kind == "entity":
                continue
            places = (
                list(gen.members)
                if gen.kind == "union"
                else gen.defined_in + gen.interface_objects
            )
            for subgraph in places:
                if rng.random() < 0.7:
                    name = self._fresh_name(
                        query, gen.name.lower() + subgraph.capitalize()
                    )
                    query.fields[name] = GenField(
                        name, f"[{gen.name}!]!", resolvers=[subgraph]
                    )

    def _mutations(self) -> None:
        """Sometimes a ``Mutation`` type: lists of an entity and lookups by ``id``, each
        from one subgraph that knows the entity."""
        rng = self._aside("mutation")
        if rng.random() > 0.3:
            return
        mutation = GenType("Mutation", "root")
        for entity in rng.sample(self.model.entities(), rng.randint(1, 2)):
            holders = [
                s
                for s, keys in entity.presence.items()
                if any("id" in k.split() for k, _ in keys)
            ]
            if holders and rng.random() < 0.5:
                name = self._fresh_name(mutation, f"touch{entity.name}")
                mutation.fields[name] = GenField(
                    name,
                    entity.name,
                    args=[GenArg("id", "ID!")],
                    resolvers=[rng.choice(holders)],
                )
            else:
                name = self._fresh_name(mutation, f"pick{entity.name}s")
                mutation.fields[name] = GenField(
                    name,
                    f"[{entity.name}!]!",
                    resolvers=[rng.choice(sorted(entity.presence))],
                )
        self.model.types["Mutation"] = mutation
        self.features.add("mutations")

    def _finish_keys(self) -> None:
        """Key fields resolve wherever a key names them. Implementations of an entity
        interface that an ``@interfaceObject`` extends carry its key (``id``) wherever
        they are: a jump into an interface object takes the key from where the object
        is, never collected through another subgraph (Apollo's rule)."""
        for interface in self.model.types.values():
            if not interface.interface_objects:
                continue
            for name in interface.implementers:
                entity = self.model.types[name]
                for keys in entity.presence.values():
                    if not any(k == "id" for k, _ in keys):
                        keys.append(("id", False))
        for entity in self.model.entities():
            for gen_field in entity.fields.values():
                if gen_field.key:
                    gen_field.resolvers = [
                        s
                        for s in entity.presence
                        if gen_field.name in entity.key_fields_in(s)
                    ]

    # -- data -------------------------------------------------------------------------

    def _data(self) -> None:
        rng = self.rng
        entities = self.model.entities()
        for entity in entities:
            for n in range(rng.randint(*RECORDS_PER_ENTITY)):
                record_id = f"{entity.name.lower()}{n + 1}"
                self.records[record_id] = {"__typename": entity.name}
        for entity in entities:
            for record_id, record in self.records.items():
                if record["__typename"] != entity.name:
                    continue
                number = int(record_id[len(entity.name) :])
                for gen_field in entity.fields.values():
                    if gen_field.requires is not None:
                        continue
                    record[gen_field.name] = self._value(
                        entity, gen_field, record_id, number
                    )
            failing = [f for f in entity.fields.values() if f.failing]
            mine = [
                r for k, r in self.records.items() if r["__typename"] == entity.name
            ]
            for gen_field in failing:
                victim = rng.choice(mine)
                victim[gen_field.name] = {
                    ERROR: f"{entity.name}.{gen_field.name} failed"
                }

    def _value(
        self, entity: GenType, gen_field: GenField, record_id: str, number: int
    ) -> Any:
        name = gen_field.name
        if gen_field.key:
            if name == "id":
                return record_id
            if name == "sku":
                return f"sku-{record_id}"
            if name == "code":
                return f"c-{entity.name.lower()}"
            if name == "num":
                return number
            if name == "loc":
                return {"code": f"L{number}", "zone": number % 2}
        allowed = self._allowed_types(gen_field)
        type_text = gen_field.type
        if any(v.endswith("!") for v in gen_field.variants.values()):
            type_text += "!"  # some subgraph declares it non-null: never null
        return self._random_value(type_text, allowed)

    def _allowed_types(self, gen_field: GenField) -> list[str]:
        """Runtime types every subgraph resolving the field can return."""
        named = gen_field.named
        gen = self.model.types.get(named)
        if gen is None or gen.kind not in ("interface", "union", "entity"):
            return [named]
        allowed: set[str] | None = None
        for subgraph in gen_field.resolvers + (
            [gen_field.override_from] if gen_field.override_from else []
        ):
            here = set(self.model.possible_in(named, subgraph))
            allowed = here if allowed is None else allowed & here
        return sorted(allowed or ())

    def _random_value(self, type_text: str, allowed: list[str]) -> Any:
        rng = self.rng
        nullable = not type_text.endswith("!")
        inner = type_text.rstrip("!")
        if nullable and rng.random() < 0.15:
            return None
        if inner.startswith("["):
            count = rng.randint(0, 3)
            items = [self._random_value(inner[1:-1], allowed) for _ in range(count)]
            return items
        gen = self.model.types.get(inner)
        if gen is None:
            return _scalar(inner, rng)
        if gen.kind == "enum":
            return rng.choice(gen.values)
        if gen.kind == "value":
            return {
                f.name: self._random_value(f.type, [f.named])
                for f in gen.fields.values()
            }
        candidates = [
            record_id
            for record_id, record in self.records.items()
            if record["__typename"] in allowed
        ]
        if not candidates:
            return None if nullable else []
        return {REF: rng.choice(candidates)}

    def _query_values(self) -> dict[str, Any]:
        rng = self.rng
        values: dict[str, Any] = {}
        mutation = self.model.types.get("Mutation")
        roots = [*self.model.query.fields.values()]
        roots += [*mutation.fields.values()] if mutation is not None else []
        for gen_field in roots:
            if gen_field.args:
                continue  # a lookup
            allowed = self._allowed_types(gen_field)
            refs = [
                {REF: record_id}
                for record_id, record in self.records.items()
                if record["__typename"] in allowed
            ]
            rng.shuffle(refs)
            values[gen_field.name] = refs[: rng.randint(1, 4)]
        return values


def _lendable(
    gen_field: GenField,
    subgraph: str,
    *,
    with_args: bool = False,
    with_requires: bool = False,
) -> bool:
    """Whether ``subgraph`` may declare the field ``@external`` and read it (for a
    ``@requires`` or a ``@provides``): not its own, not a key, not moved by an
    override, not failing, one nullability everywhere, not an interface object's."""
    return (
        not gen_field.key
        and subgraph not in gen_field.resolvers
        and gen_field.override_from is None
        and not gen_field.failing
        and not gen_field.variants
        and not gen_field.via_interface_object
        and (with_args or not gen_field.args)
        and (with_requires or not gen_field.requires)
    )


def _scalar(type_name: str, rng: random.Random) -> Any:
    if type_name == "Int":
        return rng.randint(0, 99)
    if type_name == "Float":
        return rng.randint(0, 40) / 4
    if type_name == "Boolean":
        return rng.random() < 0.5
    if type_name == "ID":
        return f"id{rng.randint(1, 99)}"
    return rng.choice(("oak", "elm", "ash", "fir", "yew")) + str(rng.randint(1, 9))
