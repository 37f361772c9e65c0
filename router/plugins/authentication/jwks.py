"""JWKS: the public keys JWTs are checked with, fetched and kept fresh.

Each `jwks` entry is fetched at start-up, again every `poll_interval`, and at once
(at most every `MIN_REFETCH` seconds) when a token names a `kid` no key has, so a
rotated key is accepted without a restart; meanwhile the last good key set is
served. `file://` URLs are read from disk. A failed fetch is logged and keeps the
previous keys.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import aiohttp
import jwt
import orjson

from router.config.authentication import JwksEntry

__all__ = ["FETCH_TIMEOUT", "MIN_REFETCH", "JwksKey", "JwksSource"]

logger = logging.getLogger(__name__)

FETCH_TIMEOUT = 10.0
MIN_REFETCH = 5.0


@dataclass(frozen=True, slots=True)
class JwksKey:
    kid: str | None
    kty: str
    alg: str | None
    key: Any


class JwksSource:
    """The keys of one `jwks` entry, with its issuer/audience/algorithm rules."""

    def __init__(self, entry: JwksEntry) -> None:
        self.entry = entry
        self.issuers = entry.allowed_issuers()
        self.keys: tuple[JwksKey, ...] = ()
        self._fetched_at = 0.0
        self._eager_at = -MIN_REFETCH
        self._lock = asyncio.Lock()

    def matching(self, kid: str | None) -> list[JwksKey]:
        if kid is None:
            return list(self.keys)
        return [k for k in self.keys if k.kid == kid]

    async def refresh(self, session: aiohttp.ClientSession, *, eager: bool) -> None:
        """Fetches the key set; `eager` (unknown kid) is throttled by MIN_REFETCH."""
        async with self._lock:
            now = time.monotonic()
            if eager:
                # Unknown kids are the client's to choose: at most one fetch they
                # cause per MIN_REFETCH, whatever they send.
                if now - self._eager_at < MIN_REFETCH:
                    return
                self._eager_at = now
            try:
                document = await self._fetch(session)
                self.keys = _parse(document, self.entry.url)
                self._fetched_at = now
            except Exception as exc:  # a bad fetch keeps the previous keys
                logger.error(
                    "JWKS %s: fetch failed, keeping %d cached key(s): %s",
                    self.entry.url,
                    len(self.keys),
                    exc,
                )

    async def poll(self, session: aiohttp.ClientSession) -> None:
        while True:
            await asyncio.sleep(self.entry.poll_interval)
            await self.refresh(session, eager=False)

    async def _fetch(self, session: aiohttp.ClientSession) -> Any:
        url = self.entry.url
        if url.startswith("file://"):
            path = Path(unquote(urlparse(url).path))
            return orjson.loads(await asyncio.to_thread(path.read_bytes))
        headers = {h["name"]: h["value"] for h in self.entry.headers if "name" in h}
        async with asyncio.timeout(FETCH_TIMEOUT):
            async with session.get(url, headers=headers) as response:
                if response.status != 200:
                    raise ValueError(f"HTTP {response.status}")
                return orjson.loads(await response.read())


def _parse(document: Any, url: str) -> tuple[JwksKey, ...]:
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWKS document (no `keys` list)")
    keys: list[JwksKey] = []
    for item in document["keys"]:
        if not isinstance(item, dict) or item.get("use", "sig") != "sig":
            continue
        try:
            parsed = jwt.PyJWK(item)
        except jwt.PyJWTError as exc:
            logger.warning("JWKS %s: skipping key %s: %s", url, item.get("kid"), exc)
            continue
        keys.append(
            JwksKey(item.get("kid"), str(item.get("kty")), item.get("alg"), parsed.key)
        )
    return tuple(keys)
