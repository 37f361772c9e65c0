"""The load generator: wrk keeping N connections busy for T seconds, driven by a Lua script.

wrk (C, one thread here) costs a small fraction of a core at the rates measured, so the
gateway under test is the bottleneck; the harness reports wrk's own CPU share to show it.
A response counts as an error when its status is not 200 or its body has an `"errors"`
key. In the uncached scenario every request's text differs (a comment naming the run, the
thread and a counter), so neither gateway can reuse a parsed document or a plan.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LoadResult", "run_wrk", "wrk_missing_reason"]

_SCRIPT = """
local threads = {}
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.body = [==[%(body)s]==]
local prefix = [==[%(prefix)s]==]
local suffix = [==[%(suffix)s]==]
local distinct = %(distinct)s

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
  n = 0
end

if distinct then
  function request()
    n = n + 1
    return wrk.format(nil, nil, nil, prefix .. "%(tag)s-" .. id .. "-" .. n .. suffix)
  end
end

function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local b = 0
  for _, t in ipairs(threads) do b = b + t:get("bad") end
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests":%%d,"duration_us":%%d,"bad":%%d,"socket":%%d,"timeout":%%d,' ..
    '"p50_us":%%d,"p99_us":%%d}\\n',
    summary.requests, summary.duration, b, e.connect + e.read + e.write,
    e.timeout, latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass(frozen=True, slots=True)
class LoadResult:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float
    cpu_seconds: float  # wrk's own CPU time

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk_missing_reason() -> str | None:
    if shutil.which("wrk") is None:
        return "`wrk` is not on PATH (apt-get install wrk)"
    return None


def run_wrk(
    url: str,
    body: str,
    *,
    seconds: float,
    connections: int,
    cpu: int | None,
    distinct: tuple[str, str, str] | None = None,
) -> LoadResult:
    """Loads ``url`` with ``body`` (or, with ``distinct=(prefix, suffix, tag)``, bodies
    ``prefix + tag-thread-counter + suffix``) for ``seconds``."""
    prefix, suffix, tag = distinct or ("", "", "")
    script = _SCRIPT % {
        "body": body,
        "prefix": prefix,
        "suffix": suffix,
        "distinct": "true" if distinct else "false",
        "tag": tag,
    }
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "load.lua"
        path.write_text(script)
        argv = [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "30s",
            "-s",
            str(path),
            url,
        ]
        if cpu is not None:
            argv = ["taskset", "-c", str(cpu), *argv]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(
            f"wrk failed ({done.returncode}): {done.stderr or done.stdout}"
        )
    raw = json.loads(line[4:])
    return LoadResult(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        errors=raw["bad"] + raw["socket"] + raw["timeout"],
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        cpu_seconds=(after.ru_utime - before.ru_utime)
        + (after.ru_stime - before.ru_stime),
    )
