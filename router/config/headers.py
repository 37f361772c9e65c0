"""`headers`: Apollo Router's header rules, plus response rules of our own.

https://www.apollographql.com/docs/graphos/routing/header-propagation. Rules run in
order, `all` first, then `subgraphs.<name>`. Each rule is a one-key mapping:
`propagate` (`named` with `rename`/`default`, or `matching` a regex), `insert` (a
static `value`, `from_jwt_claim`, or `from_context`), `remove` (`named` or `matching`).
`response` rules (not in Apollo Router, asked for by its users) copy subgraph response
headers to the client: `propagate` with `named`/`matching`, `rename`, `default` and
`algorithm` (`first_write`, `last_write`, `append`) for when several subgraphs answer.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "HeaderRule",
    "HeadersConfig",
    "ResponseHeaderRule",
    "SubgraphHeaderRules",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
    return value


def _named_or_matching(named: str | None, matching: str | None) -> None:
    if (named is None) == (matching is None):
        raise ValueError("give exactly one of 'named' or 'matching'")


class _Propagate(_Strict):
    named: str | None = None
    matching: str | None = None
    rename: str | None = None
    default: str | None = None

    _regex = field_validator("matching")(_check_regex)

    @model_validator(mode="after")
    def _one(self) -> _Propagate:
        _named_or_matching(self.named, self.matching)
        if self.matching is not None and (self.rename or self.default):
            raise ValueError("'rename' and 'default' go with 'named', not 'matching'")
        return self


class _Insert(_Strict):
    name: str = Field(min_length=1)
    value: str | None = None
    from_jwt_claim: str | None = None
    from_context: str | None = None

    @model_validator(mode="after")
    def _one(self) -> _Insert:
        given = [
            v
            for v in (self.value, self.from_jwt_claim, self.from_context)
            if v is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of 'value', 'from_jwt_claim' or 'from_context'"
            )
        return self


class _Remove(_Strict):
    named: str | None = None
    matching: str | None = None

    _regex = field_validator("matching")(_check_regex)

    @model_validator(mode="after")
    def _one(self) -> _Remove:
        _named_or_matching(self.named, self.matching)
        return self


class HeaderRule(_Strict):
    """One request rule: exactly one of `propagate`, `insert`, `remove`."""

    propagate: _Propagate | None = None
    insert: _Insert | None = None
    remove: _Remove | None = None

    @model_validator(mode="after")
    def _one(self) -> HeaderRule:
        if sum(x is not None for x in (self.propagate, self.insert, self.remove)) != 1:
            raise ValueError("a rule is exactly one of 'propagate', 'insert', 'remove'")
        return self


class _ResponsePropagate(_Propagate):
    algorithm: Literal["first_write", "last_write", "append"] = "last_write"


class ResponseHeaderRule(_Strict):
    """One response rule: `propagate` a subgraph response header to the client."""

    propagate: _ResponsePropagate


class SubgraphHeaderRules(_Strict):
    """`headers.all` or `headers.subgraphs.<name>`."""

    request: list[HeaderRule] = []
    response: list[ResponseHeaderRule] = []


class HeadersConfig(_Strict):
    all: SubgraphHeaderRules = SubgraphHeaderRules()
    subgraphs: dict[str, SubgraphHeaderRules] = {}

    def is_empty(self) -> bool:
        return not (
            self.all.request
            or self.all.response
            or any(r.request or r.response for r in self.subgraphs.values())
        )
