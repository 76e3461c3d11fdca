"""An OpenTelemetry collector stand-in on 127.0.0.1: takes OTLP/HTTP exports
(`POST /v1/traces`, protobuf, gzip or not) and keeps every span, decoded with
`opentelemetry-proto`.

Also runnable as a sink that only counts exports, for measuring Hookline with tracing on:
`python tests/support/otlp_collector.py --port 4318`.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)


@dataclass(frozen=True)
class SpanSeen:
    name: str
    trace_id: str  # hex, as in a traceparent
    span_id: str
    kind: int
    attributes: dict[str, Any]
    links: list[tuple[str, str]]  # (trace id, span id) in hex
    status_code: int
    resource: dict[str, Any]


def _value(v: Any) -> Any:
    which = v.WhichOneof("value")
    return getattr(v, which) if which else None


def _attributes(kvs: Any) -> dict[str, Any]:
    return {kv.key: _value(kv.value) for kv in kvs}


def decode(body: bytes) -> list[SpanSeen]:
    request = ExportTraceServiceRequest()
    request.ParseFromString(body)
    spans = []
    for resource_spans in request.resource_spans:
        resource = _attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for s in scope_spans.spans:
                spans.append(
                    SpanSeen(
                        name=s.name,
                        trace_id=s.trace_id.hex(),
                        span_id=s.span_id.hex(),
                        kind=s.kind,
                        attributes=_attributes(s.attributes),
                        links=[(link.trace_id.hex(), link.span_id.hex()) for link in s.links],
                        status_code=s.status.code,
                        resource=resource,
                    )
                )
    return spans


@dataclass
class Collector:
    keep: bool = True  # decode and keep every span; False: only count the exports
    spans: list[SpanSeen] = field(default_factory=list)
    exports: int = 0
    received_bytes: int = 0
    url: str = ""
    port: int = 0
    _runner: web.AppRunner | None = None

    async def start(self, port: int = 0) -> Collector:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/traces", self._traces)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{self.port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _traces(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.exports += 1
        self.received_bytes += len(body)
        if self.keep:
            if request.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            self.spans.extend(decode(body))
        return web.Response(
            body=ExportTraceServiceResponse().SerializeToString(),
            content_type="application/x-protobuf",
        )

    def named(self, name: str) -> list[SpanSeen]:
        return [s for s in self.spans if s.name == name]

    async def wait_for(self, name: str, count: int, timeout: float = 20.0) -> list[SpanSeen]:
        deadline = time.monotonic() + timeout
        while len(self.named(name)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{len(self.named(name))} of {count} {name!r} spans within {timeout}s; "
                    f"got {[s.name for s in self.spans]}"
                )
            await asyncio.sleep(0.05)
        return self.named(name)


async def _sink(port: int, seconds: float) -> None:
    # A sink: it decodes nothing, so that it takes little of the machine being measured.
    collector = await Collector(keep=False).start(port)
    print(f"OTLP/HTTP collector stand-in on {collector.url}/v1/traces", flush=True)
    start = time.monotonic()
    try:
        while (left := seconds - (time.monotonic() - start)) > 0:
            await asyncio.sleep(min(10.0, left))
            print(f"{collector.exports} exports, {collector.received_bytes} bytes", flush=True)
    finally:
        await collector.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=4318)
    parser.add_argument("--seconds", type=float, default=3600.0, help="stop after this long")
    args = parser.parse_args()
    asyncio.run(_sink(args.port, args.seconds))
