"""A client for incremental `@defer` responses in the server tests: reads a
`multipart/mixed;deferSpec=20220824` answer part by part as it arrives, and merges the
payloads the way a client does."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

ACCEPT = "multipart/mixed;deferSpec=20220824, application/json"
CONTENT_TYPE = 'multipart/mixed;boundary="graphql";deferSpec=20220824'
WAIT = 20.0  # seconds: only a bound for a broken router, never a measurement


class Stream:
    """A multipart response read part by part as it arrives."""

    def __init__(
        self,
        url: str,
        query: str,
        variables: Any = None,
        fields: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        parts = urlsplit(url)
        self.connection = http.client.HTTPConnection(
            parts.hostname, parts.port, timeout=WAIT
        )
        payload: dict[str, Any] = {"query": query, **(fields or {})}
        if variables is not None:
            payload["variables"] = variables
        self.connection.request(
            "POST",
            parts.path,
            json.dumps(payload),
            {"content-type": "application/json", "accept": ACCEPT, **(headers or {})},
        )
        self._response: http.client.HTTPResponse | None = None
        self.raw = b""
        self._buffer = b""
        self.closed = False

    @property
    def response(self) -> http.client.HTTPResponse:
        """The response (its head comes with the first part)."""
        if self._response is None:
            self._response = self.connection.getresponse()
        return self._response

    def next_part(self) -> dict[str, Any] | None:
        """The next payload, waiting for it; None once the closing delimiter came."""
        while True:
            start = self._buffer.find(b"\r\n\r\n")
            end = self._buffer.find(b"\r\n--graphql", max(start, 0))
            if start >= 0 and end >= 0:
                part = self._buffer[start + 4 : end]
                self._buffer = self._buffer[end + len(b"\r\n--graphql") :]
                if self._buffer.startswith(b"--"):
                    self.closed = True
                return dict(json.loads(part))
            if self.closed:
                return None
            chunk = self.response.read1(65536)
            if not chunk:
                return None
            self.raw += chunk
            self._buffer += chunk

    def rest(self) -> list[dict[str, Any]]:
        payloads = []
        while (payload := self.next_part()) is not None:
            payloads.append(payload)
        self.raw += self.response.read()
        self.connection.close()
        return payloads


def merge_parts(payloads: list[dict[str, Any]]) -> dict[str, Any]:
    """What a client holds after applying every payload: the first one's data with
    each item's data merged at its path, and every error. Each item's path must lead
    to an object the client already has."""
    first, *later = payloads
    data = first.get("data")
    errors = list(first.get("errors", ()))
    for payload in later:
        for item in payload.get("incremental", ()):
            errors += item.get("errors", ())
            if item["data"] is None:
                continue
            target: Any = data
            for key in item["path"]:
                target = target[key]
            _deep_merge(target, item["data"])
    return {"data": data, "errors": errors}


def _deep_merge(target: dict[str, Any], source: dict[str, Any]) -> None:
    for key, value in source.items():
        old = target.get(key)
        if isinstance(old, dict) and isinstance(value, dict):
            _deep_merge(old, value)
        elif isinstance(old, list) and isinstance(value, list):
            for mine, theirs in zip(old, value, strict=True):
                if isinstance(mine, dict) and isinstance(theirs, dict):
                    _deep_merge(mine, theirs)
        else:
            target[key] = value
