"""Test tooling for telemetry: a real OTLP receiver, a header-recording subgraph proxy,
and `router serve` with the example subgraphs as real processes on loopback.

A module of its own name (not conftest.py) so tests import it unambiguously.

`OtlpReceiver` is a collector stand-in: it accepts OTLP trace exports over gRPC
(`opentelemetry.proto.collector.trace.v1.TraceService/Export`) or HTTP/protobuf
(`POST /v1/traces`) and decodes them with `opentelemetry-proto`, as a collector does.
"""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from concurrent import futures
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any

import pytest
from opentelemetry.proto.collector.trace.v1 import (
    trace_service_pb2,
    trace_service_pb2_grpc,
)

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30.0
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class ReceivedSpan:
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    kind: int
    attributes: dict[str, Any]
    status_code: int
    service_name: str


def _value(any_value: Any) -> Any:
    kind = any_value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in any_value.array_value.values]
    return getattr(any_value, kind) if kind else None


def decode_export(
    request: trace_service_pb2.ExportTraceServiceRequest,
) -> list[ReceivedSpan]:
    spans = []
    for resource_spans in request.resource_spans:
        resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append(
                    ReceivedSpan(
                        name=span.name,
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_span_id=span.parent_span_id.hex(),
                        kind=span.kind,
                        attributes={a.key: _value(a.value) for a in span.attributes},
                        status_code=span.status.code,
                        service_name=str(resource.get("service.name", "")),
                    )
                )
    return spans


class OtlpReceiver:
    """Collects exported spans; `endpoint` is what router.yaml's otlp.endpoint gets."""

    def __init__(self, protocol: str = "grpc", answer_after: float = 0.0) -> None:
        """`answer_after`: seconds each export waits for its answer (a slow collector)."""
        self.protocol = protocol
        self.spans: list[ReceivedSpan] = []
        self.exports = 0
        self.export_sizes: list[int] = []  # spans in each export, in arrival order
        self._answer_after = answer_after
        self._lock = threading.Lock()
        self._grpc: Any = None
        self._http: ThreadingHTTPServer | None = None
        if protocol == "grpc":
            self._start_grpc()
        else:
            self._start_http()

    def _record(self, request: trace_service_pb2.ExportTraceServiceRequest) -> None:
        spans = decode_export(request)
        with self._lock:
            self.spans.extend(spans)
            self.exports += 1
            self.export_sizes.append(len(spans))
        if self._answer_after:
            time.sleep(self._answer_after)

    def _start_grpc(self) -> None:
        import grpc

        receiver = self

        class Servicer(trace_service_pb2_grpc.TraceServiceServicer):
            def Export(self, request: Any, context: Any) -> Any:
                receiver._record(request)
                return trace_service_pb2.ExportTraceServiceResponse()

        server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Servicer(), server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        self._grpc = server
        self.endpoint = f"http://127.0.0.1:{port}"

    def _start_http(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                if self.path != "/v1/traces":
                    self.send_response(404)
                    self.end_headers()
                    return
                request = trace_service_pb2.ExportTraceServiceRequest.FromString(body)
                receiver._record(request)
                reply = (
                    trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
                )
                self.send_response(200)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._http = server
        # No path: the router must add /v1/traces itself.
        self.endpoint = f"http://127.0.0.1:{server.server_address[1]}"

    def wait_for(
        self, done: Callable[[list[ReceivedSpan]], bool], timeout: float = 15.0
    ) -> list[ReceivedSpan]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                spans = list(self.spans)
            if done(spans):
                return spans
            time.sleep(0.05)
        with self._lock:
            return list(self.spans)

    def stop(self) -> None:
        if self._grpc is not None:
            self._grpc.stop(grace=None)
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()


@dataclass
class RecordingProxy:
    """Forwards POSTs to `target` and records each request's headers (lower-cased)."""

    target: str
    requests: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                proxy.requests.append({k.lower(): v for k, v in self.headers.items()})
                forwarded = urllib.request.Request(
                    proxy.target,
                    data=body,
                    method="POST",
                    headers={"content-type": "application/json"},
                )
                try:
                    with OPENER.open(forwarded, timeout=10) as response:
                        status, reply = response.status, response.read()
                except urllib.error.HTTPError as error:
                    status, reply = error.code, error.read()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/graphql"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def http(
    url: str,
    body: bytes | None = None,
    *,
    method: str | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30,
) -> Reply:
    request = urllib.request.Request(
        url, data=body, method=method, headers=dict(headers or {})
    )
    try:
        with OPENER.open(request, timeout=timeout) as response:
            return Reply(
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read(),
            )
    except urllib.error.HTTPError as error:
        return Reply(
            error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()
        )


class Process:
    """A child process whose first stdout line announces a URL; the rest of stdout and
    all of stderr are kept (stdout is read by a thread, for access-log lines)."""

    def __init__(self, argv: list[str], cwd: Path, pattern: str) -> None:
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        self.process = subprocess.Popen(
            argv,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], START_TIMEOUT)
        line = self.process.stdout.readline().decode() if ready else ""
        match = re.search(pattern, line)
        if match is None:
            self.stop()
            pytest.fail(f"{argv}: no URL announced ({line!r})\n{self.stderr()}")
        self.url = match.group(1)
        self.lines: list[str] = []
        threading.Thread(target=self._read_stdout, daemon=True).start()

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            self.lines.append(raw.decode(errors="replace").rstrip("\n"))

    def stderr(self) -> str:
        if self._stderr.closed:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_subgraph(name: str) -> Process:
    process = Process(
        [sys.executable, "-m", f"subgraphs.{name}", "--port", "0"],
        REPO,
        r"(http://\S+/graphql)",
    )
    health = process.url.rsplit("/", 1)[0] + "/health"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            if http(health, timeout=1).status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.05)
    process.stop()
    pytest.fail(f"subgraph {name} not healthy\n{process.stderr()}")


class Router(Process):
    """`router serve --config <folder>/router.yaml --listen 127.0.0.1:0`, ready."""

    def __init__(
        self,
        folder: Path,
        urls: Mapping[str, str],
        extra: str,
        *,
        whole: bool = False,
        args: tuple[str, ...] = (),
    ) -> None:
        """`extra` is YAML after our `supergraph` and `override_subgraph_url` sections;
        with `whole`, it is the whole file but for `override_subgraph_url`."""
        lines = (
            [] if whole else ["supergraph:", f"  file: {REPO / 'supergraph.graphql'}"]
        )
        if urls:
            lines.append("override_subgraph_url:")
            lines += [f"  {name}: {url}" for name, url in urls.items()]
        config = folder / "router.yaml"
        config.write_text(extra + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
        super().__init__(
            [
                sys.executable,
                "-m",
                "router.cli",
                "serve",
                "--config",
                str(config),
                "--listen",
                "127.0.0.1:0",
                *args,
            ],
            folder,
            r"router serving (http://\S+)",
        )
        self.base = self.url.rsplit("/", 1)[0]
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"router exited\n{self.stderr()}")
            try:
                if http(f"{self.base}/health?ready", timeout=2).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        pytest.fail(f"router not ready\n{self.stderr()}")

    def post(self, payload: Any, headers: Mapping[str, str] | None = None) -> Reply:
        return http(
            self.url,
            json.dumps(payload).encode(),
            method="POST",
            headers={
                "content-type": "application/json",
                "accept": "application/graphql-response+json",
                **(headers or {}),
            },
        )

    def metrics_url(self, timeout: float = 10.0) -> str:
        """The scrape URL the router logged when it bound the metrics listener."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(
                r"Prometheus metrics served at (http://\S+)", self.stderr()
            )
            if match:
                return match.group(1)
            time.sleep(0.05)
        pytest.fail(f"no metrics listener announced\n{self.stderr()}")
