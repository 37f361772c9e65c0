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
import time
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


# reviewAdded comes from reviews, the product's name from products, the author's from
# users: each event is joined on the router before the page gets it.
SUBSCRIPTION = (
    'subscription Live { reviewAdded(productUpc: "UPC-0009") '
    "{ body product { name } author { name } } }"
)
SUBSCRIPTIONS_ON = """
subscription:
  enabled: true
  mode:
    passthrough:
      all: { protocol: graphql_transport_ws }
"""


def test_the_explorer_shows_subscription_events_as_they_arrive(
    start_router: Callable[..., Router],
    subgraph_urls: dict[str, str],
    tmp_path: Path,
) -> None:
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright
    from support.processes import post_json
    from support.subscription_clients import WAIT, reviews_stats

    def wait_for_active(count: int) -> None:
        """Polls reviews' open subscriptions (Playwright's loop owns this thread)."""
        deadline = time.monotonic() + WAIT
        while (active := reviews_stats(reviews)["active"]) != count:
            assert time.monotonic() < deadline, f"{active} subscriptions, not {count}"
            time.sleep(0.05)

    reviews = subgraph_urls["reviews"].rsplit("/", 1)[0]
    config = write_config(tmp_path, subgraph_urls, SUBSCRIPTIONS_ON)
    config.write_text(config.read_text().replace("  introspection: false\n", ""))
    router = start_router("--config", str(config), "--dev")
    requested: list[str] = []
    problems: list[str] = []
    idle = reviews_stats(reviews)["active"]
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
            page.keyboard.type(SUBSCRIPTION)
            page.keyboard.press("Escape")
            plan = page.locator("[data-testid=plan-text]")
            plan.filter(has_text="Subscription").wait_for(timeout=TIMEOUT_MS)
            plan_text = plan.inner_text()
            page.locator(".graphiql-execute-button").click()
            # The router's subscription to reviews is open: now an event can come.
            wait_for_active(idle + 1)
            added = post_json(
                router.url,
                {
                    "query": 'mutation { addReview(productUpc: "UPC-0009", '
                    'authorId: "4", body: "Seen live.", rating: 5) { id } }'
                },
            )
            assert "errors" not in added.json(), added.body
            result = page.locator(".result-window")
            try:
                result.filter(has_text="Seen live.").wait_for(timeout=TIMEOUT_MS)
                summary = page.locator("[data-testid=run-summary]")
                summary.filter(has_text="1 event").wait_for(timeout=TIMEOUT_MS)
            finally:
                page.screenshot(path=str(tmp_path / "subscription.png"))
            shown = result.inner_text()
            # Stopping the run closes the stream, and the router the subscription.
            page.locator(".graphiql-execute-button").click()
            wait_for_active(idle)
        finally:
            browser.close()
    assert '"reviewAdded"' in shown and '"errors"' not in shown, shown
    assert shown.count('"name"') == 2, shown  # the product's and the author's
    for service in ("reviews", "products", "users"):
        assert f'Fetch(service: "{service}")' in plan_text, plan_text
    assert problems == []
    assert {urlsplit(url).hostname for url in requested} == {"127.0.0.1"}, requested
