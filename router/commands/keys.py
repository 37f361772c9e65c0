"""`router keys create|revoke|list`: manage the API keys of `authentication.router.api_keys`.

The store (a JSON file or Redis) comes from router.yaml, or `--file`. A key is
`<prefix>_<random>`; only its SHA-256 hash is stored, and `create` prints the key once.
"""

from __future__ import annotations

import argparse
import secrets
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import redis

from router.commands.common import CommandError, load
from router.config import parse_duration
from router.config.authentication import ApiKeysConfig
from router.plugins.authentication.api_keys import (
    ApiKeyRecord,
    FileKeyStore,
    hash_key,
    new_key,
)

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "keys",
        help="create, revoke and list API keys",
        description="Manage the API keys of authentication.router.api_keys.",
    )
    parser.add_argument("--config", default="router.yaml", help="router.yaml path")
    parser.add_argument("--file", help="key file (instead of router.yaml's store)")
    parser.add_argument("--prefix", help="key prefix (default: router.yaml's or rk)")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a key and print it once")
    create.add_argument("--consumer", required=True, help="who the key belongs to")
    create.add_argument("--plan", help="the consumer's plan (a rate-limit tier)")
    create.add_argument("--expires-in", help="a duration such as 30d or 12h")
    revoke = actions.add_parser("revoke", help="mark a key inactive")
    revoke.add_argument("id", help="the key id that `create` and `list` show")
    actions.add_parser("list", help="list keys (ids, consumers, plans, states)")
    parser.set_defaults(run=run)


def _settings(args: argparse.Namespace) -> ApiKeysConfig:
    if args.file:
        return ApiKeysConfig(file=args.file, prefix=args.prefix or "rk")
    config, _ = load(args.config)
    settings = config.authentication.router.api_keys
    if settings is None:
        raise CommandError(
            f"{args.config}: authentication.router.api_keys is not configured "
            "(or pass --file)"
        )
    return settings


def run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    prefix = args.prefix or settings.prefix
    store = _Store(settings)
    if args.action == "create":
        expires = None
        if args.expires_in:
            try:
                seconds = parse_duration(args.expires_in)
            except ValueError as exc:
                raise CommandError(f"--expires-in: {exc}") from None
            expires = (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()
        raw = new_key(prefix)
        record = ApiKeyRecord(
            id=secrets.token_hex(6),
            hash=hash_key(raw),
            consumer=args.consumer,
            plan=args.plan,
            expires_at=expires,
            created_at=datetime.now(UTC).isoformat(),
        )
        store.put(record)
        print(f"id: {record.id}")
        print(f"key: {raw}")
        print("(the key is shown once; only its hash is stored)")
    elif args.action == "revoke":
        found = next((r for r in store.all() if r.id == args.id), None)
        if found is None:
            raise CommandError(f"no key with id {args.id!r}")
        store.put(replace(found, active=False))
        print(f"revoked {found.id} ({found.consumer})")
    else:
        for r in store.all():
            state = "active" if r.active else "revoked"
            print(
                f"{r.id}\t{r.consumer}\t{r.plan or '-'}\t{state}\t"
                f"expires {r.expires_at or 'never'}"
            )
    return 0


class _Store:
    """The file or Redis store, synchronously, for the CLI."""

    def __init__(self, settings: ApiKeysConfig) -> None:
        self._file = None if settings.file is None else FileKeyStore(settings.file)
        self._redis = settings.redis

    def all(self) -> list[ApiKeyRecord]:
        if self._file is not None:
            return self._file.load()
        client, prefix = self._client()
        records = []
        for key in client.scan_iter(match=prefix + "*"):
            data: dict[str, Any] = {str(k): v for k, v in client.hgetall(key).items()}
            records.append(
                ApiKeyRecord.from_mapping({**data, "hash": key[len(prefix) :]})
            )
        return records

    def put(self, record: ApiKeyRecord) -> None:
        if self._file is not None:
            others = [r for r in self._file.load() if r.hash != record.hash]
            self._file.save([*others, record])
            return
        client, prefix = self._client()
        fields: dict[Any, Any] = {
            "id": record.id,
            "consumer": record.consumer,
            "plan": record.plan or "",
            "expires_at": record.expires_at or "",
            "active": "1" if record.active else "0",
            "created_at": record.created_at or "",
        }
        client.hset(prefix + record.hash, mapping=fields)

    def _client(self) -> tuple[redis.Redis, str]:
        assert self._redis is not None
        return (
            redis.Redis.from_url(self._redis.url, decode_responses=True),
            self._redis.key_prefix,
        )
