"""The explorer over plain HTTP (router.explorer): which GETs get the page, its files'
types and caching, the config switch, introspection, and the response extensions the
page reads (`Apollo-Expose-Query-Plan`, `x-router-fetch-timings`).

The page in a real browser: test_explorer_browser.py.
"""

from __future__ import annotations

import gzip
import re
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from server_harness import Reply, Router, http, write_config

BROWSER_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
    "image/webp,*/*;q=0.8"
)
JOINED = "{ topProducts(first: 2) { name inStock reviews { body } } }"
# What the page's fetches send: CSRF lets a JSON POST through.
JSON_POST = {"content-type": "application/json", "accept": "application/json"}


@pytest.fixture(scope="module")
def explorer_router(
    subgraph_urls: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Router]:
    """`router serve` with `supergraph.explorer: true`, CSRF prevention on (default)."""
    folder = tmp_path_factory.mktemp("explorer")
    config = config_without(
        folder, subgraph_urls, "  introspection: true\n  explorer: true\n"
    )
    router = Router(["--config", str(config), "--listen", "127.0.0.1:0"], folder)
    try:
        yield router.wait_ready()
    finally:
        router.stop()


def browse(url: str, accept: str = BROWSER_ACCEPT, **headers: str) -> Reply:
    return http(url, headers={"accept": accept, **headers})


def page_assets(router: Router) -> list[str]:
    html = browse(router.url).body.decode()
    return re.findall(r'(?:src|href)="(/[^"]+)"', html)


def test_a_browser_get_gets_the_explorer_page(explorer_router: Router) -> None:
    reply = browse(explorer_router.url)
    assert reply.status == 200
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    assert reply.headers["cache-control"] == "no-cache"
    assert "connect-src 'self'" in reply.headers["content-security-policy"]
    assert b'data-endpoint="/graphql"' in reply.body


def test_a_get_with_a_query_parameter_stays_graphql(explorer_router: Router) -> None:
    url = f"{explorer_router.url}?{urllib.parse.urlencode({'query': '{ __typename }'})}"
    reply = browse(url, **{"apollo-require-preflight": "true"})
    assert reply.status == 200
    assert reply.json() == {"data": {"__typename": "Query"}}


def test_a_get_that_prefers_json_stays_graphql(explorer_router: Router) -> None:
    reply = browse(explorer_router.url, accept="application/json")
    assert reply.status == 400
    assert reply.json()["errors"][0]["extensions"]["code"] == "INVALID_GRAPHQL_REQUEST"


def test_a_post_that_accepts_only_html_is_still_refused(
    explorer_router: Router,
) -> None:
    reply = explorer_router.post({"query": "{ __typename }"}, accept="text/html")
    assert reply.status == 406


def test_assets_have_their_types_and_are_cached_for_good(
    explorer_router: Router,
) -> None:
    types = {}
    for path in page_assets(explorer_router):
        reply = http(explorer_router.base + path)
        assert reply.status == 200, path
        assert reply.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert reply.headers["x-content-type-options"] == "nosniff"
        types[path.rsplit(".", 1)[1]] = reply.headers["content-type"]
    assert types == {
        "js": "text/javascript; charset=utf-8",
        "css": "text/css; charset=utf-8",
    }


def test_assets_come_gzipped_when_accepted_and_revalidate_by_etag(
    explorer_router: Router,
) -> None:
    script = next(p for p in page_assets(explorer_router) if p.endswith(".js"))
    plain = http(explorer_router.base + script)
    zipped = http(explorer_router.base + script, headers={"accept-encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert gzip.decompress(zipped.body) == plain.body
    assert len(zipped.body) < len(plain.body) / 2
    again = http(
        explorer_router.base + script,
        headers={"if-none-match": plain.headers["etag"]},
    )
    assert (again.status, again.body) == (304, b"")


def test_unknown_asset_names_are_not_found(explorer_router: Router) -> None:
    reply = http(explorer_router.url + "/explorer/explorer.js")
    assert reply.status == 404


def test_the_schema_for_completion_is_the_api_schema(explorer_router: Router) -> None:
    reply = http(explorer_router.url + "/explorer/schema.graphql")
    assert reply.status == 200
    assert reply.headers["content-type"] == "text/plain; charset=utf-8"
    sdl = reply.body.decode()
    assert "topProducts" in sdl
    assert "join__" not in sdl


# Hosts that appear in the bundle's strings without being fetched: XML namespaces
# (React, SVG), and links in CodeMirror's, React's and markdown-it's messages and
# docs. The browser test proves that the page requests none of them, and the page's
# Content-Security-Policy (connect-src 'self') would block them anyway.
KNOWN_STRING_HOSTS = {
    "www.w3.org",
    "codemirror.net",
    "commonmark.org",
    "en.wikipedia.org",
    "github.com",
    "reactjs.org",
    "yarnpkg.com",
}


def test_the_page_and_its_stylesheet_name_no_other_host(
    explorer_router: Router,
) -> None:
    html = browse(explorer_router.url).body
    assert not re.search(rb"https?://", html)
    assert not re.search(rb"//[a-z0-9.-]+\.[a-z]{2,}", html)
    for path in page_assets(explorer_router):
        body = http(explorer_router.base + path).body
        if path.endswith(".css"):
            assert not re.search(rb"url\(\s*['\"]?(https?:)?//", body), path
            assert b"@import" not in body
        else:
            hosts = set(re.findall(rb"https?://([a-zA-Z0-9.-]+)", body))
            assert {h.decode() for h in hosts} <= KNOWN_STRING_HOSTS


def test_plans_are_exposed_to_the_explorer(explorer_router: Router) -> None:
    reply = explorer_router.post(
        {"query": JOINED},
        headers={**JSON_POST, "apollo-expose-query-plan": "true"},
    )
    plan = reply.json()["extensions"]["apolloQueryPlan"]
    assert 'Fetch(service: "inventory")' in plan["text"]
    assert plan["object"]["kind"] == "QueryPlan"


def test_fetch_timings_only_when_asked(explorer_router: Router) -> None:
    plain = explorer_router.post({"query": JOINED}, headers=JSON_POST).json()
    assert "extensions" not in plain
    timed = explorer_router.post(
        {"query": JOINED}, headers={**JSON_POST, "x-router-fetch-timings": "true"}
    ).json()
    fetches = timed["extensions"]["routerFetchTimings"]
    assert {f["subgraph"] for f in fetches} >= {"products", "inventory", "reviews"}
    for fetch in fetches:
        assert fetch["status"] == 200
        assert fetch["durationMs"] >= 0 and fetch["startMs"] >= 0
        assert fetch["requestBytes"] > 0 and fetch["responseBytes"] > 0
    starts = [f["startMs"] for f in fetches]
    assert starts == sorted(starts)


def config_without(folder: Path, urls: dict[str, str], supergraph: str) -> Path:
    """router.yaml with the `supergraph` section given, nothing about the explorer
    unless it says so."""
    path = write_config(folder, urls)
    text = path.read_text().replace("  introspection: false\n", supergraph)
    path.write_text(text)
    return path


def test_serve_has_no_explorer_by_default_and_says_how_to_turn_it_on(
    start_router: Callable[..., Router],
    subgraph_urls: dict[str, str],
    tmp_path: Path,
) -> None:
    config = config_without(tmp_path, subgraph_urls, "  introspection: true\n")
    router = start_router("--config", str(config))
    reply = browse(router.url)
    assert reply.status == 406
    message = reply.json()["errors"][0]["message"]
    assert "supergraph.explorer: true" in message
    assert http(router.url + "/explorer/schema.graphql").status == 404
    # Plans stay private without the explorer or plugins.experimental.expose_query_plan.
    body = router.post(
        {"query": JOINED},
        headers={
            **JSON_POST,
            "apollo-expose-query-plan": "true",
            "x-router-fetch-timings": "true",
        },
    ).json()
    assert "extensions" not in body


def test_dev_serves_the_explorer_and_introspection_by_default(
    start_router: Callable[..., Router],
    subgraph_urls: dict[str, str],
    tmp_path: Path,
) -> None:
    config = config_without(tmp_path, subgraph_urls, "")
    router = start_router("--config", str(config), "--dev")
    assert browse(router.url).status == 200
    schema = router.post(
        {"query": "{ __schema { queryType { name } } }"}, headers=JSON_POST
    ).json()
    assert schema == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


def test_dev_with_introspection_off_serves_no_explorer(
    start_router: Callable[..., Router],
    subgraph_urls: dict[str, str],
    tmp_path: Path,
) -> None:
    config = config_without(tmp_path, subgraph_urls, "  introspection: false\n")
    router = start_router("--config", str(config), "--dev")
    assert browse(router.url).status == 406
    assert http(router.url + "/explorer/schema.graphql").status == 404


def test_an_explicit_explorer_with_introspection_off_serves_page_and_schema(
    start_router: Callable[..., Router],
    subgraph_urls: dict[str, str],
    tmp_path: Path,
) -> None:
    config = config_without(
        tmp_path, subgraph_urls, "  introspection: false\n  explorer: true\n"
    )
    router = start_router("--config", str(config))
    assert browse(router.url).status == 200
    assert b"topProducts" in http(router.url + "/explorer/schema.graphql").body
    refused = router.post(
        {"query": "{ __schema { types { name } } }"}, headers=JSON_POST
    )
    assert refused.json()["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"
