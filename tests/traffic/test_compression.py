"""Compression to subgraphs (`traffic_shaping.*.compression`) and compressed answers,
against real `echo` instances: request bodies leave compressed with Content-Encoding,
compressed answers are read, and a decompression bomb is refused with a coded error.
Both HTTP clients (http1 for plain HTTP, aiohttp for the rest, reached here through a
URL with credentials) must behave the same."""

from __future__ import annotations

from pathlib import Path

import pytest
from traffic_harness import Instance, fire, router_with

from router.execution.content_coding import CODINGS
from router.execution.subgraph_client import (
    SubgraphClient,
    SubgraphEndpoint,
    SubgraphRequestError,
    decode_reply,
)

QUERY = {"query": "{ whoami }"}
BODY = b'{"query": "{ whoami }"}'


def _through(instance: Instance, transport: str) -> str:
    """The instance's URL for the client `transport` ("http1" or "aiohttp")."""
    if transport == "http1":
        return instance.url
    return instance.url.replace("http://", "http://user:pw@")


async def test_router_sends_gzip_reads_gzip_and_refuses_a_bomb(
    fresh: dict[str, Instance], tmp_path: Path
) -> None:
    """One router for both (each start costs a second): a gzip round trip, then a
    gzip answer inflating past the 50 MiB response cap."""
    blue = fresh["blue"]
    router = router_with(tmp_path, [blue.url], {"compression": "gzip"})
    try:
        blue.mode("gzip", times=1)
        [(status, body)] = await fire(router.url, [QUERY])
        assert (status, body) == (200, {"data": {"whoami": "blue"}})
        assert blue.stats()["encoding"] == "gzip"

        blue.mode("bomb", times=1)
        [(_, body)] = await fire(router.url, [{"query": "{ whoami again: whoami }"}])
    finally:
        router.stop()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "SUBREQUEST_MALFORMED_RESPONSE"
    assert error["extensions"]["serviceName"] == "echo"
    assert "once inflated" in error["message"]


@pytest.mark.parametrize("transport", ["http1", "aiohttp"])
@pytest.mark.parametrize("coding", CODINGS)
async def test_both_clients_compress_requests_and_inflate_answers(
    fresh: dict[str, Instance], transport: str, coding: str
) -> None:
    blue = fresh["blue"]
    blue.mode(coding, times=1)
    url = _through(blue, transport)
    client = SubgraphClient({})
    try:
        reply = await client.fetch(
            SubgraphEndpoint("echo", url, compression=coding), BODY
        )
    finally:
        await client.close()
    assert decode_reply("echo", reply).body == {"data": {"whoami": "blue"}}
    assert blue.stats()["encoding"] == coding


@pytest.mark.parametrize("transport", ["http1", "aiohttp"])
async def test_both_clients_refuse_a_bomb_alike(
    fresh: dict[str, Instance], transport: str
) -> None:
    blue = fresh["blue"]
    blue.mode("bomb", times=1)
    client = SubgraphClient({})
    endpoint = SubgraphEndpoint(
        "echo", _through(blue, transport), max_response_bytes=1 << 20
    )
    try:
        with pytest.raises(SubgraphRequestError) as refused:
            await client.fetch(endpoint, BODY)
    finally:
        await client.close()
    assert refused.value.code == "SUBREQUEST_MALFORMED_RESPONSE"
    assert refused.value.message == (
        "Subgraph response from 'echo' was malformed: larger than 1048576 bytes "
        "once inflated"
    )


def test_br_is_refused_in_config_without_the_brotli_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from router.config import ConfigError, model, parse_config

    monkeypatch.setattr(model, "BROTLI", False)
    with pytest.raises(ConfigError) as refused:
        parse_config("traffic_shaping:\n  all:\n    compression: br\n")
    assert "traffic_shaping.all.compression: br needs the brotli package" in str(
        refused.value
    )
