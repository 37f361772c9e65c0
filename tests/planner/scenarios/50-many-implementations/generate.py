"""Write this scenario's subgraph SDLs: an interface with 50 entity implementations.

Every implementation is an entity (`@key(id)`) in the three subgraphs, with the
`@shareable` fields `f1` and `f2` in all of them; `g` lives only in `b` and `h` only in
`c`, and the interface in `a` (which owns the root) declares only `id`, so a query for
all four fields must explode the interface and choose, per type, where the shared fields
come from: 3 options per shared field and type, far past the plan-count cap. Run from anywhere: `python generate.py`.
"""

from __future__ import annotations

from pathlib import Path

IMPLEMENTATIONS = 50
HERE = Path(__file__).resolve().parent
LINK = (
    'extend schema\n  @link(url: "https://specs.apollo.dev/federation/v2.3", '
    'import: ["@key", "@shareable"])\n'
)
OWN_FIELDS = {"a": [], "b": ["g"], "c": ["h"]}


def subgraph_sdl(name: str) -> str:
    own = OWN_FIELDS[name]
    parts = [LINK]
    if name == "a":
        parts.append("type Query {\n  items: [Item]\n}\n")
    # `a` declares only `id` on the interface, so `f1` and `f2` have no interface edge
    # there: the planner must explode the interface into the 50 types.
    shared = ["f1: Int", "f2: Int"] if own else []
    fields = ["id: ID!", *shared, *(f"{f}: Int" for f in own)]
    parts.append("interface Item {\n" + "".join(f"  {f}\n" for f in fields) + "}\n")
    for i in range(1, IMPLEMENTATIONS + 1):
        body = ["id: ID!", "f1: Int @shareable", "f2: Int @shareable"]
        body += [f"{f}: Int" for f in own]
        parts.append(
            f'type T{i} implements Item @key(fields: "id") {{\n'
            + "".join(f"  {line}\n" for line in body)
            + "}\n"
        )
    return "\n".join(parts)


def main() -> None:
    for name in OWN_FIELDS:
        (HERE / f"{name}.graphql").write_text(subgraph_sdl(name), encoding="utf-8")


if __name__ == "__main__":
    main()
