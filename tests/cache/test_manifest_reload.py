"""`persisted_queries.hot_reload`: the manifests are watched like router.yaml; a new
list is swapped in whole, and one that does not load is reported while the list in
force keeps serving.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cache_harness import Reply, Router, apollo_manifest, apq_get, eventually

TOP = "query Top { topProducts(first: 2) { upc name } }"
ME = "query Me { me { id username } }"
UNLISTED = "query Unlisted { topProducts(first: 1) { upc } }"


def code(reply: Reply) -> str | None:
    errors = reply.json().get("errors")
    return errors[0]["extensions"]["code"] if errors else None


def test_changed_manifest_is_served_and_a_broken_one_keeps_the_last_list(
    router_with: Callable[..., Router], tmp_path: Path
) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(apollo_manifest({"top-id": TOP}), encoding="utf-8")
    router = router_with(
        "persisted_queries:\n  enabled: true\n  local_manifests: [manifest.json]\n"
        "  hot_reload: true\n  safelist:\n    enabled: true\n"
        "apq:\n  enabled: false\n",
        folder=tmp_path,
    )
    assert code(apq_get(router, "me-id")) == "PERSISTED_QUERY_NOT_IN_LIST"

    manifest.write_text(apollo_manifest({"me-id": ME}), encoding="utf-8")
    eventually(lambda: code(apq_get(router, "me-id")) is None, "new id accepted")
    assert apq_get(router, "me-id").json()["data"]["me"]["username"]
    assert code(apq_get(router, "top-id")) == "PERSISTED_QUERY_NOT_IN_LIST"

    manifest.write_text('{"format": "apollo-persisted-query-manifest",', "utf-8")
    eventually(
        lambda: (
            "persisted_queries.local_manifests[0]: not valid JSON" in router.stderr()
        ),
        "broken manifest reported",
    )
    assert "reload refused" in router.stderr()
    assert apq_get(router, "me-id").json()["data"]["me"]["username"]
    assert code(router.post({"query": UNLISTED})) == "QUERY_NOT_IN_SAFELIST"

    manifest.write_text(apollo_manifest({"top-id": TOP, "me-id": ME}), "utf-8")
    eventually(lambda: code(apq_get(router, "top-id")) is None, "fixed list served")


def test_broken_manifest_named_by_a_new_router_yaml_keeps_the_running_config(
    router_with: Callable[..., Router], tmp_path: Path
) -> None:
    (tmp_path / "good.json").write_text(apollo_manifest({"top-id": TOP}), "utf-8")
    (tmp_path / "bad.json").write_text('{"x": "query {"}', "utf-8")
    settings = (
        "persisted_queries:\n  enabled: true\n  local_manifests: [{}]\n"
        "  safelist:\n    enabled: true\napq:\n  enabled: false\n"
    )
    router = router_with(settings.format("good.json"), folder=tmp_path)
    config = tmp_path / "router.yaml"
    config.write_text(
        config.read_text("utf-8").replace("good.json", "bad.json"), "utf-8"
    )
    eventually(
        lambda: (
            'persisted_queries.local_manifests[0]: ["x"]: not valid GraphQL'
            in router.stderr()
        ),
        "broken manifest reported",
    )
    assert apq_get(router, "top-id").json()["data"]["topProducts"]
    assert code(router.post({"query": UNLISTED})) == "QUERY_NOT_IN_SAFELIST"
