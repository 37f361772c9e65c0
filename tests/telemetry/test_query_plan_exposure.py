"""`Apollo-Expose-Query-Plan: true | dry-run`, behind Apollo Router's
`plugins: {experimental.expose_query_plan: true}`."""

from __future__ import annotations

from collections.abc import Callable

from telemetry_harness import RecordingProxy, Router

JOIN = "query Join { topProducts(first: 1) { name reviews { body } } }"
ENABLED = "plugins:\n  experimental.expose_query_plan: true\n"


def test_exposed_plan_comes_as_text_and_json_beside_the_data(
    proxies: dict[str, RecordingProxy], shared_router: Callable[[str], Router]
) -> None:
    router = shared_router(ENABLED)
    body = router.post(
        {"query": JOIN}, headers={"apollo-expose-query-plan": "true"}
    ).json()
    assert body["data"]["topProducts"][0]["reviews"]
    plan = body["extensions"]["apolloQueryPlan"]
    assert plan["text"].startswith("QueryPlan {\n  Sequence {\n")
    assert 'Fetch(service: "reviews")' in plan["text"]
    assert plan["object"]["kind"] == "QueryPlan"
    assert plan["object"]["node"]["kind"] == "Sequence"
    services = [
        node.get("serviceName") or node["node"]["serviceName"]
        for node in plan["object"]["node"]["nodes"]
    ]
    assert services == ["products", "reviews"]


def test_dry_run_plans_without_calling_subgraphs(
    proxies: dict[str, RecordingProxy], shared_router: Callable[[str], Router]
) -> None:
    router = shared_router(ENABLED)
    reply = router.post(
        {"query": JOIN}, headers={"apollo-expose-query-plan": "dry-run"}
    )
    assert reply.status == 200
    body = reply.json()
    assert "data" not in body
    assert body["extensions"]["apolloQueryPlan"]["text"].startswith("QueryPlan {")
    assert all(not proxy.requests for proxy in proxies.values())


def test_the_header_does_nothing_unless_enabled(
    proxies: dict[str, RecordingProxy], shared_router: Callable[[str], Router]
) -> None:
    router = shared_router("")
    for value in ("true", "dry-run"):
        body = router.post(
            {"query": JOIN}, headers={"apollo-expose-query-plan": value}
        ).json()
        assert "extensions" not in body
        assert body["data"]["topProducts"]
