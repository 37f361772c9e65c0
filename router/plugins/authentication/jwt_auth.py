"""JWT verification against the JWKS sources (Apollo Router's `authentication.router.jwt`).

Refused, each with its own message (never key material): `alg: none` and HMAC
algorithms (a JWKS holds public keys: an HS256 token "signed" with the public key is
the algorithm-confusion attack), algorithms an entry does not allow, unknown `kid`s,
bad signatures, expired or not-yet-valid tokens (with `leeway`), wrong issuer or
audience, and malformed tokens.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

import aiohttp
import jwt

from router.config.authentication import JwtConfig
from router.plugins.authentication.jwks import JwksKey, JwksSource
from router.plugins.context import RequestContext

__all__ = ["ASYMMETRIC", "JwtFailure", "JwtVerifier"]

ASYMMETRIC = frozenset(
    {
        "RS256",
        "RS384",
        "RS512",
        "PS256",
        "PS384",
        "PS512",
        "ES256",
        "ES384",
        "ES512",
        "EdDSA",
    }
)
_KEY_TYPE = {"R": "RSA", "P": "RSA", "E": "EC"}


class JwtFailure(Exception):
    """A token that does not authenticate; the message is safe to send."""


def _kty_for(alg: str) -> str:
    return "OKP" if alg == "EdDSA" else _KEY_TYPE[alg[0]]


class JwtVerifier:
    def __init__(self, config: JwtConfig) -> None:
        self.config = config
        self.sources = [JwksSource(entry) for entry in config.jwks]
        self._session: aiohttp.ClientSession | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            trust_env=False, timeout=aiohttp.ClientTimeout(total=None)
        )
        await asyncio.gather(
            *(s.refresh(self._session, eager=False) for s in self.sources)
        )
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(s.poll(self._session)) for s in self.sources]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._session is not None:
            await self._session.close()

    def token_of(self, context: RequestContext) -> str | None:
        """The token from the configured sources (default: `header_name` with
        `header_value_prefix`); None when the request carries none."""
        sources: Sequence[tuple[str, str, str]] = [
            (s.type, s.name, s.value_prefix) for s in self.config.sources
        ] or [("header", self.config.header_name, self.config.header_value_prefix)]
        for kind, name, prefix in sources:
            if kind == "cookie":
                token = _cookie(context.headers.get("cookie", ""), name)
                if token:
                    return token
                continue
            value = context.headers.get(name.lower())
            if value is None:
                continue
            value = value.strip()
            if not prefix:
                return value
            head, _, rest = value.partition(" ")
            if head.lower() == prefix.lower() and rest.strip():
                return rest.strip()
            if self.config.ignore_other_prefixes and head.lower() != prefix.lower():
                continue
            raise JwtFailure(f"Header {name} must be of the form '{prefix} <token>'")
        return None

    async def verify(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise JwtFailure("The JWT is malformed") from None
        alg = header.get("alg")
        kid = header.get("kid")
        if not isinstance(alg, str) or alg not in ASYMMETRIC:
            raise JwtFailure(f"The JWT algorithm {str(alg)[:20]!r} is not allowed")
        if kid is not None and not isinstance(kid, str):
            raise JwtFailure("The JWT is malformed")
        candidates = self._candidates(alg, kid)
        if not candidates and kid is not None and self._session is not None:
            await asyncio.gather(
                *(s.refresh(self._session, eager=True) for s in self.sources)
            )
            candidates = self._candidates(alg, kid)
        if not candidates:
            raise JwtFailure("No key matches the JWT (unknown kid or algorithm)")
        failure: JwtFailure | None = None
        for source, key in candidates:
            try:
                return self._decode(token, alg, source, key)
            except JwtFailure as exc:
                failure = failure or exc
                if not str(exc).startswith("The JWT signature"):
                    raise
        assert failure is not None
        raise failure

    def _candidates(
        self, alg: str, kid: str | None
    ) -> list[tuple[JwksSource, JwksKey]]:
        found = []
        for source in self.sources:
            allowed = source.entry.algorithms
            if allowed is not None and alg not in allowed:
                continue
            for key in source.matching(kid):
                if key.kty != _kty_for(alg) or (key.alg is not None and key.alg != alg):
                    continue
                found.append((source, key))
        return found

    def _decode(
        self, token: str, alg: str, source: JwksSource, key: JwksKey
    ) -> dict[str, Any]:
        audiences = source.entry.audiences
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                audience=audiences,
                issuer=source.issuers,
                leeway=self.config.leeway,
                options={"require": ["exp"], "verify_aud": audiences is not None},
            )
        except jwt.ExpiredSignatureError:
            raise JwtFailure("The JWT has expired") from None
        except jwt.ImmatureSignatureError:
            raise JwtFailure(
                "The JWT is not valid yet (nbf or iat in the future)"
            ) from None
        except jwt.InvalidIssuerError:
            raise JwtFailure("The JWT issuer is not accepted") from None
        except jwt.InvalidAudienceError:
            raise JwtFailure("The JWT audience is not accepted") from None
        except jwt.MissingRequiredClaimError as exc:
            raise JwtFailure(f"The JWT lacks the {exc.claim!r} claim") from None
        except jwt.InvalidSignatureError:
            raise JwtFailure("The JWT signature is invalid") from None
        except (jwt.PyJWTError, ValueError, TypeError):
            raise JwtFailure(
                "The JWT is malformed or its signature is invalid"
            ) from None
        return claims


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value
    return None
