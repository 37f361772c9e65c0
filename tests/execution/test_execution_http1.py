"""The plain-HTTP subgraph client (router.execution.http1, through SubgraphClient):
keep-alive reuse, body framings and encodings, stale connections, limits, failures.

Each test runs a raw loopback server that answers with exactly the bytes it is given,
so framing and connection handling are under the test's control.
"""

from __future__ import annotations

import asyncio
import gzip
import socket
import struct
import threading
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import orjson
import pytest
import pytest_asyncio

from router.execution import (
    SubgraphClient,
    SubgraphEndpoint,
    SubgraphRequestError,
    http1,
)

CLOSE_AFTER = b"x-test-close-after: 1\r\n"
BODY = orjson.dumps({"data": {"ok": True}})
# (connection number, request number on it, request bytes) -> bytes to send back;
# None closes the connection without an answer; an answer with "connection: close" or
# CLOSE_AFTER in its head closes it once sent (CLOSE_AFTER itself is not sent).
Answer = Callable[[int, int, bytes], Awaitable[bytes | None]]


def ok(body: bytes = BODY, *headers: str) -> bytes:
    head = [
        "HTTP/1.1 200 OK",
        "content-type: application/json",
        f"content-length: {len(body)}",
        *headers,
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


@dataclass
class Server:
    url: str
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)


@pytest_asyncio.fixture
async def raw_server() -> AsyncIterator[Callable[[Answer], Awaitable[Server]]]:
    servers: list[asyncio.Server] = []

    async def start(answer: Answer) -> Server:
        state = Server("")

        async def handle(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter
        ) -> None:
            number = state.connections
            state.connections += 1
            try:
                for index in range(1000):
                    head = await reader.readuntil(b"\r\n\r\n")
                    length = 0
                    for line in head.split(b"\r\n"):
                        if line.lower().startswith(b"content-length:"):
                            length = int(line.split(b":")[1])
                    request = head + await reader.readexactly(length)
                    state.requests.append(request)
                    reply = await answer(number, index, request)
                    if reply is None:
                        break
                    head = reply.partition(b"\r\n\r\n")[0]
                    writer.write(reply.replace(CLOSE_AFTER, b"", 1))
                    await writer.drain()
                    if b"connection: close" in head or CLOSE_AFTER in head + b"\r\n":
                        break
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        state.url = f"http://127.0.0.1:{port}/graphql"
        return state

    yield start
    for server in servers:
        server.close()


@pytest_asyncio.fixture
async def client_for() -> AsyncIterator[Callable[..., SubgraphClient]]:
    made: list[SubgraphClient] = []

    def make(url: str, **limits: float) -> SubgraphClient:
        made.append(SubgraphClient({"s": SubgraphEndpoint("s", url, **limits)}))  # type: ignore[arg-type]
        return made[-1]

    yield make
    for client in made:
        await client.close()


async def test_sequential_requests_reuse_one_connection(
    raw_server: Callable[[Answer], Awaitable[Server]],
    client_for: Callable[..., SubgraphClient],
) -> None:
    async def answer(conn: int, index: int, request: bytes) -> bytes:
        return ok()

    server = await raw_server(answer)
    client = client_for(server.url)
    for _ in range(3):
        response = await client.post("s", {"query": "{ok}"})
        assert response.body == {"data": {"ok": True}}
    assert server.connections == 1


async def test_request_carries_its_headers_and_json_body(
    raw_server: Callable[[Answer], Awaitable[Server]],
    client_for: Callable[..., SubgraphClient],
) -> None:
    async def answer(conn: int, index: int, request: bytes) -> bytes:
        return ok()

    server = await raw_server(answer)
    client = client_for(server.url)
    await client.post(
        "s", {"query": "{ok}"}, {"Authorization": "Bearer t", "Accept": "text/html"}
    )

    head, _, body = server.requests[0].partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "POST /graphql HTTP/1.1"
    port = server.url.split(":")[2].split("/")[0]
    assert f"host: 127.0.0.1:{port}" in lines
    assert "Authorization: Bearer t" in lines
    assert "accept: application/graphql-response+json, application/json" in lines
    assert not any(line.startswith("Accept:") for line in lines)
    assert orjson.loads(body) == {"query": "{ok}"}


async def test_chunked_response_is_reassembled(
    raw_server: Callable[[Answer], Awaitable[Server]],
    client_for: Callable[..., SubgraphClient],
) -> None:
    async def answer(conn: int, index: int, request: bytes) -> bytes:
        chunks = b"".join(
            b"%x\r\n%s\r\n" % (len(part), part) for part in (BODY[:5], BODY[5:])
        )
        return (
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
            + chunks
            + b"0\r\n\r\n"
        )

    server = await raw_server(answer)
    client = client_for(server.url)
    for _ in range(2):
        assert (await client.post("s", {"query": "{ok}"})).body == {
            "data": {"ok": True}
        }
    assert server.connections == 1


async def test_body_ended_by_the_connection_closing_is_read_to_its_end(
    raw_server: Callable[[Answer], Awaitable[Server]],
    client_for: Callable[..., SubgraphClient],
) -> None:
    async def answer(conn: int, index: int, request: bytes) -> bytes:
        return b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n" + BODY

    server = await raw_server(answer)
    client = client_for(server.url)
    for _ in range(2):
        assert (await client.post("s", {"query": "{ok}"})).body == {
            "data": {"ok": True}
        }
    assert server.connections == 2


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda raw: zlib.compress(raw)[2:-4]),  # raw deflate, no wrapper
    ],
)
async def test_gzip_and_deflate_bodies_are_decoded(
    raw_server: Callable[[Answer], Awaitable[Server]],
    client_for: Callable[..., SubgraphClient],
    encoding: str,
    encode: Callable[[bytes], bytes],
) -> None:
    async def answer(conn: int, index: int, request: bytes) -> bytes:
        return ok(encode(BODY), f"content-encoding: {encoding}")

    server = await raw_server(answer)
    client = client_for(server.url)
    assert (await client.post("s", {"query": "{ok}"})).body == {"data": {"ok": True}}
    assert b"accept-encoding: gzip, deflate" in server.requests[0]


async def test_compressed_body_past_the_cap_is_refused(
    raw_server: Callable[[Answer], Awaitable[Server]],
    client_for: Callable[..., SubgraphClient],
) -> None:
    big = b'{"data": {"x": "' + b"a" * 100_000 + b'"}}'

    async def answer(conn: int, index: int, request: bytes) -> bytes:
        return ok(gzip.compress(big), "content-encoding: gzip")

    server = await raw_server(answer)
    client = client_for(server.url, max_response_bytes=2000)
    with pytest.raises(SubgraphRequestError) as raised:
        await client.post("s", {"query": "{x}"})
    assert raised.value.code == "SUBREQUEST_MALFORMED_RESPONSE"
    assert "2000 bytes" in raised.value.message


@pytest.mark.parametrize("chunked", [False, True])
async def test_body_past_the_cap_is_refused_and_the_connection_dropped(
    raw_server: Callable[[Answer], Awaitable[Server]],
    client_for: Callable[..., SubgraphClient],
    chunked: bool,
) -> None:
    big = b'{"data": {"x": "' + b"a" * 5000 + b'"}}'
    sent = 0

    async def answer(conn: int, index: int, request: bytes) -> bytes:
        nonlocal sent
        sent += 1
        if sent > 1:
            return ok()
        if chunked:
            return (
                b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n"
                % (
                    len(big),
                    big,
                )
            )
        return ok(big)

    server = await raw_server(answer)
    client = client_for(server.url, max_response_bytes=2000)
    with pytest.raises(SubgraphRequestError) as raised:
        await client.post("s", {"query": "{x}"})
    assert raised.value.code == "SUBREQUEST_MALFORMED_RESPONSE"
    assert raised.value.status == 200
    assert (await client.post("s", {"query": "{ok}"})).body == {"data": {"ok": True}}
    assert server.connections == 2


async def test_connection_closed_by_the_server_while_idle_is_not_reused(
    raw_server: Callable[[Answer], Awaitable[Server]],
    client_for: Callable[..., SubgraphClient],
) -> None:
    async def answer(conn: int, index: int, request: bytes) -> bytes:
        return ok().replace(b"\r\n\r\n", b"\r\n" + CLOSE_AFTER + b"\r\n", 1)

    server = await raw_server(answer)
    client = client_for(server.url)
    await client.post("s", {"query": "{ok}"})
    await asyncio.sleep(0.05)  # the server's close arrives

    assert (await client.post("s", {"query": "{ok}"})).body == {"data": {"ok": True}}
    assert server.connections == 2


async def test_connection_idle_past_the_keep_alive_time_is_not_reused(
    raw_server: Callable[[Answer], Awaitable[Server]],
    client_for: Callable[..., SubgraphClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(http1, "KEEPALIVE_SECONDS", 0.05)

    async def answer(conn: int, index: int, request: bytes) -> bytes:
        return ok()

    server = await raw_server(answer)
    client = client_for(server.url)
    await client.post("s", {"query": "{ok}"})
    await asyncio.sleep(0.1)
    await client.post("s", {"query": "{ok}"})
    assert server.connections == 2


class _ResettingServer:
    """A blocking server in a thread: answers each connection's first request, then,
    once told to, resets that connection (SO_LINGER 0)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/graphql"
        self.reset = threading.Event()
        self.reset_done = threading.Event()
        self.connections = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head, _, body = data.partition(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            while len(body) < length:
                body += conn.recv(65536)
            conn.sendall(ok())
            if self.connections == 1:
                self.reset.wait(5)
                conn.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                conn.close()
                self.reset_done.set()
            else:
                conn.close()

    def close(self) -> None:
        self.sock.close()


async def test_request_written_to_a_reset_connection_is_sent_once_more(
    client_for: Callable[..., SubgraphClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    # No probe: the reset is met only when the request is written.
    monkeypatch.setattr(http1, "PROBE_AFTER_SECONDS", 3600.0)
    server = _ResettingServer()
    try:
        client = client_for(server.url)
        await client.post("s", {"query": "{ok}"})
        server.reset.set()
        server.reset_done.wait(5)
        time.sleep(0.05)  # the reset reaches the socket; the event loop does not run

        response = await client.post("s", {"query": "{ok}"})
    finally:
        server.close()
    assert response.body == {"data": {"ok": True}}
    assert server.connections == 2


async def test_close_the_event_loop_has_not_seen_is_found_before_writing(
    client_for: Callable[..., SubgraphClient],
) -> None:
    server = _ResettingServer()
    try:
        client = client_for(server.url)
        await client.post("s", {"query": "{ok}"})
        server.reset.set()
        server.reset_done.wait(5)
        time.sleep(0.05)

        response = await client.post("s", {"query": "{ok}"})
    finally:
        server.close()
    assert response.body == {"data": {"ok": True}}
    assert server.connections == 2


async def test_timeout_gives_gateway_timeout_and_drops_the_connection(
    raw_server: Callable[[Answer], Awaitable[Server]],
    client_for: Callable[..., SubgraphClient],
) -> None:
    async def answer(conn: int, index: int, request: bytes) -> bytes:
        if conn == 0:
            await asyncio.sleep(1)
        return ok()

    server = await raw_server(answer)
    client = client_for(server.url, timeout=0.1)
    with pytest.raises(SubgraphRequestError) as raised:
        await client.post("s", {"query": "{ok}"})
    assert raised.value.code == "GATEWAY_TIMEOUT"
    assert "0.1 s" in raised.value.message

    assert (await client.post("s", {"query": "{ok}"})).body == {"data": {"ok": True}}
    assert server.connections == 2


async def test_error_status_without_a_graphql_body_is_an_http_error(
    raw_server: Callable[[Answer], Awaitable[Server]],
    client_for: Callable[..., SubgraphClient],
) -> None:
    async def answer(conn: int, index: int, request: bytes) -> bytes:
        return b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 4\r\n\r\nbusy"

    server = await raw_server(answer)
    client = client_for(server.url)
    with pytest.raises(SubgraphRequestError) as raised:
        await client.post("s", {"query": "{ok}"})
    assert raised.value.code == "SUBREQUEST_HTTP_ERROR"
    assert raised.value.status == 503
    assert raised.value.message == (
        "HTTP fetch failed from 's': 503: Service Unavailable"
    )


async def test_error_status_with_a_graphql_body_keeps_the_body(
    raw_server: Callable[[Answer], Awaitable[Server]],
    client_for: Callable[..., SubgraphClient],
) -> None:
    body = orjson.dumps({"errors": [{"message": "busy"}]})

    async def answer(conn: int, index: int, request: bytes) -> bytes:
        return ok(body).replace(b"200 OK", b"429 Too Many Requests", 1)

    server = await raw_server(answer)
    response = await client_for(server.url).post("s", {"query": "{ok}"})
    assert response.status == 429
    assert response.body == {"errors": [{"message": "busy"}]}
    assert response.headers["Content-Type"] == "application/json"


async def test_interim_answer_is_skipped(
    raw_server: Callable[[Answer], Awaitable[Server]],
    client_for: Callable[..., SubgraphClient],
) -> None:
    async def answer(conn: int, index: int, request: bytes) -> bytes:
        return b"HTTP/1.1 100 Continue\r\n\r\n" + ok()

    server = await raw_server(answer)
    response = await client_for(server.url).post("s", {"query": "{ok}"})
    assert response.status == 200
    assert response.body == {"data": {"ok": True}}


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (b"SPEAKING NO HTTP\r\n\r\n", "invalid HTTP response"),
        (
            b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 50\r\n\r\n{",
            "closed the connection",
        ),
        (None, "closed the connection"),
    ],
)
async def test_broken_answers_are_http_errors(
    raw_server: Callable[[Answer], Awaitable[Server]],
    client_for: Callable[..., SubgraphClient],
    reply: bytes | None,
    expected: str,
) -> None:
    async def answer(conn: int, index: int, request: bytes) -> bytes | None:
        return reply

    server = await raw_server(answer)
    client = client_for(server.url)
    with pytest.raises(SubgraphRequestError) as raised:
        await client.post("s", {"query": "{ok}"})
    assert raised.value.code == "SUBREQUEST_HTTP_ERROR"
    assert expected in raised.value.message


async def test_connection_refused_is_an_http_error(
    client_for: Callable[..., SubgraphClient],
) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    client = client_for(f"http://127.0.0.1:{port}/graphql")
    with pytest.raises(SubgraphRequestError) as raised:
        await client.post("s", {"query": "{ok}"})
    assert raised.value.code == "SUBREQUEST_HTTP_ERROR"
    assert f"cannot connect to 127.0.0.1:{port}" in raised.value.message


async def test_header_that_would_split_the_request_is_refused(
    raw_server: Callable[[Answer], Awaitable[Server]],
    client_for: Callable[..., SubgraphClient],
) -> None:
    async def answer(conn: int, index: int, request: bytes) -> bytes:
        return ok()

    server = await raw_server(answer)
    client = client_for(server.url)
    with pytest.raises(SubgraphRequestError) as raised:
        await client.post("s", {"query": "{ok}"}, {"x-a": "1\r\nx-b: 2"})
    assert raised.value.code == "SUBREQUEST_HTTP_ERROR"
    assert server.requests == []


async def test_concurrent_requests_each_get_their_own_answer(
    raw_server: Callable[[Answer], Awaitable[Server]],
    client_for: Callable[..., SubgraphClient],
) -> None:
    async def answer(conn: int, index: int, request: bytes) -> bytes:
        query = orjson.loads(request.partition(b"\r\n\r\n")[2])["query"]
        await asyncio.sleep(0.01)
        return ok(orjson.dumps({"data": {"echo": query}}))

    server = await raw_server(answer)
    client = client_for(server.url)
    answers = await asyncio.gather(
        *(client.post("s", {"query": str(n)}) for n in range(20))
    )
    assert [a.body["data"]["echo"] for a in answers] == [str(n) for n in range(20)]
    assert server.connections == 20
    again = await asyncio.gather(
        *(client.post("s", {"query": str(n)}) for n in range(20))
    )
    assert len(again) == 20
    assert server.connections == 20


async def test_shorter_timeout_queued_behind_a_longer_one_fires_on_time(
    raw_server: Callable[[Answer], Awaitable[Server]],
) -> None:
    patient_may_answer = asyncio.Event()

    async def answer(conn: int, index: int, request: bytes) -> bytes:
        if b"slow" in request:
            await patient_may_answer.wait()
        else:
            await asyncio.sleep(2.0)
        return ok()

    server = await raw_server(answer)
    client = SubgraphClient(
        {
            "patient": SubgraphEndpoint("patient", server.url, timeout=5.0),
            "hasty": SubgraphEndpoint("hasty", server.url, timeout=0.1),
        }
    )
    try:
        patient = asyncio.ensure_future(client.post("patient", {"query": "slow"}))
        await asyncio.sleep(0.01)
        with pytest.raises(SubgraphRequestError) as raised:
            await asyncio.wait_for(client.post("hasty", {"query": "{ok}"}), 30)
        # The patient request is still unanswered (it answers only when released):
        # the hasty one's timeout fired without waiting for it.
        assert not patient.done()
        patient_may_answer.set()
        assert (await patient).body == {"data": {"ok": True}}
    finally:
        await client.close()
    assert raised.value.code == "GATEWAY_TIMEOUT"


async def test_url_that_http1_does_not_handle_goes_through_aiohttp(
    raw_server: Callable[[Answer], Awaitable[Server]],
    client_for: Callable[..., SubgraphClient],
) -> None:
    # Credentials in the URL (like https) are left to aiohttp, which sends them as
    # basic authentication.
    async def answer(conn: int, index: int, request: bytes) -> bytes:
        return ok(BODY, "connection: close")

    server = await raw_server(answer)
    client = client_for(server.url.replace("http://", "http://user:secret@"))
    response = await client.post("s", {"query": "{ok}"}, {"x-a": "1"})
    assert response.body == {"data": {"ok": True}}
    head = server.requests[0].partition(b"\r\n\r\n")[0].lower()
    assert b"authorization: basic dxnlcjpzzwnyzxq=" in head
    assert b"x-a: 1" in head
