"""A test subgraph whose schema uses `@authenticated` and `@requiresScopes`, and which
records every query it is sent.

`python tests/policies/authorization/vault.py --port 0` prints its URL like the example
subgraphs do; `GET /received` answers the queries received so far (a JSON list) and
`DELETE /received` forgets them, so a test can assert on what the router sent.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import strawberry
from strawberry.federation.schema_directives import Authenticated, RequiresScopes

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from subgraphs import _serve

__all__ = ["schema"]


@strawberry.federation.type(
    directives=[RequiresScopes(scopes=[["read:a", "read:b"], ["admin"]])]  # type: ignore[list-item]
)
class Report:
    title: str | None


@strawberry.federation.type(keys=["id"])
class Account:
    id: strawberry.ID
    name: str
    email: str | None = strawberry.federation.field(
        directives=[RequiresScopes(scopes=[["read:email"]])]  # type: ignore[list-item]
    )
    balance: int = strawberry.federation.field(directives=[Authenticated()])

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Account:
        return _account(int(id))


def _account(n: int) -> Account:
    return Account(
        id=strawberry.ID(str(n)),
        name=f"account {n}",
        email=f"a{n}@example.com",
        balance=100 * n,
    )


Hit = Annotated[Account | Report, strawberry.union("Hit")]


@strawberry.type
class Query:
    @strawberry.field
    def public_info(self) -> str:
        return "hello"

    @strawberry.field
    def account(self, id: strawberry.ID) -> Account | None:
        return _account(int(id))

    @strawberry.field
    def accounts(self) -> list[Account]:
        return [_account(1), _account(2)]

    @strawberry.field(directives=[Authenticated()])
    def viewer(self) -> Account | None:
        return _account(1)

    @strawberry.field(directives=[RequiresScopes(scopes=[["admin"]])])  # type: ignore[list-item]
    def admin_note(self) -> str | None:
        return "for admins"

    @strawberry.field
    def report(self) -> Report | None:
        return Report(title="quarterly")

    @strawberry.field
    def hits(self) -> list[Hit]:
        return [_account(3), Report(title="annual")]


schema = strawberry.federation.Schema(
    query=Query, types=[Account, Report], federation_version="2.5"
)


def _recording(app: Any) -> Any:
    received: list[str] = []

    async def recorded(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope.get("path") == "/received":
            if scope.get("method") == "DELETE":
                received.clear()
            await _serve._respond(send, 200, json.dumps(received).encode())
            return
        if scope["type"] != "http" or scope.get("path") != _serve.GRAPHQL_PATH:
            await app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        with contextlib.suppress(ValueError):
            received.append(json.loads(body).get("query", ""))
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await app(scope, replay, send)

    return recorded


if __name__ == "__main__":
    build = _serve.build_app
    _serve.build_app = lambda s, stats=None: _recording(build(s, stats))  # type: ignore[assignment]
    raise SystemExit(_serve.main("vault", schema, 0))
