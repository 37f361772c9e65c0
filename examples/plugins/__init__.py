"""Custom plugins loaded from router.yaml's `plugins` section (README "Writing a plugin").

- `examples.plugins.custom_auth`: an API key checked by an external auth service; the
  consumer id and plan forwarded to the subgraphs as headers.
- `examples.plugins.subgraph_extension_header`: a value subgraphs return in their
  response `extensions`, sent to the client as a response header.

Each module exposes its class as `plugin`, so that router.yaml names the module alone.
"""
