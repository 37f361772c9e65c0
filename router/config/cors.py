"""`cors` and `csrf`: Apollo Router's keys, meanings and defaults.

https://www.apollographql.com/docs/graphos/routing/security/cors and
https://www.apollographql.com/docs/graphos/routing/security/csrf.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, field_validator

from router.config.duration import Duration

__all__ = ["CorsConfig", "CsrfConfig"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CorsConfig(_Strict):
    """`cors`. With `allow_headers` empty the preflight mirrors the headers the browser
    asks for (Apollo's behaviour); `origins` are exact, `match_origins` regexes."""

    allow_any_origin: bool = False
    allow_credentials: bool = False
    allow_headers: list[str] = []
    expose_headers: list[str] | None = None
    methods: list[str] = ["GET", "POST", "OPTIONS"]
    max_age: Duration | None = None
    origins: list[str] = ["https://studio.apollographql.com"]
    match_origins: list[str] | None = None

    @field_validator("match_origins")
    @classmethod
    def _regexes(cls, value: list[str] | None) -> list[str] | None:
        for pattern in value or ():
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(
                    f"{pattern!r} is not a valid regular expression: {exc}"
                ) from None
        return value

    @field_validator("methods")
    @classmethod
    def _methods(cls, value: list[str]) -> list[str]:
        for method in value:
            if not method or not method.isalpha():
                raise ValueError(f"{method!r} is not an HTTP method")
        return [m.upper() for m in value]


class CsrfConfig(_Strict):
    """`csrf`: on by default. A request a browser could send without a CORS preflight
    must carry one of `required_headers`, non-empty."""

    unsafe_disabled: bool = False
    required_headers: list[str] = [
        "x-apollo-operation-name",
        "apollo-require-preflight",
    ]
