"""The authentication plugin: JWTs (Apollo Router's keys) and API keys, router stage.

A request with a valid token gets `context.jwt_claims`; one with a valid API key gets
`context.api_key_consumer` and `context.api_key_plan`; header rules and rate limits
read them. A request without a token passes unauthenticated (Apollo's behaviour:
authorization decides what it may see); a bad token is HTTP 401 `UNAUTHENTICATED`,
or, with `on_error: Continue`, passes without claims. A missing API key is a 401 only
when `api_keys.required`; an unknown, revoked or expired one always is.
"""

from __future__ import annotations

import logging

from router.config import RouterConfig
from router.config.authentication import ApiKeysConfig, JwtConfig
from router.plugins.authentication.api_keys import (
    ApiKeyStore,
    FileKeyStore,
    RedisKeyStore,
    hash_key,
    utc_now,
)
from router.plugins.authentication.jwt_auth import JwtFailure, JwtVerifier
from router.plugins.codes import UNAUTHENTICATED
from router.plugins.context import RequestContext
from router.plugins.plugin import HttpResponse, Plugin, RouterNext

__all__ = ["AuthenticationPlugin", "build"]

logger = logging.getLogger(__name__)

JWT_ERROR = "authentication.jwt_error"


def _unauthenticated(message: str, scheme: str) -> HttpResponse:
    return HttpResponse.error(
        UNAUTHENTICATED, message, 401, [("WWW-Authenticate", scheme)]
    )


class AuthenticationPlugin(Plugin):
    name = "authentication"

    def __init__(self, jwt: JwtConfig | None, api_keys: ApiKeysConfig | None) -> None:
        self._jwt = None if jwt is None else JwtVerifier(jwt)
        self._api_keys = api_keys
        self._store: ApiKeyStore | None = None
        if api_keys is not None:
            if api_keys.file is not None:
                self._store = FileKeyStore(api_keys.file)
            elif api_keys.redis is not None:
                self._store = RedisKeyStore(
                    api_keys.redis.url, api_keys.redis.key_prefix
                )

    async def startup(self) -> None:
        if self._jwt is not None:
            await self._jwt.start()

    async def shutdown(self) -> None:
        if self._jwt is not None:
            await self._jwt.stop()
        if self._store is not None:
            await self._store.close()

    async def router(
        self, context: RequestContext, call_next: RouterNext
    ) -> HttpResponse:
        if self._jwt is not None:
            refused = await self._check_jwt(context, self._jwt)
            if refused is not None:
                return refused
        if self._api_keys is not None and self._store is not None:
            refused = await self._check_api_key(context, self._api_keys, self._store)
            if refused is not None:
                return refused
        return await call_next(context)

    async def _check_jwt(
        self, context: RequestContext, verifier: JwtVerifier
    ) -> HttpResponse | None:
        try:
            token = verifier.token_of(context)
            if token is None:
                return None
            context.jwt_claims = await verifier.verify(token)
        except JwtFailure as failure:
            if verifier.config.on_error == "Continue":
                context.values[JWT_ERROR] = str(failure)
                return None
            return _unauthenticated(str(failure), "Bearer")
        return None

    async def _check_api_key(
        self, context: RequestContext, config: ApiKeysConfig, store: ApiKeyStore
    ) -> HttpResponse | None:
        raw = context.headers.get(config.header_name.lower(), "").strip()
        scheme = f'ApiKey header="{config.header_name}"'
        if not raw:
            if config.required:
                return _unauthenticated(
                    f"API key missing: send it in the {config.header_name} header",
                    scheme,
                )
            return None
        if not raw.startswith(config.prefix + "_") or len(raw) > 512:
            return _unauthenticated("API key malformed", scheme)
        try:
            record = await store.find(hash_key(raw))
        except Exception as exc:  # the store is down: fail closed, say so once
            logger.error("API key store failed: %s", exc)
            return _unauthenticated("API key could not be checked", scheme)
        if record is None:
            return _unauthenticated("API key unknown", scheme)
        if not record.active:
            return _unauthenticated("API key revoked (inactive)", scheme)
        if record.expired(utc_now()):
            return _unauthenticated("API key expired", scheme)
        context.api_key_consumer = record.consumer
        context.api_key_plan = record.plan
        return None


def build(config: RouterConfig) -> Plugin | None:
    settings = config.authentication.router
    if settings.jwt is None and settings.api_keys is None:
        return None
    return AuthenticationPlugin(settings.jwt, settings.api_keys)
