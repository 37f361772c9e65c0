"""Fixtures of the gateway differential (helpers in ``gateway_harness``).

The five example subgraphs run once for the session, both gateways once per module:
our router (``router serve --supergraph FILE``) and Apollo Gateway (``node
oracle/gateway.mjs``), reading the same supergraph file.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gateway_harness import (
    Service,
    launch_apollo,
    launch_router,
    ready,
    start_subgraphs,
    stop_all,
    write_supergraph,
)
from support.oracle import require_oracle


@pytest.fixture(scope="session")
def node() -> str:
    return require_oracle()


@pytest.fixture(scope="session")
def subgraph_urls(node: str, example_urls: dict[str, str]) -> dict[str, str]:
    """The five example subgraphs, shared by the session (queries only read them)."""
    return example_urls


@pytest.fixture(scope="module")
def gateways(
    subgraph_urls: dict[str, str],
    node: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, str]]:
    """(our router's URL, Apollo Gateway's URL), both over the module's subgraphs."""
    folder = tmp_path_factory.mktemp("gateways")
    supergraph = write_supergraph(folder, subgraph_urls)
    services = [
        launch_router(folder, supergraph),
        launch_apollo(folder, supergraph, node),
    ]
    try:
        ours, apollo = (ready(service) for service in services)
        yield ours.url, apollo.url
    finally:
        stop_all(services)


@pytest.fixture(scope="module")
def mutation_gateways(
    subgraph_urls: dict[str, str],
    node: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, str]]:
    """(our router's URL, Apollo Gateway's URL) for mutations: each gateway has a fresh
    orders subgraph of its own (``placeOrder`` numbers orders per process) and shares
    the module's other subgraphs, which mutations only read."""
    orders = start_subgraphs(("orders", "orders"))
    services: list[Service] = []
    try:
        ours_folder = tmp_path_factory.mktemp("mutations-ours")
        apollo_folder = tmp_path_factory.mktemp("mutations-apollo")
        ours_graph = write_supergraph(
            ours_folder, {**subgraph_urls, "orders": orders[0].url}
        )
        apollo_graph = write_supergraph(
            apollo_folder, {**subgraph_urls, "orders": orders[1].url}
        )
        services.append(launch_router(ours_folder, ours_graph))
        services.append(launch_apollo(apollo_folder, apollo_graph, node))
        ours, apollo = (ready(service) for service in services)
        yield ours.url, apollo.url
    finally:
        stop_all(services)
        stop_all(orders)
