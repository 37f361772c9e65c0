"""HTTP/1.1 over a raw socket: requests no client library would send.

`exchange` writes the given bytes (optionally in slow pieces) and reads one response,
framed by Content-Length or chunked encoding, or by the server closing the connection.
Enough HTTP to judge a server's answer to hostile input; not a general client.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = ["RawReply", "exchange", "request_bytes"]


@dataclass
class RawReply:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body)


def request_bytes(
    method: str,
    target: str,
    host: str,
    body: bytes = b"",
    headers: Iterable[tuple[str, str]] = (),
    *,
    content_length: bool = True,
) -> bytes:
    """One HTTP/1.1 request, `Connection: close`, headers given as they are."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers]
    if content_length and (body or method in ("POST", "PUT")):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def exchange(
    url: str,
    pieces: bytes | Iterable[bytes],
    *,
    pause: float = 0.0,
    timeout: float = 10.0,
    shut_write: bool = False,
) -> RawReply:
    """Sends `pieces` to the server of `url` (sleeping `pause` between them), reads the
    answer. A server that answers early and closes while we still send is fine.
    `shut_write` half-closes the connection after the last piece (a client that gives
    up mid-body)."""
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    started = time.monotonic()
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as s:
        chunks = [pieces] if isinstance(pieces, bytes) else list(pieces)
        try:
            for index, chunk in enumerate(chunks):
                if index and pause:
                    time.sleep(pause)
                s.sendall(chunk)
            if shut_write:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass
        raw = _read_response(s)
    return _parse(raw, time.monotonic() - started)


def _read_response(s: socket.socket) -> bytes:
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
        if _complete(data):
            break
    return data


def _complete(data: bytes) -> bool:
    head, sep, body = _skip_interim(data).partition(b"\r\n\r\n")
    if not sep:
        return False
    headers = _headers(head)
    if "content-length" in headers:
        return len(body) >= int(headers["content-length"])
    if headers.get("transfer-encoding", "").lower() == "chunked":
        return body.endswith(b"0\r\n\r\n")
    return False


def _headers(head: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return headers


def _skip_interim(data: bytes) -> bytes:
    """Drops `100 Continue` (and any other 1xx) heads before the final response."""
    while data.startswith(b"HTTP/1.1 1") and b"\r\n\r\n" in data:
        data = data.split(b"\r\n\r\n", 1)[1]
    return data


def _parse(raw: bytes, seconds: float) -> RawReply:
    """The response in `raw`; status 0 when the server closed without answering."""
    if not raw:
        return RawReply(0, {}, b"", seconds)
    head, sep, body = _skip_interim(raw).partition(b"\r\n\r\n")
    if not sep:
        raise AssertionError(f"no complete HTTP response: {raw[:200]!r}")
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    status = int(status_line.split()[1])
    headers = _headers(head)
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = _unchunk(body)
    elif "content-length" in headers:
        body = body[: int(headers["content-length"])]
    return RawReply(status, headers, body, seconds)


def _unchunk(body: bytes) -> bytes:
    out = b""
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += rest[:size]
        body = rest[size + 2 :]
    return out
