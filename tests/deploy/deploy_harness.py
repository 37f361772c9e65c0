"""Helpers for tests/deploy: deploy/Dockerfile read as Docker reads it (instructions
per stage, exec-form arguments) and the build context that .dockerignore leaves.

No Docker engine runs on our machines (only the client), so the image is checked by
parsing its Dockerfile and by building its package the way its build stage does.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Instruction", "Stage", "ignored", "parse_dockerfile", "read_dockerignore"]


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case: FROM, COPY, USER...
    arguments: str  # the rest of the line, continuations joined

    def exec_form(self) -> list[str]:
        """The JSON array of a CMD, ENTRYPOINT or HEALTHCHECK CMD (after its options)."""
        text = self.arguments
        if self.keyword == "HEALTHCHECK":
            text = text[text.index(" CMD ") + len(" CMD ") :]
        argv = json.loads(text)
        assert isinstance(argv, list) and all(isinstance(a, str) for a in argv), text
        return argv

    def options(self) -> dict[str, str]:
        """`--name=value` options before the arguments (COPY --from=..., HEALTHCHECK)."""
        return dict(re.findall(r"--([a-z-]+)=(\S+)", self.arguments.split(" CMD ")[0]))

    def plain_arguments(self) -> list[str]:
        """The arguments after any `--option=value` (a COPY's sources and destination)."""
        return [a for a in self.arguments.split() if not a.startswith("--")]


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction:
        found = self.all(keyword)
        assert found, f"no {keyword} in the stage FROM {self.base}"
        return found[-1]


def parse_dockerfile(path: Path) -> list[Stage]:
    stages: list[Stage] = []
    logical = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not logical and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):  # a comment inside a continued instruction
            continue
        if line.endswith("\\"):
            logical += line[:-1].strip() + " "
            continue
        logical += line
        keyword, _, arguments = logical.partition(" ")
        logical = ""
        instruction = Instruction(keyword.upper(), arguments.strip())
        if instruction.keyword == "FROM":
            words = instruction.arguments.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(words[0], name))
        else:
            assert stages, f"{path}: {keyword} before FROM"
            stages[-1].instructions.append(instruction)
    return stages


def read_dockerignore(path: Path) -> list[re.Pattern[str]]:
    """The patterns of a .dockerignore as regular expressions over context paths."""
    patterns: list[re.Pattern[str]] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        assert not line.startswith("!"), "exceptions are not handled here"
        regex = ""
        i = 0
        while i < len(line):
            if line.startswith("**/", i):
                regex += "(?:.*/)?"
                i += 3
            elif line.startswith("**", i):
                regex += ".*"
                i += 2
            elif line[i] == "*":
                regex += "[^/]*"
                i += 1
            elif line[i] == "?":
                regex += "[^/]"
                i += 1
            else:
                regex += re.escape(line[i])
                i += 1
        patterns.append(re.compile(regex.strip("/")))
    return patterns


def ignored(relative: str, patterns: list[re.Pattern[str]]) -> bool:
    """Whether a path of the context (or a folder above it) is left out."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    return any(p.fullmatch(prefix) for p in patterns for prefix in prefixes)
