"""What router.yaml leaves unset, filled in per command: `router dev` or `router serve`.

Apollo Router's `--dev` turns on what a developer wants on their own machine
(introspection, query plans); ours turns on introspection and the explorer, and only
where the file says nothing, so a router.yaml that sets a key keeps its value in every
mode. Under `router serve` unset keys keep their production defaults (introspection and
the explorer off). The explorer follows introspection unless set: a router that hides
its schema never serves a page that shows it, unless the file says `explorer: true`.
"""

from __future__ import annotations

from router.config.model import RouterConfig

__all__ = ["explorer_enabled", "with_mode_defaults"]


def with_mode_defaults(config: RouterConfig, *, dev: bool) -> RouterConfig:
    """`config` with `supergraph.introspection` and `supergraph.explorer` settled."""
    supergraph = config.supergraph
    introspection = supergraph.introspection
    if dev and "introspection" not in supergraph.model_fields_set:
        introspection = True
    explorer = supergraph.explorer
    if explorer is None:
        explorer = dev and introspection
    if (introspection, explorer) == (supergraph.introspection, supergraph.explorer):
        return config
    settled = supergraph.model_copy(
        update={"introspection": introspection, "explorer": explorer}
    )
    return config.model_copy(update={"supergraph": settled})


def explorer_enabled(config: RouterConfig) -> bool:
    """Whether the explorer is served (an unsettled config: only when set to true)."""
    return config.supergraph.explorer is True
