"""End-to-end tests: `router serve` as a real process in front of real subgraph processes.

The five example subgraphs run once per session (`example_urls`, tests/conftest.py);
each module starts its own router on them (or on its own misbehaving subgraphs), so that
one module's hostile traffic cannot leave state behind for the next. Launchers live in
`support.processes`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from support.processes import Service, post_json, start_router, write_router_yaml

Ask = Callable[..., Any]


@pytest.fixture(scope="module")
def router(
    example_urls: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    """A router over the committed supergraph and the example subgraphs (one a module)."""
    config = write_router_yaml(
        tmp_path_factory.mktemp("router"),
        example_urls,
        "include_subgraph_errors:\n  all: true\n",
    )
    service = start_router(config)
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture(scope="module")
def ask_router(router: Service) -> Ask:
    """`ask_router(query, variables=None, operation_name=None)`: the decoded response."""

    def ask(
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> Any:
        payload: dict[str, Any] = {"query": query}
        if variables is not None:
            payload["variables"] = variables
        if operation_name is not None:
            payload["operationName"] = operation_name
        reply = post_json(router.url, payload, headers={"accept": "application/json"})
        assert reply.status == 200, reply.body
        return reply.json()

    return ask


@pytest.fixture(scope="session")
def ask_subgraph(example_urls: dict[str, str]) -> Ask:
    """`ask_subgraph(name, query, variables=None)`: `data` of a subgraph asked directly
    (asserting it reported no error)."""

    def ask(name: str, query: str, variables: dict[str, Any] | None = None) -> Any:
        reply = post_json(
            example_urls[name],
            {"query": query, "variables": variables or {}},
            headers={"accept": "application/json"},
        )
        body = reply.json()
        assert reply.status == 200 and "errors" not in body, body
        return body["data"]

    return ask
