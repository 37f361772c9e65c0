"""Rate limits over HTTP: global, per client and tier, per subgraph, memory and Redis."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from policy_harness import Reply, Router, free_port, post

ME = "{ me { id } }"


def refused(reply: Reply) -> bool:
    if reply.status != 429:
        return False
    assert reply.json()["errors"][0]["extensions"]["code"] == "REQUEST_RATE_LIMITED"
    assert int(reply.headers["retry-after"]) >= 1
    return True


def test_global_limit_refuses_with_429_retry_after_and_ratelimit_headers(
    router_with: Callable[..., Router],
) -> None:
    router = router_with("ratelimit:\n  global: { capacity: 3, interval: 1m }\n")
    replies = [post(router, ME) for _ in range(4)]
    assert [r.status for r in replies] == [200, 200, 200, 429]
    assert replies[0].headers["ratelimit-limit"] == "3"
    assert replies[0].headers["ratelimit-remaining"] == "2"
    assert replies[2].headers["ratelimit-remaining"] == "0"
    assert 0 < int(replies[0].headers["ratelimit-reset"]) <= 60
    assert refused(replies[3])
    assert replies[3].headers["ratelimit-remaining"] == "0"
    # Health checks are not counted; the router still serves them.
    from policy_harness import http

    assert http(f"{router.base}/health").status == 200


def test_per_client_tiers_count_each_client_apart(
    router_with: Callable[..., Router],
) -> None:
    router = router_with(
        """
ratelimit:
  clients:
    - name: by-client
      key: { by: header, name: X-Client }
      tier: { by: header, name: X-Plan, default: free }
      tiers:
        free: [ { capacity: 2, interval: 1m }, { capacity: 100, interval: 1d } ]
        pro: [ { capacity: 4, interval: 1m } ]
"""
    )

    def statuses(client: str, plan: str, n: int) -> list[int]:
        headers = {"X-Client": client, "X-Plan": plan}
        return [post(router, ME, headers).status for _ in range(n)]

    assert statuses("a", "free", 3) == [200, 200, 429]
    assert statuses("b", "free", 2) == [200, 200]
    assert statuses("c", "pro", 5) == [200, 200, 200, 200, 429]
    # An unknown plan is the default tier.
    assert statuses("d", "gold", 3) == [200, 200, 429]


def test_token_bucket_allows_a_burst_then_refills(
    router_with: Callable[..., Router],
) -> None:
    router = router_with(
        """
ratelimit:
  clients:
    - name: burst
      key: { by: ip }
      algorithm: token_bucket
      limits: [ { capacity: 3, interval: 9s } ]
"""
    )
    # One token comes back every 3 s: slow enough that a loaded machine still sends
    # the burst, and the request after the refill, inside one refill period.
    assert [post(router, ME).status for _ in range(4)] == [200, 200, 200, 429]
    deadline = time.monotonic() + 30
    while (status := post(router, ME).status) == 429:
        assert time.monotonic() < deadline, "no token came back"
        time.sleep(0.1)
    assert status == 200
    assert post(router, ME).status == 429  # one token back, not the whole bucket


def test_forwarded_for_counts_only_behind_a_trusted_proxy(
    router_with: Callable[..., Router],
) -> None:
    rule = """
  clients:
    - name: ip
      key: { by: ip }
      limits: [ { capacity: 1, interval: 1m } ]
"""
    trusting = router_with("ratelimit:\n  trusted_proxies: [127.0.0.0/8]" + rule)
    assert post(trusting, ME, {"X-Forwarded-For": "203.0.113.1"}).status == 200
    assert post(trusting, ME, {"X-Forwarded-For": "203.0.113.2"}).status == 200
    assert post(trusting, ME, {"X-Forwarded-For": "203.0.113.1"}).status == 429
    # A spoofed chain: the right-most untrusted hop is the client.
    spoof = {"X-Forwarded-For": "198.51.100.9, 203.0.113.2"}
    assert post(trusting, ME, spoof).status == 429
    untrusting = router_with("ratelimit:" + rule)
    assert post(untrusting, ME, {"X-Forwarded-For": "203.0.113.1"}).status == 200
    assert post(untrusting, ME, {"X-Forwarded-For": "203.0.113.2"}).status == 429


def test_subgraph_rate_limit_fails_only_that_fetch(
    router_with: Callable[..., Router],
) -> None:
    router = router_with(
        """
traffic_shaping:
  subgraphs:
    users:
      global_rate_limit: { capacity: 1, interval: 1m }
"""
    )
    assert post(router, ME).json()["data"]["me"]["id"]
    reply = post(router, '{ user(id: "1") { id } topProducts(first: 1) { upc } }')
    assert reply.status == 200
    body = reply.json()
    assert body["data"]["topProducts"][0]["upc"]
    assert body["data"]["user"] is None
    error = body["errors"][0]
    assert error["extensions"]["code"] == "REQUEST_RATE_LIMITED"
    assert error["extensions"]["serviceName"] == "users"


def _shared_redis_config(prefix: str, url: str, on_error: str = "allow") -> str:
    return f"""
ratelimit:
  backend: redis
  redis: {{ url: "{url}", key_prefix: "{prefix}", timeout: 300ms }}
  on_backend_error: {on_error}
  error_log_interval: 1m
  clients:
    - name: per-client
      key: {{ by: header, name: X-Client }}
      limits: [ {{ capacity: 10, interval: 1m }} ]
"""


def test_two_routers_sharing_redis_admit_at_most_the_limit(
    router_with: Callable[..., Router], redis_prefix: str
) -> None:
    config = _shared_redis_config(redis_prefix, "redis://127.0.0.1:6379")
    first, second = router_with(config), router_with(config)
    headers = {"X-Client": "shared"}
    with ThreadPoolExecutor(16) as pool:
        replies = list(
            pool.map(lambda i: post(first if i % 2 else second, ME, headers), range(40))
        )
    admitted = [r for r in replies if r.status == 200]
    denied = [r for r in replies if r.status != 200]
    assert 10 <= len(admitted) <= 11
    assert all(refused(r) for r in denied)
    # Another client has its own count.
    assert post(first, ME, {"X-Client": "other"}).status == 200


def test_redis_down_follows_on_backend_error(
    router_with: Callable[..., Router], redis_prefix: str
) -> None:
    nowhere = f"redis://127.0.0.1:{free_port()}"
    allowing = router_with(_shared_redis_config(redis_prefix, nowhere, "allow"))
    denying = router_with(_shared_redis_config(redis_prefix, nowhere, "deny"))
    headers = {"X-Client": "c"}
    assert [post(allowing, ME, headers).status for _ in range(12)] == [200] * 12
    replies = [post(denying, ME, headers) for _ in range(3)]
    assert all(refused(r) for r in replies)
    # Logged once per interval, not once per request.
    log = allowing.stderr()
    assert log.count("rate-limit backend failed") == 1, log
