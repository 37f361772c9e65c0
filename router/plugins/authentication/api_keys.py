"""API keys: `<prefix>_<random>`, stored as SHA-256 hashes with their consumer.

A store holds, per key hash: the consumer id, the plan (a rate-limit tier), an expiry
(ISO 8601 or none) and an active flag; never the key itself, which `router keys
create` prints once. Two stores: a JSON file (re-read when it changes, checked at
most every `FILE_CHECK` seconds) and Redis (one hash per key,
`<key_prefix><sha256>`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import secrets
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

__all__ = [
    "ApiKeyRecord",
    "ApiKeyStore",
    "FileKeyStore",
    "RedisKeyStore",
    "hash_key",
    "new_key",
]

FILE_CHECK = 1.0


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def new_key(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    id: str
    hash: str
    consumer: str
    plan: str | None = None
    expires_at: str | None = None
    active: bool = True
    created_at: str | None = None

    def expired(self, now: datetime) -> bool:
        if self.expires_at is None:
            return False
        try:
            moment = datetime.fromisoformat(self.expires_at)
        except ValueError:
            return True  # an unreadable expiry fails closed
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment <= now

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> ApiKeyRecord:
        return cls(
            id=str(data.get("id") or data["hash"][:12]),
            hash=str(data["hash"]),
            consumer=str(data["consumer"]),
            plan=None if data.get("plan") in (None, "") else str(data["plan"]),
            expires_at=data.get("expires_at") or None,
            active=data.get("active", True) not in (False, "0", "false", 0),
            created_at=data.get("created_at"),
        )


class ApiKeyStore(Protocol):
    async def find(self, key_hash: str) -> ApiKeyRecord | None: ...

    async def close(self) -> None: ...


class FileKeyStore:
    """`{"keys": [record, ...]}` in a JSON file; re-read when its mtime changes."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._by_hash: dict[str, ApiKeyRecord] = {}
        self._stamp: float | None = None
        self._checked = 0.0
        self._reading: asyncio.Future[None] | None = None

    def load(self) -> list[ApiKeyRecord]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        return [ApiKeyRecord.from_mapping(item) for item in raw.get("keys", [])]

    def save(self, records: list[ApiKeyRecord]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(
            json.dumps({"keys": [asdict(r) for r in records]}, indent=2) + "\n",
            encoding="utf-8",
        )
        os.chmod(temporary, 0o600)
        temporary.replace(self.path)

    async def find(self, key_hash: str) -> ApiKeyRecord | None:
        now = time.monotonic()
        if now - self._checked >= FILE_CHECK:
            self._checked = now
            self._reading = asyncio.ensure_future(
                asyncio.to_thread(self._reload_if_changed)
            )
        reading = self._reading
        if reading is not None and not reading.done():
            # Every lookup made while the file is being read waits for it: the
            # first read of a store starts from no keys at all.
            await asyncio.shield(reading)
        return self._by_hash.get(key_hash)

    def _reload_if_changed(self) -> None:
        try:
            stamp = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            self._by_hash, self._stamp = {}, None
            return
        if stamp != self._stamp:
            self._by_hash = {r.hash: r for r in self.load()}
            self._stamp = stamp

    async def close(self) -> None:
        return None


class RedisKeyStore:
    """One Redis hash per key at `<key_prefix><sha256>`."""

    def __init__(self, url: str, key_prefix: str) -> None:
        import redis.asyncio as aioredis

        self._client = aioredis.Redis.from_url(
            url, socket_timeout=1.0, socket_connect_timeout=1.0, decode_responses=True
        )
        self._prefix = key_prefix

    async def find(self, key_hash: str) -> ApiKeyRecord | None:
        raw = await self._client.hgetall(self._prefix + key_hash)
        if not raw:
            return None
        data: dict[str, Any] = {str(k): v for k, v in raw.items()}
        return ApiKeyRecord.from_mapping({**data, "hash": key_hash})

    async def close(self) -> None:
        await self._client.aclose()


def utc_now() -> datetime:
    return datetime.now(UTC)
