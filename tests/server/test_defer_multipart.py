"""Incremental delivery of `@defer` over HTTP: `router serve` streams
`multipart/mixed;deferSpec=20220824` to a client that accepts it, in Apollo Router's
framing, each deferred part as soon as it is done. Issue 16.

Timing is observed, never slept: a fake subgraph in this process holds its answer until
the test opens a gate, so "the first part arrived before the slow subgraph answered" is
a fact the test sees, whatever the machine's speed.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from multipart_harness import ACCEPT, CONTENT_TYPE, WAIT, Stream
from server_harness import REPO, Router, write_config
from server_harness import http as http_request
from support.oracle import require_oracle


class FakeSubgraph:
    """A subgraph stand-in on loopback, in front of the real one (`upstream`).

    Each request waits for `gate` (open unless a test closes it) and sets `asked` on
    arrival; it is then passed to the upstream subgraph, unless a test set `fields`
    (each representation answered with them) or `failing` (HTTP 500)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.gate = threading.Event()
        self.asked = threading.Event()
        self.reset()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                raw = self.rfile.read(length)
                fake.asked.set()
                fake.gate.wait(WAIT)
                status, body = fake.answer(raw)
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/graphql"

    def reset(self) -> None:
        self.fields: dict[str, Any] | None = None
        self.failing = False
        self.asked.clear()
        self.gate.set()

    def answer(self, raw: bytes) -> tuple[int, bytes]:
        if self.failing:
            return 500, b'{"message": "down"}'
        if self.fields is None:
            reply = http_request(
                self.upstream,
                raw,
                method="POST",
                headers={"content-type": "application/json"},
            )
            return reply.status, reply.body
        representations = json.loads(raw).get("variables", {}).get("representations")
        entities = [
            {"__typename": r["__typename"], **self.fields}
            for r in representations or ()
        ]
        return 200, json.dumps({"data": {"_entities": entities}}).encode()

    def stop(self) -> None:
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def stand_ins(subgraph_urls: dict[str, str]) -> Iterator[dict[str, FakeSubgraph]]:
    """Reviews and inventory behind stand-ins the tests can hold or break."""
    made = {
        name: FakeSubgraph(subgraph_urls[name]) for name in ("reviews", "inventory")
    }
    yield made
    for fake in made.values():
        fake.stop()


@pytest.fixture(scope="module")
def router(
    subgraph_urls: dict[str, str],
    stand_ins: dict[str, FakeSubgraph],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Router]:
    """A router over the example subgraphs, reviews and inventory behind stand-ins."""
    folder = tmp_path_factory.mktemp("defer-multipart")
    urls = {**subgraph_urls, **{name: f.url for name, f in stand_ins.items()}}
    config = write_config(
        folder,
        urls,
        "include_subgraph_errors:\n  all: true\n"
        "telemetry:\n  exporters:\n    logging:\n      stdout:\n        enabled: true\n",
    )
    started = Router(["--config", str(config), "--listen", "127.0.0.1:0"], folder)
    try:
        yield started.wait_ready()
    finally:
        started.stop()


@pytest.fixture
def fakes(stand_ins: dict[str, FakeSubgraph]) -> Iterator[dict[str, FakeSubgraph]]:
    yield stand_ins
    for fake in stand_ins.values():
        fake.reset()


def test_first_part_arrives_before_the_deferred_subgraph_answers(
    router: Router, fakes: dict[str, FakeSubgraph]
) -> None:
    fakes["inventory"].fields = {"inStock": True}
    fakes["inventory"].gate.clear()
    stream = Stream(
        router.url, "{ topProducts(first: 2) { name ... @defer { inStock } } }"
    )
    assert stream.response.status == 200
    assert stream.response.getheader("content-type") == CONTENT_TYPE
    first = stream.next_part()
    # The gate is still closed: the first part came without the inventory answer.
    assert not fakes["inventory"].gate.is_set()
    assert first is not None
    assert first["hasNext"] is True
    assert [set(p) for p in first["data"]["topProducts"]] == [{"name"}, {"name"}]
    fakes["inventory"].gate.set()
    later = stream.rest()
    assert later[-1]["hasNext"] is False
    items = [item for payload in later for item in payload.get("incremental", ())]
    assert [item["path"] for item in items] == [["topProducts", 0], ["topProducts", 1]]
    assert all(item["data"] == {"inStock": True} for item in items)
    assert stream.raw.startswith(
        b"\r\n--graphql\r\ncontent-type: application/json\r\n\r\n{"
    )
    assert stream.raw.endswith(b"}\r\n--graphql--\r\n")


def test_deferred_part_starts_while_the_primary_part_still_runs(
    router: Router, fakes: dict[str, FakeSubgraph]
) -> None:
    fakes["reviews"].fields = {"reviews": [{"body": "slow"}]}
    fakes["reviews"].gate.clear()
    fakes["inventory"].fields = {"inStock": False}
    stream = Stream(
        router.url,
        "{ topProducts(first: 2) { name reviews { body } ... @defer { inStock } } }",
    )
    # The deferred part's only input is the products fetch: its inventory fetch goes
    # out while the primary part waits for reviews.
    assert fakes["inventory"].asked.wait(WAIT)
    assert not fakes["reviews"].gate.is_set()
    fakes["reviews"].gate.set()
    first = stream.next_part()
    assert first is not None
    assert first["data"]["topProducts"][0]["reviews"] == [{"body": "slow"}]
    (later,) = stream.rest()
    assert later == {
        "hasNext": False,
        "incremental": [
            {"data": {"inStock": False}, "path": ["topProducts", 0]},
            {"data": {"inStock": False}, "path": ["topProducts", 1]},
        ],
    }


def access_log_line(router: Router, request_id: str) -> dict[str, Any]:
    """The router's access-log line (stdout) for the request with this id."""
    stdout = router.process.stdout
    assert stdout is not None
    os.set_blocking(stdout.fileno(), False)
    seen = b""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            chunk = stdout.read1(65536)  # what the harness's reader kept comes first
        except BlockingIOError:
            chunk = None
        if chunk == b"":
            break
        if chunk is None:
            select.select([stdout], [], [], deadline - time.monotonic())
            continue
        seen += chunk
        for line in seen.splitlines():
            if line.startswith(b"{") and request_id.encode() in line:
                record: dict[str, Any] = json.loads(line)
                if record.get("request_id") == request_id:
                    return record
    raise AssertionError(f"no access-log line for {request_id}")


def test_errors_in_a_deferred_part_stay_in_that_part(
    router: Router, fakes: dict[str, FakeSubgraph]
) -> None:
    fakes["inventory"].failing = True
    payloads = Stream(
        router.url,
        '{ product(upc: "UPC-0001") { name ... @defer(label: "stock") { inStock } } }',
        headers={"x-request-id": "deferred-error-1"},
    ).rest()
    first, later = payloads
    assert first == {
        "data": {"product": {"name": first["data"]["product"]["name"]}},
        "hasNext": True,
    }
    (item,) = later["incremental"]
    assert later["hasNext"] is False
    # inStock is non-null: its null takes the deferred object, not the product.
    assert item["label"] == "stock"
    assert item["path"] == ["product"]
    assert item["data"] is None
    (error,) = item["errors"]
    assert error["extensions"]["serviceName"] == "inventory"
    # The access log line is written when the stream ends: it has the part's error.
    logged = access_log_line(router, "deferred-error-1")
    assert logged["status"] == 200
    assert logged["error_codes"] == [error["extensions"]["code"]]


def test_deferred_part_under_an_alias_named_like_a_key_has_the_clients_paths(
    router: Router, fakes: dict[str, FakeSubgraph]
) -> None:
    """`upc: product(...)`: the planner fetches the alias under another name (`upc`
    keys Product); the item's path and its error's path name the client's alias."""
    fakes["inventory"].failing = True
    stream = Stream(
        router.url,
        '{ upc: product(upc: "UPC-0001") { name ... @defer(label: "stock") '
        "{ inStock } } }",
    )
    first, later = stream.rest()
    assert first == {
        "data": {"upc": {"name": first["data"]["upc"]["name"]}},
        "hasNext": True,
    }
    (item,) = later["incremental"]
    assert item["path"] == ["upc"]
    assert item["data"] is None
    (error,) = item["errors"]
    assert error["extensions"]["serviceName"] == "inventory"
    assert error["path"][0] == "upc", error
    assert b"__client_alias" not in stream.raw


def test_nested_defers_in_lists_arrive_with_their_labels_and_paths(
    router: Router,
) -> None:
    payloads = Stream(
        router.url,
        '{ topProducts(first: 2) { upc ... @defer(label: "outer") { name '
        'reviews { body ... @defer(label: "inner") { author { name } } } } } }',
    ).rest()
    first, *later = payloads
    assert [set(p) for p in first["data"]["topProducts"]] == [{"upc"}, {"upc"}]
    items = [item for payload in later for item in payload["incremental"]]
    outer = [i for i in items if i["label"] == "outer"]
    inner = [i for i in items if i["label"] == "inner"]
    assert [i["path"] for i in outer] == [["topProducts", 0], ["topProducts", 1]]
    assert all(set(i["data"]) == {"name", "reviews"} for i in outer)
    # One inner item per review, after the outer item that holds the review.
    expected = [
        ["topProducts", n, "reviews", r]
        for n, product in enumerate(i["data"] for i in outer)
        for r in range(len(product["reviews"]))
    ]
    assert sorted(i["path"] for i in inner) == expected
    assert all(set(i["data"]) == {"author"} for i in inner)
    assert items.index(inner[0]) > items.index(outer[-1])
    assert [p["hasNext"] for p in later] == [True] * (len(later) - 1) + [False]


def test_operations_without_an_active_defer_answer_json(router: Router) -> None:
    for query, variables in (
        ('{ product(upc: "UPC-0001") { name } }', None),
        ('{ product(upc: "UPC-0001") { name ... @defer(if: false) { upc } } }', None),
        (
            'query($d: Boolean!) { product(upc: "UPC-0001") { ... @defer(if: $d) '
            "{ upc } } }",
            {"d": False},
        ),
    ):
        payload: dict[str, Any] = {"query": query, "variables": variables}
        for accept in (ACCEPT, "multipart/mixed;deferSpec=20220824"):
            reply = router.post(payload, accept=accept)
            assert reply.status == 200
            assert reply.headers["content-type"] == "application/json; charset=utf-8"
            assert "hasNext" not in reply.json()
            assert reply.json()["data"]["product"]


def test_apollo_client_reads_the_stream(
    router: Router, fakes: dict[str, FakeSubgraph]
) -> None:
    """Apollo Client's own multipart reader (HttpLink with its Defer20220824Handler,
    from npm) emits the first part while the deferred subgraph is held, then the
    completed result."""
    node = require_oracle()
    if not (REPO / "oracle" / "node_modules" / "@apollo" / "client").is_dir():
        pytest.skip("oracle/node_modules/@apollo/client is missing: run `make oracle`")
    fakes["inventory"].fields = {"inStock": True}
    fakes["inventory"].gate.clear()
    query = (
        'query Stock { product(upc: "UPC-0001") { upc name '
        '... @defer(label: "stock") { inStock } } }'
    )
    script = REPO / "oracle" / "apollo_client_defer.mjs"
    client = subprocess.Popen(
        [node, str(script), "--url", router.url, "--query", query],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert client.stdout is not None
        first = json.loads(client.stdout.readline() or "null")
        assert first is not None, client.stderr.read() if client.stderr else ""
        # Still held: what the client shows came from the first part alone.
        assert not fakes["inventory"].gate.is_set()
        assert first["result"]["dataState"] == "streaming"
        product = first["result"]["data"]["product"]
        assert product["upc"] == "UPC-0001"
        assert "inStock" not in product
        fakes["inventory"].gate.set()
        done = json.loads(client.stdout.readline())
        assert done["result"]["dataState"] == "complete"
        assert done["result"]["data"]["product"] == {**product, "inStock": True}
        (exchange,) = json.loads(client.stdout.readline())["exchanges"]
        assert "multipart/mixed;deferSpec=20220824" in exchange["accept"]
        assert exchange["contentType"] == CONTENT_TYPE
        assert client.wait(WAIT) == 0
    finally:
        fakes["inventory"].gate.set()
        if client.poll() is None:
            client.kill()
            client.wait()


def test_defer_if_variables_past_the_cap_are_delivered_inline(router: Router) -> None:
    """Each `@defer(if: $v)` variable doubles the plans; past four, the fragments come
    in the first payload (a server may always not defer), and every field still comes."""
    count = 6
    declared = ", ".join(f"$v{n}: Boolean!" for n in range(count))
    fragments = " ".join(
        f'... @defer(if: $v{n}, label: "d{n}") {{ f{n}: name }}' for n in range(count)
    )
    query = (
        f'query Six({declared}) {{ product(upc: "UPC-0001") {{ upc {fragments} }} }}'
    )
    variables = {f"v{n}": True for n in range(count)}
    first, *later = Stream(router.url, query, variables=variables).rest()
    product = first["data"]["product"]
    items = [item for payload in later for item in payload["incremental"]]
    # The first four are deferred; the fifth and sixth came inline.
    assert sorted(i["label"] for i in items) == ["d0", "d1", "d2", "d3"]
    assert set(product) == {"upc", "f4", "f5"}
    name = product["f4"]
    assert all(i["data"] == {f"f{i['label'][1]}": name} for i in items)
    assert later[-1]["hasNext"] is False
