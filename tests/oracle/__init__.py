"""Ground truth for federated answers: a federated world's answer must be what one
monolithic schema holding the same data answers.

- ``world``: a world (subgraph SDLs plus one set of records) and its JSON form;
- ``semantics``: what the records answer, the same rules for the monolith and for every
  subgraph (stored values, argument-dependent values, ``@requires``-computed values);
- ``subgraph_schema`` and ``server``: each subgraph served for real over HTTP, every
  fetch validated against that subgraph's own schema;
- ``monolith``: the same world as one graphql-core schema, the truth;
- ``generate``: random worlds, seeded; ``operations``: random operations over them;
- ``harness``: our router and the monolith side by side; ``minimise``: the smallest
  world and operation that still disagree.
"""
