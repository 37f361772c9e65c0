"""Hostile input against `router serve`: every case gets a clear, coded 4xx (or a
correct answer), fast, and leaves the router serving.

Requests go over raw sockets (`support.raw_http`) so that malformed HTTP, invalid UTF-8,
lying Content-Lengths and slow bodies reach the server exactly as written. For every
case: no 5xx; every GraphQL error carries `extensions.code`; no stack trace or file path
in the answer; the answer within two seconds; and a normal query works right after.
Cases with a definite right answer also pin its status and code.
"""

from __future__ import annotations

import functools
import gzip
import json
import socket
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from support.processes import Service, start_router, write_router_yaml
from support.raw_http import RawReply, exchange, request_bytes

NORMAL = "{ me { id } }"
GRAPHQL_JSON = "application/graphql-response+json"
Send = Callable[[str], RawReply]
# What a non-browser client sends so that CSRF prevention (Apollo's rule, on by default)
# lets a "simple" request (GET, HEAD, a text/plain POST...) through to GraphQL.
PREFLIGHT = ("Apollo-Require-Preflight", "true")


@dataclass(frozen=True)
class Case:
    name: str
    send: Send
    # The status the case must get, and a code one of its errors must carry, when one
    # is right (a tuple: any of them).
    status: int | tuple[int, ...] | None = None
    code: str | tuple[str, ...] | None = None
    answered: bool = True  # False: the client gave up; no answer is expected


def _host(url: str) -> str:
    return urlsplit(url).netloc


def _path(url: str) -> str:
    return urlsplit(url).path


def raw(
    body: bytes = b"",
    *,
    method: str = "POST",
    target: str | None = None,
    content_type: str | None = "application/json",
    headers: Iterable[tuple[str, str]] = (),
    accept: str | None = GRAPHQL_JSON,
) -> Send:
    """A request with exactly these bytes as its body."""
    all_headers = list(headers)
    if content_type is not None:
        all_headers.append(("Content-Type", content_type))
    if accept is not None:
        all_headers.append(("Accept", accept))

    def send(url: str) -> RawReply:
        return exchange(
            url,
            request_bytes(method, target or _path(url), _host(url), body, all_headers),
        )

    return send


def with_variables(text: str, variables: bytes) -> Send:
    """A request whose `variables` are these raw JSON(-ish) bytes."""
    return raw(
        b'{"query": '
        + json.dumps(text).encode()
        + b', "variables": '
        + variables
        + b"}"
    )


def payload(value: Any, **options: Any) -> Send:
    return raw(json.dumps(value).encode(), **options)


def query(text: str, **fields: Any) -> Send:
    return payload({"query": text, **fields})


def get(params: str) -> Send:
    def send(url: str) -> RawReply:
        return exchange(
            url,
            request_bytes(
                "GET",
                f"{_path(url)}?{params}",
                _host(url),
                headers=[("Accept", GRAPHQL_JSON), PREFLIGHT],
            ),
        )

    return send


def bytes_on_the_wire(
    data: Callable[[str], bytes | list[bytes]], **options: Any
) -> Send:
    """Whatever bytes `data(host)` builds, sent as they are."""

    def send(url: str) -> RawReply:
        return exchange(url, data(_host(url)), **options)

    return send


def lazy(build: Callable[[], Send]) -> Send:
    """A case whose (large) request is only built when it runs, not at collection."""
    return lambda url: build()(url)


@functools.cache
def _bomb(encoding: str) -> bytes:
    """100 MB of `[` (a body that would also nest 100 million levels deep), compressed
    to about 100 KB."""
    inflated = b"[" * 100_000_000
    return (
        gzip.compress(inflated, 9) if encoding == "gzip" else zlib.compress(inflated, 9)
    )


def nested(opening: str, inner: str, closing: str, depth: int) -> str:
    return opening * depth + inner + closing * depth


VARIABLE_INT = "query($n: Int!) { topProducts(first: $n) { upc } }"
PLACE = (
    "mutation($lines: [OrderLineInput!]!) "
    '{ placeOrder(userId: "1", lines: $lines) { id } }'
)
CHAIN_5000 = (
    "{ me { ...F0 } } "
    + " ".join(f"fragment F{i} on User {{ id ...F{i + 1} }}" for i in range(4999))
    + " fragment F4999 on User { id }"
)
WIDE_5000 = (
    "{ me { "
    + " ".join(f"...F{i}" for i in range(5000))
    + " } } "
    + " ".join(f"fragment F{i} on User {{ id }}" for i in range(5000))
)
BODY = json.dumps({"query": NORMAL}).encode()
BIG_SELECTION = (
    "topProducts(first: 2) { upc name shippingEstimate reviews { id rating author "
    "{ id username name address { city } } } item { id title reviewCount "
    "... on Book { author } } } me { id name orders { id status } }"
)


def _chunked(host: str) -> bytes:
    head = (
        f"POST /graphql HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode()
    return (
        head
        + b"".join(
            f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
            for piece in (BODY[:10], BODY[10:])
        )
        + b"0\r\n\r\n"
    )


def _slow_body(host: str) -> list[bytes]:
    head = request_bytes(
        "POST", "/graphql", host, BODY, [("Content-Type", "application/json")]
    )
    header, _, body = head.partition(b"\r\n\r\n")
    return [header + b"\r\n\r\n", *(body[i : i + 6] for i in range(0, len(body), 6))]


CASES = [
    # --- bodies that are not a GraphQL request --------------------------------------
    Case("not JSON", raw(b"query { me { id } }"), 400, "INVALID_GRAPHQL_REQUEST"),
    Case("empty body", raw(b""), 400, "INVALID_GRAPHQL_REQUEST"),
    Case("whitespace body", raw(b" \r\n\t "), 400, "INVALID_GRAPHQL_REQUEST"),
    Case(
        "truncated JSON",
        raw(b'{"query": "{ me { id } }"'),
        400,
        "INVALID_GRAPHQL_REQUEST",
    ),
    Case("trailing garbage", raw(BODY + b" }{"), 400, "INVALID_GRAPHQL_REQUEST"),
    Case(
        "JSON with comments",
        raw(b'{"query": "{ me { id } }" /* hi */}'),
        400,
        "INVALID_GRAPHQL_REQUEST",
    ),
    Case(
        "single-quoted JSON",
        raw(b"{'query': '{ me { id } }'}"),
        400,
        "INVALID_GRAPHQL_REQUEST",
    ),
    Case("JSON null", raw(b"null"), 400, "INVALID_GRAPHQL_REQUEST"),
    Case("JSON true", raw(b"true"), 400, "INVALID_GRAPHQL_REQUEST"),
    Case("JSON number", raw(b"42"), 400, "INVALID_GRAPHQL_REQUEST"),
    Case("JSON string", raw(b'"{ me { id } }"'), 400, "INVALID_GRAPHQL_REQUEST"),
    Case(
        "JSON array (batching off)",
        raw(b"[" + BODY + b"]"),
        400,
        "BATCHING_NOT_ENABLED",
    ),
    Case("empty JSON array", raw(b"[]"), 400, "BATCHING_NOT_ENABLED"),
    Case("array of scalars", raw(b"[1, 2, 3]"), 400, "BATCHING_NOT_ENABLED"),
    Case(
        "10,000 nested arrays as the body",
        raw(nested("[", "", "]", 10_000).encode()),
        400,
        "INVALID_GRAPHQL_REQUEST",
    ),
    Case(
        "NaN",
        with_variables(VARIABLE_INT, b'{"n": NaN}'),
        400,
        "INVALID_GRAPHQL_REQUEST",
    ),
    Case(
        "Infinity",
        with_variables(VARIABLE_INT, b'{"n": -Infinity}'),
        400,
        "INVALID_GRAPHQL_REQUEST",
    ),
    Case(
        "byte order mark", raw(b"\xef\xbb\xbf" + BODY), 400, "INVALID_GRAPHQL_REQUEST"
    ),
    Case(
        "duplicate keys (last wins)",
        raw(b'{"query": "{ nope }", "query": "{ me { id } }"}'),
        200,
    ),
    Case(
        "invalid UTF-8",
        raw(b'{"query": "{ me { id } }\xff\xfe"}'),
        400,
        "INVALID_GRAPHQL_REQUEST",
    ),
    Case(
        "overlong UTF-8",
        raw(b'{"query": "{ me { id } }\xc0\xaf"}'),
        400,
        "INVALID_GRAPHQL_REQUEST",
    ),
    Case(
        "lone surrogate escape",
        raw(b'{"query": "{ me { id } } # \\ud800"}'),
        400,
        "INVALID_GRAPHQL_REQUEST",
    ),
    Case(
        "raw NUL in a JSON string",
        raw(b'{"query": "{ me { id } }\x00"}'),
        400,
        "INVALID_GRAPHQL_REQUEST",
    ),
    Case(
        "escaped NUL in the query",
        query("{ me { id } }\u0000"),
        400,
        "GRAPHQL_PARSE_FAILED",
    ),
    Case("missing query", payload({"variables": {}}), 400, "INVALID_GRAPHQL_REQUEST"),
    Case("query null", payload({"query": None}), 400, "INVALID_GRAPHQL_REQUEST"),
    Case("query is a number", payload({"query": 7}), 400, "INVALID_GRAPHQL_REQUEST"),
    Case(
        "query is an object",
        payload({"query": {"me": "id"}}),
        400,
        "INVALID_GRAPHQL_REQUEST",
    ),
    Case("query is empty", payload({"query": ""}), 400, "GRAPHQL_PARSE_FAILED"),
    Case(
        "operationName is a list",
        query(NORMAL, operationName=["A"]),
        400,
        "INVALID_GRAPHQL_REQUEST",
    ),
    Case(
        "variables is a string",
        query(NORMAL, variables="{}"),
        400,
        "INVALID_GRAPHQL_REQUEST",
    ),
    Case(
        "variables is a list",
        query(NORMAL, variables=[1]),
        400,
        "INVALID_GRAPHQL_REQUEST",
    ),
    Case(
        "extensions is a number",
        query(NORMAL, extensions=3),
        400,
        "INVALID_GRAPHQL_REQUEST",
    ),
    # --- variables -----------------------------------------------------------------
    Case(
        "variable of the wrong type",
        query(VARIABLE_INT, variables={"n": "three"}),
        400,
        "BAD_USER_INPUT",
    ),
    Case(
        "null for a non-null variable",
        query(VARIABLE_INT, variables={"n": None}),
        400,
        "BAD_USER_INPUT",
    ),
    Case("missing required variable", query(VARIABLE_INT), 400, "BAD_USER_INPUT"),
    Case(
        "Int out of 32-bit range",
        query(VARIABLE_INT, variables={"n": 2**31}),
        400,
        "BAD_USER_INPUT",
    ),
    Case(
        "float for an Int",
        query(VARIABLE_INT, variables={"n": 1.5}),
        400,
        "BAD_USER_INPUT",
    ),
    Case(
        "400-digit integer",
        with_variables(VARIABLE_INT, b'{"n": 1' + b"0" * 400 + b"}"),
        400,
        "INVALID_GRAPHQL_REQUEST",
    ),
    Case(
        "1e400",
        with_variables(VARIABLE_INT, b'{"n": 1e400}'),
        400,
        "INVALID_GRAPHQL_REQUEST",
    ),
    Case(
        "object for a scalar",
        query(VARIABLE_INT, variables={"n": {"a": 1}}),
        400,
        "BAD_USER_INPUT",
    ),
    Case(
        "unknown input field",
        query(PLACE, variables={"lines": [{"upc": "UPC-0001", "bogus": 1}]}),
        400,
        "BAD_USER_INPUT",
    ),
    Case(
        "10,000-level nested list value",
        with_variables(
            PLACE, b'{"lines": ' + nested("[", "1", "]", 10_000).encode() + b"}"
        ),
        400,
        "INVALID_GRAPHQL_REQUEST",
    ),
    Case(
        "1,000-level nested list value",
        with_variables(
            PLACE, b'{"lines": ' + nested("[", "1", "]", 1_000).encode() + b"}"
        ),
        400,
        "BAD_USER_INPUT",
    ),
    Case(
        "1,000-level nested object value",
        with_variables(
            PLACE,
            b'{"lines": [{"upc": ' + nested('{"a":', "1", "}", 1_000).encode() + b"}]}",
        ),
        400,
        "BAD_USER_INPUT",
    ),
    Case(
        "1 MB variable string",
        query(
            "query($t: String!) { search(text: $t, first: 1) { __typename } }",
            variables={"t": "x" * 1_000_000},
        ),
        200,
    ),
    # --- operations ------------------------------------------------------------------
    Case(
        "unknown operation name",
        query("query A { me { id } }", operationName="B"),
        400,
        "GRAPHQL_UNKNOWN_OPERATION_NAME",
    ),
    Case(
        "operation name for an anonymous query",
        query(NORMAL, operationName="A"),
        400,
        "GRAPHQL_UNKNOWN_OPERATION_NAME",
    ),
    Case(
        "two operations, no name",
        query("query A { me { id } } query B { me { id } }"),
        400,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    Case(
        "two operations with one name",
        query("query A { me { id } } query A { me { name } }", operationName="A"),
        400,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    # The supergraph has no subscription type: refused as invalid before anything else.
    Case(
        "subscription over POST",
        query("subscription { me { id } }"),
        400,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    Case(
        "mutation over GET",
        get("query=" + quote(PLACE) + "&variables=" + quote('{"lines": []}')),
        405,
        "MUTATION_FORBIDDEN",
    ),
    Case(
        "GET with variables that are not JSON",
        get("query=" + quote(VARIABLE_INT) + "&variables=%7Bn"),
        400,
        "INVALID_GRAPHQL_REQUEST",
    ),
    Case(
        "GET with a query that is not UTF-8",
        get("query=%ff%fe%fd"),
        400,
        "GRAPHQL_PARSE_FAILED",
    ),
    Case("GET without a query", get("operationName=A"), 400, "INVALID_GRAPHQL_REQUEST"),
    Case(
        "GET with a 1 MB URL",
        get("query=" + quote(NORMAL) + "&x=" + "a" * 1_000_000),
        431,
        "INVALID_GRAPHQL_REQUEST",
    ),
    # --- documents -------------------------------------------------------------------
    Case("10,000 open braces", query("{" * 10_000), 400, "GRAPHQL_PARSE_FAILED"),
    Case(
        "10,000-level nested selection set",
        query("{ me " + nested("{ reviews { author ", "{ id }", " } }", 5_000) + " }"),
        400,
        "GRAPHQL_PARSE_FAILED",
    ),
    Case(
        "10,000-level nested list type",
        query(
            nested("query($a: ", nested("[", "Int", "]", 10_000), ") { me { id } }", 1)
        ),
        400,
        "GRAPHQL_PARSE_FAILED",
    ),
    Case(
        "10,000-level nested object literal",
        query(
            nested(
                "{ search(text: ",
                nested("{a: ", "1", "}", 10_000),
                ") { __typename } }",
                1,
            )
        ),
        400,
        "GRAPHQL_PARSE_FAILED",
    ),
    Case(
        "10,000-level nested list literal",
        query(
            nested(
                "{ topProducts(first: ", nested("[", "1", "]", 10_000), ") { upc } }", 1
            )
        ),
        400,
        "GRAPHQL_PARSE_FAILED",
    ),
    Case(
        "fragment cycle",
        query(
            "{ me { ...A } } fragment A on User { id ...B } fragment B on User { ...A }"
        ),
        400,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    Case(
        "fragment spreading itself",
        query("{ me { ...A } } fragment A on User { ...A }"),
        400,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    Case("5,000 chained fragments", query(CHAIN_5000), 400, "GRAPHQL_PARSE_FAILED"),
    Case("5,000 fragments side by side", query(WIDE_5000), 400, "GRAPHQL_PARSE_FAILED"),
    Case(
        "50,000 aliases",
        query("{ " + " ".join(f"a{i}: __typename" for i in range(50_000)) + " }"),
        400,
        "GRAPHQL_PARSE_FAILED",
    ),
    # Quadratic validation (every pair of same-key fields is compared): refused before
    # validation (router.server.selection_fanout).
    Case(
        "1,000 copies of a field with a sub-selection",
        query("{ topProducts { " + "reviews { id } " * 1_000 + "} }"),
        400,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    Case(
        "500 identical inline fragments",
        query("{ topProducts { " + "... on Product { reviews { id } } " * 500 + "} }"),
        400,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    Case(
        "3,000 copies of one leaf",
        query("{ me { " + "id " * 3_000 + "} }"),
        400,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    Case(
        "150 fragment spreads in one selection set",
        query(
            "{ me { "
            + " ".join(f"...F{i}" for i in range(150))
            + " } } "
            + " ".join(f"fragment F{i} on User {{ id }}" for i in range(150))
        ),
        400,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    Case(
        "50 copies of a field holding 50 copies of another",
        query(
            "{ topProducts { "
            + ("reviews { " + "author { id } " * 50 + "} ") * 50
            + "} }"
        ),
        400,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    Case(
        "60 fragments each spreading the same 60",
        query(
            "{ me { "
            + " ".join(f"...A{i}" for i in range(60))
            + " } } "
            + " ".join(
                f"fragment A{i} on User {{ "
                + " ".join(f"...B{j}" for j in range(60))
                + " }"
                for i in range(60)
            )
            + " "
            + " ".join(f"fragment B{j} on User {{ id name }}" for j in range(60))
        ),
        400,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    Case(
        "three fragments selecting one large selection, still served",
        query(
            "query { ...Q1 ...Q2 ...Q3 } "
            + " ".join(
                f"fragment Q{i} on Query {{ {BIG_SELECTION} }}" for i in (1, 2, 3)
            )
        ),
        200,
    ),
    Case(
        "100 copies of a field, still served",
        query("{ topProducts(first: 1) { " + "reviews { id } " * 100 + "} }"),
        200,
    ),
    Case(
        "one alias for two fields",
        query("{ me { x: id x: name } }"),
        400,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    Case(
        "one alias, two argument lists",
        query(
            '{ p: product(upc: "UPC-0001") { upc } p: product(upc: "UPC-0002") { upc } }'
        ),
        400,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    Case(
        "3,000 unknown fields",
        query("{ " + " ".join(f"f{i}" for i in range(3_000)) + " }"),
        400,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    Case(
        "unterminated string",
        query('{ product(upc: "UPC-0001) { upc } }'),
        400,
        "GRAPHQL_PARSE_FAILED",
    ),
    Case(
        "unknown directive",
        query("{ me @bogus { id } }"),
        400,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    Case(
        "skip without its argument",
        query("{ me @skip { id } }"),
        400,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    Case(
        "a 1 MB field name",
        query("{ " + "f" * 1_000_000 + " }"),
        400,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    Case(
        "a 20 MB query",
        lazy(lambda: query("{ me { id } }" + " " * 20_000_000)),
        413,
        "INVALID_GRAPHQL_REQUEST",
    ),
    Case(
        "introspection while disabled",
        query("{ __schema { types { name } } }"),
        400,
        "INTROSPECTION_DISABLED",
    ),
    # --- HTTP ----------------------------------------------------------------------
    Case(
        "cross-site form POST (CSRF)",
        raw(b"query=%7B%20me%20%7B%20id%20%7D%20%7D", content_type="text/plain"),
        # Refused as CSRF or, first, as a body that is not JSON: either way, refused.
        (400, 415),
        ("CSRF_ERROR", "INVALID_CONTENT_TYPE_HEADER"),
    ),
    Case(
        "cross-site GET (CSRF)",
        raw(method="GET", target="/graphql?query=%7Bme%7Bid%7D%7D", content_type=None),
        400,
        "CSRF_ERROR",
    ),
    Case(
        "text/plain",
        raw(BODY, content_type="text/plain", headers=[PREFLIGHT]),
        415,
        "INVALID_CONTENT_TYPE_HEADER",
    ),
    Case(
        "no Content-Type",
        raw(BODY, content_type=None, headers=[PREFLIGHT]),
        415,
        "INVALID_CONTENT_TYPE_HEADER",
    ),
    Case(
        "application/graphql",
        raw(b"{ me { id } }", content_type="application/graphql"),
        415,
        "INVALID_CONTENT_TYPE_HEADER",
    ),
    Case(
        "multipart/form-data",
        raw(
            BODY,
            content_type="multipart/form-data; boundary=x",
            headers=[PREFLIGHT],
        ),
        415,
        "INVALID_CONTENT_TYPE_HEADER",
    ),
    Case(
        "latin-1 charset",
        raw(BODY, content_type="application/json; charset=latin-1"),
        415,
        "INVALID_CONTENT_TYPE_HEADER",
    ),
    Case(
        "gzip Content-Encoding",
        raw(gzip.compress(BODY), headers=[("Content-Encoding", "gzip")]),
        415,
        "INVALID_CONTENT_TYPE_HEADER",
    ),
    Case(
        "gzip bomb",
        lazy(lambda: raw(_bomb("gzip"), headers=[("Content-Encoding", "gzip")])),
        415,
        "INVALID_CONTENT_TYPE_HEADER",
    ),
    Case(
        "deflate bomb",
        lazy(lambda: raw(_bomb("deflate"), headers=[("Content-Encoding", "deflate")])),
        415,
        "INVALID_CONTENT_TYPE_HEADER",
    ),
    Case(
        "unknown Content-Encoding",
        raw(BODY, headers=[("Content-Encoding", "x-zip")]),
        415,
        "INVALID_CONTENT_TYPE_HEADER",
    ),
    Case(
        "Accept: text/html only",
        raw(BODY, accept="text/html"),
        406,
        "INVALID_ACCEPT_HEADER",
    ),
    Case(
        "Accept with a broken q",
        raw(BODY, accept="application/json;q=abc"),
        406,
        "INVALID_ACCEPT_HEADER",
    ),
    # Heads up to 400 KiB are served (Apollo Router's limit); larger ones get 431.
    Case("100 KB header", raw(BODY, headers=[("X-Big", "a" * 100_000)]), 200),
    Case(
        "2,000 headers",
        raw(BODY, headers=[(f"X-H{i}", "v") for i in range(2_000)]),
        200,
    ),
    Case(
        "1 MB header",
        raw(BODY, headers=[("X-Big", "a" * 1_000_000)]),
        431,
        "INVALID_GRAPHQL_REQUEST",
    ),
    Case(
        "20 MB of headers",
        lazy(
            lambda: raw(BODY, headers=[(f"X-{i}", "a" * 10_000) for i in range(2_000)])
        ),
        431,
        "INVALID_GRAPHQL_REQUEST",
    ),
    Case(
        "header sent slowly past the cap",
        bytes_on_the_wire(
            lambda h: [
                f"GET /graphql HTTP/1.1\r\nHost: {h}\r\nX-Slow: ".encode(),
                *([b"a" * 100_000] * 6),
            ],
            pause=0.01,
        ),
        431,
        "INVALID_GRAPHQL_REQUEST",
    ),
    Case(
        "body larger than the limit, declared",
        raw(b"x" * 3_000_000),
        413,
        "INVALID_GRAPHQL_REQUEST",
    ),
    Case("chunked body", bytes_on_the_wire(_chunked), 200),
    Case(
        "chunked body with a bad chunk size",
        bytes_on_the_wire(lambda h: _chunked(h).replace(b"a\r\n", b"zz\r\n", 1)),
        400,
    ),
    Case(
        "Content-Length and chunked together",
        bytes_on_the_wire(
            lambda h: _chunked(h).replace(
                b"Transfer-Encoding", b"Content-Length: 5\r\nTransfer-Encoding", 1
            )
        ),
        400,
    ),
    Case(
        "Content-Length not a number",
        bytes_on_the_wire(
            lambda h: request_bytes(
                "POST",
                "/graphql",
                h,
                BODY,
                [("Content-Type", "application/json"), ("Content-Length", "abc")],
                content_length=False,
            )
        ),
        400,
    ),
    Case(
        "body longer than Content-Length",
        bytes_on_the_wire(
            lambda h: (
                request_bytes(
                    "POST", "/graphql", h, BODY, [("Content-Type", "application/json")]
                )
                + b"GARBAGE"
            )
        ),
        200,
    ),
    Case(
        "body cut short, client half-closed",
        bytes_on_the_wire(
            lambda h: request_bytes(
                "POST",
                "/graphql",
                h,
                BODY,
                [("Content-Type", "application/json"), ("Content-Length", "999")],
                content_length=False,
            ),
            shut_write=True,
        ),
        400,
        "INVALID_GRAPHQL_REQUEST",
    ),
    Case(
        "slow body, 6 bytes every 30 ms", bytes_on_the_wire(_slow_body, pause=0.03), 200
    ),
    Case("Expect: 100-continue", raw(BODY, headers=[("Expect", "100-continue")]), 200),
    Case("invalid request line", bytes_on_the_wire(lambda h: b"GARBAGE\r\n\r\n"), 400),
    Case(
        "HTTP/9.9",
        bytes_on_the_wire(
            lambda h: f"GET /graphql HTTP/9.9\r\nHost: {h}\r\n\r\n".encode()
        ),
        400,
    ),
    Case(
        "NUL in a header value",
        bytes_on_the_wire(
            lambda h: request_bytes(
                "POST",
                "/graphql",
                h,
                BODY,
                [("Content-Type", "application/json"), ("X-A", "a\x00b")],
            )
        ),
        400,
    ),
    Case(
        "header without a colon",
        bytes_on_the_wire(
            lambda h: request_bytes(
                "POST",
                "/graphql",
                h,
                BODY,
                [("Content-Type", "application/json"), ("X-No-Colon", "")],
            ).replace(b"X-No-Colon: ", b"X-No-Colon")
        ),
        400,
    ),
    Case("HEAD", raw(method="HEAD", content_type=None, headers=[PREFLIGHT]), 405),
    Case("PUT", raw(BODY, method="PUT"), 405, "METHOD_NOT_ALLOWED"),
    Case("DELETE", raw(method="DELETE", content_type=None), 405, "METHOD_NOT_ALLOWED"),
    Case("PATCH", raw(BODY, method="PATCH"), 405, "METHOD_NOT_ALLOWED"),
    Case(
        "OPTIONS", raw(method="OPTIONS", content_type=None), 405, "METHOD_NOT_ALLOWED"
    ),
    Case("TRACE", raw(method="TRACE", content_type=None), 405, "METHOD_NOT_ALLOWED"),
    Case("unknown method", raw(BODY, method="BREW"), 400),
    Case("unknown path", raw(BODY, target="/graphql/../admin"), 404, "NOT_FOUND"),
    Case(
        "asterisk target",
        raw(method="OPTIONS", target="*", content_type=None),
        404,
        "NOT_FOUND",
    ),
]


BATCH_ITEM = {"query": NORMAL}
BATCH_CASES = [
    Case(
        "batch over its maximum size",
        payload([BATCH_ITEM] * 10_000),
        422,
        "BATCH_LIMIT_EXCEEDED",
    ),
    Case("empty batch", raw(b"[]"), 400, "INVALID_GRAPHQL_REQUEST"),
    Case("batch of scalars", raw(b"[1, null, true]"), 400, "INVALID_GRAPHQL_REQUEST"),
    Case(
        "batch of batches",
        payload([[BATCH_ITEM], [BATCH_ITEM]]),
        400,
        "INVALID_GRAPHQL_REQUEST",
    ),
    Case(
        "batch item without a query",
        payload([BATCH_ITEM, {"variables": {}}]),
        400,
        "INVALID_GRAPHQL_REQUEST",
    ),
    Case(
        "batch of hostile operations",
        payload(
            [
                {"query": "{" * 10_000},
                {"query": "query A { me { id } }", "operationName": "B"},
                {"query": VARIABLE_INT, "variables": {"n": "x"}},
                {"query": "{ me { ...A } } fragment A on User { ...A }"},
            ]
        ),
        200,
        "GRAPHQL_PARSE_FAILED",
    ),
]


@pytest.fixture(scope="module")
def batching_router(
    example_urls: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    config = write_router_yaml(
        tmp_path_factory.mktemp("batching"),
        example_urls,
        "batching:\n  enabled: true\n  maximum_size: 4\n",
    )
    service = start_router(config)
    try:
        yield service
    finally:
        service.stop()


def test_there_are_at_least_sixty_cases() -> None:
    assert len(CASES) >= 60
    assert len({case.name for case in CASES + BATCH_CASES}) == len(CASES + BATCH_CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_input_gets_a_coded_4xx_and_the_router_keeps_serving(
    case: Case, router: Service
) -> None:
    check_answer(case, case.send(router.url))
    assert_normal_query_works(router)


@pytest.mark.parametrize("case", BATCH_CASES, ids=[case.name for case in BATCH_CASES])
def test_hostile_batch_gets_coded_errors_and_the_router_keeps_serving(
    case: Case, batching_router: Service
) -> None:
    check_answer(case, case.send(batching_router.url))
    assert_normal_query_works(batching_router)


def check_answer(case: Case, reply: RawReply) -> None:
    """No 5xx, fast, no leak, every GraphQL error coded; the case's status and code."""
    assert reply.seconds < 2.0, f"{reply.seconds:.2f} s"
    if not case.answered:
        assert reply.status == 0
        return
    assert 0 < reply.status < 500, (reply.status, reply.body[:500])
    text = reply.body.decode("utf-8", "replace")
    for leak in ("Traceback", ".py", "/work/"):
        assert leak not in text, text[:2000]
    errors = _errors(reply)
    assert all(isinstance(e.get("extensions", {}).get("code"), str) for e in errors), (
        errors[:5]
    )
    if case.status is not None:
        allowed = case.status if isinstance(case.status, tuple) else (case.status,)
        assert reply.status in allowed, (reply.status, text[:500])
    if case.code is not None:
        codes = case.code if isinstance(case.code, tuple) else (case.code,)
        assert set(codes) & {e["extensions"]["code"] for e in errors}, errors[:5]


def assert_normal_query_works(router: Service) -> None:
    reply = query(NORMAL)(router.url)
    assert reply.status == 200, reply.body
    assert reply.json() == {"data": {"me": {"id": "1"}}}
    assert router.alive, router.stderr()


def _errors(reply: RawReply) -> list[dict[str, Any]]:
    """The GraphQL errors of a JSON answer (none for a non-JSON one, e.g. uvicorn's,
    or for HEAD, whose answer has no body)."""
    if not reply.body or not reply.headers.get("content-type", "").startswith(
        ("application/json", GRAPHQL_JSON)
    ):
        return []
    body = reply.json()
    if isinstance(body, list):  # a batch answer
        return [e for item in body for e in item.get("errors", ())]
    errors: list[dict[str, Any]] = body.get("errors", [])
    return errors


def test_head_cap_counts_each_request_of_a_kept_alive_connection(
    router: Service,
) -> None:
    """Three requests with 300 KB heads each, on one connection: 900 KB in all, but
    each under the cap, so each is served."""
    host = _host(router.url)
    requests = [
        request_bytes(
            "POST",
            "/graphql",
            host,
            BODY,
            [("Content-Type", "application/json"), ("X-Pad", "a" * 300_000)],
        ).replace(
            b"Connection: close",
            b"Connection: close" if last else b"Connection: keep-alive",
        )
        for last in (False, False, True)
    ]
    parts = urlsplit(router.url)
    assert parts.hostname is not None and parts.port is not None
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as s:
        s.sendall(b"".join(requests))
        answers = b""
        while chunk := s.recv(65536):
            answers += chunk

    assert answers.count(b"HTTP/1.1 200 OK") == 3, answers[:300]
    assert answers.count(b'{"data":{"me":{"id":"1"}}}') == 3
