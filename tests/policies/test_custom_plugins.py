"""A team's own plugins beside its router.yaml, through `router serve` over HTTP: a hook
that raises costs its request alone, the execution hook sees the plan, and plugin
configs hot reload with the rest of router.yaml (a bad one is refused, the old config
keeps serving)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from plugin_harness import wait_for, wait_for_log, write_team_plugins
from policy_harness import Router, post, start_router

TOP_PRODUCTS = "{ topProducts(first: 1) { upc name } }"
PRODUCTS_THEN_REVIEWS = "{ topProducts(first: 1) { upc reviews { body } } }"
ME = "{ me { id } }"
SECRET = "hunter2"  # what the failing plugin's exception says


@pytest.fixture(scope="module")
def failing_router(
    subgraphs: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Router]:
    folder = tmp_path_factory.mktemp("failing")
    module = write_team_plugins(folder)
    yaml = f"plugins:\n  {module}.Failing: {{}}\n  {module}.Planned:\n"
    router = start_router(folder, subgraphs, yaml)
    yield router
    router.stop()


def _assert_served(router: Router) -> None:
    reply = post(router, TOP_PRODUCTS)
    assert reply.status == 200, reply.body
    assert reply.json()["data"]["topProducts"][0]["upc"]


@pytest.mark.parametrize("stage", ["router", "supergraph", "execution"])
def test_a_plugin_raising_in_a_hook_gets_the_client_a_coded_500_and_the_router_serves_on(
    failing_router: Router, stage: str
) -> None:
    reply = post(failing_router, TOP_PRODUCTS, headers={"X-Fail": stage})
    assert reply.status == 500
    body = reply.json()
    assert body["errors"] == [
        {
            "message": "A router plugin failed while handling this request",
            "extensions": {"code": "PLUGIN_ERROR"},
        }
    ]
    text = reply.body.decode()
    assert SECRET not in text and "Traceback" not in text and "team_plugins" not in text
    # The operator sees what happened, in the router's log.
    wait_for_log(
        failing_router, f"plugin team_plugins.Failing failed in its {stage} hook"
    )
    assert f"{SECRET} ({stage} hook)" in failing_router.stderr()
    _assert_served(failing_router)


def test_a_plugin_raising_in_its_subgraph_hook_fails_that_fetch_alone(
    failing_router: Router,
) -> None:
    reply = post(failing_router, TOP_PRODUCTS, headers={"X-Fail": "subgraph"})
    body = reply.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "PLUGIN_ERROR"
    assert error["extensions"]["serviceName"] == "products"
    assert error["message"] == "A router plugin failed while handling this request"
    assert SECRET not in reply.body.decode()
    wait_for_log(
        failing_router, "plugin team_plugins.Failing failed in its subgraph (products)"
    )
    _assert_served(failing_router)


def test_an_execution_hook_sees_the_query_plan(failing_router: Router) -> None:
    assert post(failing_router, ME).headers["x-plan-fetches"] == "1"
    reply = post(failing_router, PRODUCTS_THEN_REVIEWS)
    assert reply.status == 200, reply.body
    assert reply.headers["x-plan-fetches"] == "2"


def _greeter(folder: Path, greeting: str, key: str = "greeting") -> str:
    journal = folder / "journal.txt"
    return (
        "plugins:\n  team_plugins.Greeter:\n"
        f"    {key}: {greeting}\n    journal: {journal}\n"
    )


def _greeting(router: Router) -> str | None:
    reply = post(router, ME)
    assert reply.status == 200, reply.body
    return reply.headers.get("x-greeting")


def _journal(folder: Path) -> list[str]:
    path = folder / "journal.txt"
    return path.read_text("utf-8").splitlines() if path.exists() else []


def test_a_reload_with_a_bad_plugin_config_keeps_the_old_config_serving(
    router_with: Callable[..., Router], tmp_path: Path
) -> None:
    write_team_plugins(tmp_path)
    router = router_with(_greeter(tmp_path, "hello"), folder=tmp_path)
    assert _greeting(router) == "hello"
    config = tmp_path / "router.yaml"
    config.write_text(
        config.read_text("utf-8").replace("greeting: hello", "greting: bonjour"),
        "utf-8",
    )
    wait_for_log(router, "plugins.team_plugins.Greeter.greting: unknown key")
    assert (
        "reload refused, still serving the previous config and schema"
        in router.stderr()
    )
    assert _greeting(router) == "hello"
    assert _journal(tmp_path) == ["startup hello"]  # nothing else was started


def test_a_reload_with_a_changed_plugin_config_applies_it_and_restarts_the_plugin(
    router_with: Callable[..., Router], tmp_path: Path
) -> None:
    write_team_plugins(tmp_path)
    router = router_with(_greeter(tmp_path, "hello"), folder=tmp_path)
    assert _greeting(router) == "hello"
    config = tmp_path / "router.yaml"
    config.write_text(
        config.read_text("utf-8").replace("greeting: hello", "greeting: bonjour"),
        "utf-8",
    )
    wait_for(lambda: _greeting(router) == "bonjour", "the new greeting is served")
    # The new instance started before it served; the replaced one shut down after
    # its last request.
    wait_for(lambda: "shutdown hello" in _journal(tmp_path), "the old one shut down")
    assert _journal(tmp_path) == ["startup hello", "startup bonjour", "shutdown hello"]
