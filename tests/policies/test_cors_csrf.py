"""`cors` and `csrf` over HTTP: preflights answered by the router, simple requests
without a preflight header refused."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable

from policy_harness import Reply, Router, http, post

ME = "{ me { id } }"
CORS = """
cors:
  origins: [https://app.example.com]
  match_origins: ["https://[a-z0-9]+\\\\.preview\\\\.example\\\\.com"]
  allow_credentials: true
  methods: [GET, POST]
  expose_headers: [X-Request-Id]
  max_age: 10m
"""


def preflight(router: Router, origin: str, **extra: str) -> dict[str, str]:
    reply = http(
        router.url,
        method="OPTIONS",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, authorization",
            **extra,
        },
    )
    assert reply.status == 200, reply.body
    return dict(reply.headers)


def test_preflight_from_an_allowed_origin_is_answered(
    module_router_with: Callable[..., Router],
) -> None:
    router = module_router_with(CORS)
    headers = preflight(router, "https://app.example.com")
    assert headers["access-control-allow-origin"] == "https://app.example.com"
    assert headers["access-control-allow-credentials"] == "true"
    assert headers["access-control-allow-methods"] == "GET, POST"
    # No allow_headers configured: the requested ones are mirrored (Apollo's default).
    assert headers["access-control-allow-headers"] == "content-type, authorization"
    assert headers["access-control-max-age"] == "600"
    regex = preflight(router, "https://pr42.preview.example.com")
    assert regex["access-control-allow-origin"] == "https://pr42.preview.example.com"


def test_preflight_from_another_origin_gets_no_allow_headers(
    module_router_with: Callable[..., Router],
) -> None:
    router = module_router_with(CORS)
    for origin in ("https://evil.example.net", "https://x.preview.example.com.evil"):
        headers = preflight(router, origin)
        assert not any(name.startswith("access-control-allow") for name in headers)


def test_actual_response_carries_cors_headers_for_allowed_origins_only(
    module_router_with: Callable[..., Router],
) -> None:
    router = module_router_with(CORS)
    allowed = post(router, ME, {"Origin": "https://app.example.com"})
    assert allowed.status == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.example.com"
    assert allowed.headers["access-control-expose-headers"] == "X-Request-Id"
    assert "origin" in allowed.headers["vary"].lower()
    other = post(router, ME, {"Origin": "https://evil.example.net"})
    assert other.status == 200
    assert "access-control-allow-origin" not in other.headers


def get(router: Router, query: str, headers: dict[str, str] | None = None) -> Reply:
    url = f"{router.url}?{urllib.parse.urlencode({'query': query})}"
    return http(url, headers={"accept": "application/json", **(headers or {})})


def test_csrf_refuses_a_simple_get_without_a_preflight_header(
    module_router_with: Callable[..., Router],
) -> None:
    router = module_router_with(CORS)
    reply = get(router, ME)
    assert reply.status == 400
    body = json.loads(reply.body)
    assert body["errors"][0]["extensions"]["code"] == "CSRF_ERROR"
    ok = get(router, ME, {"apollo-require-preflight": "true"})
    assert ok.status == 200
    named = get(router, ME, {"x-apollo-operation-name": "Me"})
    assert named.status == 200
    empty = get(router, ME, {"apollo-require-preflight": " "})
    assert empty.status == 400
    # A JSON POST needs a preflight in a browser: allowed without the header.
    assert post(router, ME).status == 200


def test_csrf_required_headers_configurable_and_unsafe_disabled(
    module_router_with: Callable[..., Router],
) -> None:
    custom = module_router_with("csrf:\n  required_headers: [x-my-client]\n")
    assert get(custom, ME, {"apollo-require-preflight": "1"}).status == 400
    assert get(custom, ME, {"x-my-client": "web"}).status == 200
    off = module_router_with("csrf:\n  unsafe_disabled: true\n")
    assert get(off, ME).status == 200
