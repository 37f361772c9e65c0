"""A client for incremental `@defer` responses in the server tests: reads a
`multipart/mixed;deferSpec=20220824` answer part by part as it arrives, and merges the
payloads the way a client does."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

from support.incremental import merge_parts

__all__ = ["ACCEPT", "CONTENT_TYPE", "WAIT", "Stream", "merge_parts"]

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
