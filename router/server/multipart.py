"""Incremental responses over HTTP: `multipart/mixed;deferSpec=20220824`, as Apollo
Router writes it.

A client asks for it with an Accept entry `multipart/mixed` whose `deferSpec` is
`20220824` (Apollo Client sends `multipart/mixed;deferSpec=20220824,application/json`);
only a deferred operation is answered this way, anything else as JSON. The body is
Apollo Router's framing byte for byte (`protocols/multipart.rs`): each payload is a
part `\\r\\n--graphql\\r\\ncontent-type: application/json\\r\\n\\r\\n<json>`, and the last
one ends with the closing delimiter `\\r\\n--graphql--\\r\\n`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Iterable
from typing import Any

import orjson

from router.plugins.plugin import error_codes_of
from router.server.incremental import Payloads

__all__ = [
    "MULTIPART_DEFER_CONTENT_TYPE",
    "accepts_multipart_defer",
    "first_part",
    "later_parts",
]

logger = logging.getLogger(__name__)

MULTIPART_DEFER_CONTENT_TYPE = 'multipart/mixed;boundary="graphql";deferSpec=20220824'

_FIRST = b"\r\n--graphql\r\ncontent-type: application/json\r\n\r\n"
_NEXT = b"\r\ncontent-type: application/json\r\n\r\n"
_DELIMITER = b"\r\n--graphql"
_CLOSE = b"\r\n--graphql--\r\n"
_LAST = _NEXT + b'{"hasNext":false}' + _CLOSE


def accepts_multipart_defer(accept_values: Iterable[str]) -> bool:
    """Does one of the Accept header values allow `multipart/mixed;deferSpec=20220824`?
    (An entry with `q=0` refuses it.)"""
    for value in accept_values:
        for entry in value.split(","):
            media, _, params = entry.partition(";")
            if media.strip().lower() != "multipart/mixed":
                continue
            spec = False
            refused = False
            for param in params.split(";"):
                name, _, raw = param.partition("=")
                name = name.strip().lower()
                raw = raw.strip().strip('"')
                if name == "deferspec" and raw == "20220824":
                    spec = True
                elif name == "q":
                    try:
                        refused = float(raw) <= 0
                    except ValueError:
                        refused = True
            if spec and not refused:
                return True
    return False


def first_part(body: dict[str, Any]) -> bytes:
    """The bytes that open the response and carry the first payload."""
    return _FIRST + orjson.dumps(body) + _DELIMITER


async def later_parts(
    payloads: Payloads, error_codes: list[str]
) -> AsyncGenerator[bytes, None]:
    """Each later payload's part as it comes, the last one closing the body; the codes
    of the items' errors are added to `error_codes` on the way (telemetry reads them
    when the stream ends). A failure, or payloads that end without `hasNext: false`,
    still closes the body properly."""
    closed = False
    try:
        async for payload in payloads:
            for item in payload.get("incremental", ()):
                error_codes += error_codes_of(item.get("errors"))
            closed = payload.get("hasNext") is False
            yield _NEXT + orjson.dumps(payload) + (_CLOSE if closed else _DELIMITER)
            if closed:
                break
    except Exception:
        logger.exception("unexpected failure while streaming deferred parts")
    finally:
        await payloads.aclose()
    if not closed:
        yield _LAST
