"""The shipped example plugins (`examples/plugins/`) end to end: loaded from router.yaml
by `router serve`, in front of the real example subgraphs, driven over HTTP."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from plugin_harness import (
    REPO,
    AuthService,
    ExtensionsProxy,
    auth_service,
    extensions_proxy,
)
from policy_harness import RecordingProxy, Router, post, proxy_for, start_router

ME = "{ me { id } }"
TOP_PRODUCTS = "{ topProducts(first: 1) { upc name } }"
CONSUMERS = {"key-42": ("c-42", "pro"), "key-7": ("c-7", "free")}


def _auth_yaml(auth_url: str) -> str:
    return f"""
plugins:
  examples.plugins.custom_auth:
    auth_url: {auth_url}
    header: X-Api-Key
    timeout: 2s
"""


@pytest.fixture(scope="module", autouse=True)
def examples_importable() -> Iterator[None]:
    """The routers started here import `examples.plugins` from the repository, as one
    run from a checkout with `PYTHONPATH=.` does."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(
            "PYTHONPATH",
            os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        )
        yield


@pytest.fixture(scope="module")
def auth() -> Iterator[AuthService]:
    with auth_service(CONSUMERS) as service:
        yield service


@pytest.fixture(scope="module")
def products(subgraphs: dict[str, str]) -> Iterator[RecordingProxy]:
    """The products subgraph, recording the headers it receives."""
    with proxy_for(subgraphs["products"], []) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def auth_router(
    subgraphs: dict[str, str],
    auth: AuthService,
    products: RecordingProxy,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Router]:
    router = start_router(
        tmp_path_factory.mktemp("auth"),
        {**subgraphs, "products": products.url},
        _auth_yaml(auth.url),
    )
    yield router
    router.stop()


def _code(reply_body: dict[str, object]) -> object:
    errors = reply_body["errors"]
    assert isinstance(errors, list)
    return errors[0]["extensions"]["code"]


def test_custom_auth_refuses_a_request_without_a_key_with_401(
    auth_router: Router, auth: AuthService, products: RecordingProxy
) -> None:
    asked, fetched = len(auth.keys), len(products.recorded.headers)
    reply = post(auth_router, TOP_PRODUCTS)
    assert reply.status == 401
    assert _code(reply.json()) == "UNAUTHENTICATED"
    # Neither the auth service nor any subgraph heard of it.
    assert (len(auth.keys), len(products.recorded.headers)) == (asked, fetched)


def test_custom_auth_answers_403_when_the_service_refuses_the_key(
    auth_router: Router, auth: AuthService, products: RecordingProxy
) -> None:
    fetched = len(products.recorded.headers)
    reply = post(auth_router, TOP_PRODUCTS, headers={"X-Api-Key": "stolen"})
    assert reply.status == 403
    assert _code(reply.json()) == "FORBIDDEN"
    assert auth.keys[-1] == "stolen"
    assert len(products.recorded.headers) == fetched


def test_custom_auth_forwards_the_consumer_id_and_plan_to_subgraphs(
    auth_router: Router, products: RecordingProxy
) -> None:
    reply = post(auth_router, TOP_PRODUCTS, headers={"X-Api-Key": "key-42"})
    assert reply.status == 200, reply.body
    assert reply.json()["data"]["topProducts"][0]["upc"]
    seen = products.last()
    assert (seen["x-consumer-id"], seen["x-consumer-plan"]) == ("c-42", "pro")
    assert "x-api-key" not in seen  # the key itself stays at the router

    reply = post(auth_router, TOP_PRODUCTS, headers={"X-Api-Key": "key-7"})
    assert reply.status == 200
    seen = products.last()
    assert (seen["x-consumer-id"], seen["x-consumer-plan"]) == ("c-7", "free")


def test_custom_auth_answers_503_when_the_auth_service_is_down(
    subgraphs: dict[str, str], router_with: Callable[..., Router]
) -> None:
    with (
        auth_service(CONSUMERS) as service,
        proxy_for(subgraphs["products"], []) as products,
    ):
        router = router_with(_auth_yaml(service.url), {"products": products.url})
        assert post(router, TOP_PRODUCTS, headers={"X-Api-Key": "key-42"}).status == 200
        fetched = len(products.recorded.headers)
        service.stop()
        reply = post(router, TOP_PRODUCTS, headers={"X-Api-Key": "key-42"})
        assert reply.status == 503
        assert _code(reply.json()) == "AUTH_SERVICE_UNAVAILABLE"
        assert len(products.recorded.headers) == fetched  # failed closed


@pytest.fixture(scope="module")
def served_by(subgraphs: dict[str, str]) -> Iterator[ExtensionsProxy]:
    """The products subgraph, each answer saying which instance served it."""
    with extensions_proxy(
        subgraphs["products"], {"servedBy": "products-eu-1"}
    ) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def extension_router(
    subgraphs: dict[str, str],
    served_by: ExtensionsProxy,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Router]:
    yaml = """
plugins:
  examples.plugins.subgraph_extension_header:
    extension: servedBy
    header: X-Served-By
"""
    router = start_router(
        tmp_path_factory.mktemp("extension"),
        {**subgraphs, "products": served_by.url},
        yaml,
    )
    yield router
    router.stop()


def test_a_subgraph_extension_becomes_a_client_response_header(
    extension_router: Router,
) -> None:
    reply = post(extension_router, TOP_PRODUCTS)
    assert reply.status == 200, reply.body
    assert reply.json()["data"]["topProducts"][0]["upc"]
    assert reply.headers["x-served-by"] == "products-eu-1"


def test_no_header_when_no_subgraph_answer_carries_the_extension(
    extension_router: Router, served_by: ExtensionsProxy
) -> None:
    fetched = served_by.requests
    reply = post(extension_router, ME)  # the users subgraph alone
    assert reply.status == 200, reply.body
    assert served_by.requests == fetched
    assert "x-served-by" not in reply.headers
