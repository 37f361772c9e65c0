"""What the executor sends: deduplicated representations, only the used variables, no
fetch for a branch a Condition turns off. A recording proxy in front of the real subgraph
keeps every request it forwards."""

from __future__ import annotations

from typing import Any


async def test_identical_representations_are_sent_once_and_fanned_back(
    run_case: Any, make_client: Any, recording_proxy: Any, subgraph_urls: dict[str, str]
) -> None:
    url, requests = await recording_proxy(subgraph_urls["users"])
    client = make_client(users={"url": url})

    response = await run_case("dedup_authors", subgraph_client=client)

    reviews = response["data"]["latestReviews"]
    author_ids = [review["author"]["id"] for review in reviews]
    assert len(set(author_ids)) < len(author_ids), "the case needs a repeated author"
    (request,) = requests
    sent = request["variables"]["representations"]
    assert sorted(r["id"] for r in sent) == sorted(set(author_ids))
    assert all(r == {"__typename": "User", "id": r["id"]} for r in sent)
    names = {r["author"]["id"]: r["author"]["name"] for r in reviews}
    for review in reviews:
        assert review["author"]["name"] == names[review["author"]["id"]]
        assert review["author"]["name"]


async def test_fetches_receive_only_the_variables_they_use(
    run_case: Any, make_client: Any, recording_proxy: Any, subgraph_urls: dict[str, str]
) -> None:
    products_url, to_products = await recording_proxy(subgraph_urls["products"])
    inventory_url, to_inventory = await recording_proxy(subgraph_urls["inventory"])
    client = make_client(
        products={"url": products_url}, inventory={"url": inventory_url}
    )

    await run_case(
        "variables",
        {"n": 2, "upc": "UPC-0005", "unused": 1},
        subgraph_client=client,
    )

    assert [r["variables"] for r in to_products] == [{"n": 2, "upc": "UPC-0005"}]
    # The two inventory fetches run in parallel and go out as one batch
    # (test_entity_batching.py); neither member carries a client variable.
    (batch,) = to_inventory
    assert list(batch["variables"]) == ["r0", "r1"]


async def test_condition_off_sends_no_fetch_for_the_branch(
    run_case: Any, make_client: Any, recording_proxy: Any, subgraph_urls: dict[str, str]
) -> None:
    reviews_url, to_reviews = await recording_proxy(subgraph_urls["reviews"])
    client = make_client(reviews={"url": reviews_url})

    await run_case(
        "skip_include",
        {"withReviews": False, "hideName": False},
        subgraph_client=client,
    )
    assert to_reviews == []

    await run_case(
        "skip_include", {"withReviews": True, "hideName": False}, subgraph_client=client
    )
    assert len(to_reviews) == 1
