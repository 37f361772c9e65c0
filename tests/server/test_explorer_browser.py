"""The explorer in a real browser: headless Chromium types an operation joined across
subgraphs, runs it, and sees the data, the plan and the fetch timings, with no request
leaving 127.0.0.1; then an operation with `@defer`, whose parts it merges as they come.

`router serve --dev` (what `router dev` starts) in front of the example subgraphs, CSRF
prevention on. A screenshot goes to the test's tmp_path, and to $EXPLORER_SCREENSHOT
when set.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from server_harness import Router, write_config
from support.browser import CHROMIUM_ARGS, require_chromium

# inStock comes from inventory, reviews from reviews, the rest from products.
OPERATION = "query Joined { topProducts(first: 2) { name inStock reviews { body } } }"
# restockDate (inventory) in a deferred part: the router streams it as multipart.
DEFERRED = (
    "query Deferred { topProducts(first: 2) { name ... @defer { restockDate } } }"
)
TIMEOUT_MS = 30_000


def test_the_explorer_runs_a_joined_operation_and_shows_its_plan(
    start_router: Callable[..., Router],
    subgraph_urls: dict[str, str],
    tmp_path: Path,
) -> None:
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    config = write_config(tmp_path, subgraph_urls)
    config.write_text(config.read_text().replace("  introspection: false\n", ""))
    router = start_router("--config", str(config), "--dev")
    requested: list[str] = []
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            context.on("request", lambda request: requested.append(request.url))
            page = context.new_page()
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.goto(router.url)
            editor = page.locator(".graphiql-query-editor .CodeMirror").first
            editor.wait_for(timeout=TIMEOUT_MS)
            editor.click()
            page.keyboard.press("Control+A")
            page.keyboard.press("Delete")
            page.keyboard.type(OPERATION)
            page.keyboard.press("Escape")  # close a completion list, if one is open
            typed = page.evaluate(
                "document.querySelector('.graphiql-query-editor .CodeMirror')"
                ".CodeMirror.getValue()"
            )
            assert " ".join(typed.split()) == OPERATION
            page.locator(".graphiql-execute-button").click()
            rows = page.locator("[data-testid=fetch-timings] tbody tr")
            try:
                rows.nth(2).wait_for(timeout=TIMEOUT_MS)
            finally:
                page.screenshot(path=str(tmp_path / "explorer.png"))
            result = page.locator(".result-window").inner_text()
            plan = page.locator("[data-testid=plan-text]").inner_text()
            timings = rows.all_inner_texts()
            page.locator(".plan-tabs button", has_text="tree").click()
            tree = page.locator("[data-testid=plan-tree]").inner_text()
            page.screenshot(path=str(tmp_path / "explorer.png"))
            if os.environ.get("EXPLORER_SCREENSHOT"):
                shutil.copy(
                    tmp_path / "explorer.png", os.environ["EXPLORER_SCREENSHOT"]
                )
            # A deferred operation: the parts stream in and GraphiQL merges them.
            editor.click()
            page.keyboard.press("Control+A")
            page.keyboard.press("Delete")
            page.keyboard.type(DEFERRED)
            page.keyboard.press("Escape")
            page.locator(".graphiql-execute-button").click()
            summary = page.locator("[data-testid=run-summary]")
            summary.filter(has_text="2 @defer parts").wait_for(timeout=TIMEOUT_MS)
            deferred_result = page.locator(".result-window").inner_text()
        finally:
            browser.close()
    assert '"inStock"' in result and '"body"' in result, result
    assert '"errors"' not in result, result
    for service in ("products", "inventory", "reviews"):
        assert f'Fetch(service: "{service}")' in plan, plan
        assert any(row.startswith(service) for row in timings), timings
    assert "Flatten" in tree and "inventory" in tree, tree
    assert '"restockDate"' in deferred_result and '"name"' in deferred_result
    assert '"hasNext"' not in deferred_result, deferred_result
    assert problems == []
    assert requested, "the page made no request"
    assert {urlsplit(url).hostname for url in requested} == {"127.0.0.1"}, requested
