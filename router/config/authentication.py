"""`authentication.router`: JWT (Apollo Router's keys) and API keys (ours).

https://www.apollographql.com/docs/graphos/routing/security/jwt
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from router.config.duration import Duration

__all__ = ["ApiKeysConfig", "AuthenticationConfig", "JwksEntry", "JwtConfig"]

# Asymmetric algorithms only: a JWKS holds public keys, and an HMAC "verified" with a
# public key as its secret is the classic algorithm-confusion attack.
JwtAlgorithm = Literal[
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
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class JwksEntry(_Strict):
    """`jwks[i]`: where keys come from (`https://`, `http://` or `file://`), and which
    tokens they may verify."""

    url: str
    issuer: str | None = None  # Apollo's older single-issuer key
    issuers: list[str] | None = None
    audiences: list[str] | None = None
    algorithms: list[JwtAlgorithm] | None = None
    poll_interval: Duration = 60.0
    headers: list[dict[str, str]] = []

    @model_validator(mode="after")
    def _url(self) -> JwksEntry:
        if not self.url.startswith(("http://", "https://", "file://")):
            raise ValueError("url: must be http://, https:// or file://")
        return self

    def allowed_issuers(self) -> list[str] | None:
        issuers = list(self.issuers or [])
        if self.issuer is not None:
            issuers.append(self.issuer)
        return issuers or None


class _Source(_Strict):
    type: Literal["header", "cookie"]
    name: str
    value_prefix: str = "Bearer"


class JwtConfig(_Strict):
    jwks: list[JwksEntry] = Field(min_length=1)
    header_name: str = "Authorization"
    header_value_prefix: str = "Bearer"
    ignore_other_prefixes: bool = False
    sources: list[_Source] = []
    on_error: Literal["Error", "Continue"] = "Error"
    # Seconds of clock skew allowed on exp and nbf (jsonwebtoken's default, as Apollo's).
    leeway: Duration = 60.0


class _FileStore(_Strict):
    file: str


class _RedisStore(_Strict):
    url: str = "redis://127.0.0.1:6379"
    key_prefix: str = "router:apikeys:"


class ApiKeysConfig(_Strict):
    """API keys `<prefix>_<random>`, stored as SHA-256 hashes (`router keys` manages
    them). A request without a key passes unless `required`."""

    header_name: str = "x-api-key"
    prefix: str = Field(default="rk", pattern=r"^[A-Za-z0-9]+$")
    required: bool = True
    file: str | None = None
    redis: _RedisStore | None = None

    @model_validator(mode="after")
    def _one_store(self) -> ApiKeysConfig:
        if (self.file is None) == (self.redis is None):
            raise ValueError("give exactly one store: 'file' or 'redis'")
        return self


class _RouterAuthentication(_Strict):
    jwt: JwtConfig | None = None
    api_keys: ApiKeysConfig | None = None


class AuthenticationConfig(_Strict):
    router: _RouterAuthentication = _RouterAuthentication()
    # Apollo Router's subgraph SigV4 signing: accepted, not applied.
    subgraph: dict[str, object] | None = None
