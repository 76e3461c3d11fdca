"""OpenTelemetry traces: the real `hookline` processes export to a collector stand-in on
loopback (OTLP/HTTP, decoded with opentelemetry-proto); a publish span in the process
that took the publish, an attempt span per attempt in the worker, linked to it, also
across processes; trace headers only to endpoints that ask; nothing at all when off."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hookline import tracing
from hookline.store.schema import messages
from support.otlp_collector import Collector, SpanSeen
from support.process import Proc, free_port, hookline_env, run, wait_ready

ADMIN = "operator-chosen-admin-key-0123456789"
PRODUCER, CLIENT = 4, 3  # opentelemetry.proto.trace.v1.Span.SpanKind
STATUS_ERROR = 2


def _traced_env(db_url: str, collector: Collector, **extra: str) -> dict[str, str]:
    return hookline_env(
        db_url,
        HOOKLINE_ADMIN_KEY=ADMIN,
        HOOKLINE_RETRY_SCHEDULE="200ms",
        OTEL_EXPORTER_OTLP_ENDPOINT=collector.url,
        OTEL_BSP_SCHEDULE_DELAY="100",  # export every 0.1 s, not every 5 s
        **extra,
    )


@pytest.fixture
async def collector():
    c = await Collector().start()
    yield c
    await c.stop()


def _api(base: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=30
    )


async def _world(c: httpx.AsyncClient, endpoints: list[dict[str, Any]]) -> tuple[str, list[str]]:
    assert (await c.post("/v1/event-types", json={"name": "invoice.paid"})).status_code == 201
    tenant = (await c.post("/v1/tenants", json={"name": "Acme", "uid": "acme"})).json()["id"]
    ids = []
    for body in endpoints:
        r = await c.post(f"/v1/tenants/{tenant}/endpoints", json={"events": ["*"], **body})
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return tenant, ids


async def _publish(c: httpx.AsyncClient, tenant: str) -> str:
    r = await c.post(
        f"/v1/tenants/{tenant}/messages",
        json={"event_type": "invoice.paid", "payload": {"invoice": "inv_42"}},
    )
    assert r.status_code == 202, r.text
    message_id: str = r.json()["id"]
    return message_id


def _linked_to(span: SpanSeen, publish: SpanSeen) -> bool:
    return span.links == [(publish.trace_id, publish.span_id)]


async def test_serve_traces_a_publish_and_links_each_attempt_to_it(tmp_path, collector, receivers):
    plain, opted_in = await receivers(), await receivers()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = _traced_env(f"sqlite:///{tmp_path}/hookline.db", collector)
    proc = Proc(["serve", "--dev", "--port", str(port)], env, tmp_path / "serve.log", tmp_path)
    try:
        await wait_ready(base, proc)
        async with _api(base) as c:
            tenant, (ep_plain, ep_traced) = await _world(
                c, [{"url": plain.url}, {"url": opted_in.url, "send_trace_context": True}]
            )
            message_id = await _publish(c, tenant)
            await plain.wait_for(1)
            await opted_in.wait_for(1)
            deliveries = (await c.get(f"/v1/tenants/{tenant}/messages/{message_id}")).json()
        (publish,) = await collector.wait_for("hookline.publish", 1)
        attempts = await collector.wait_for("hookline.attempt", 2)
    finally:
        assert proc.terminate() == 0, proc.output()

    assert publish.kind == PRODUCER
    assert publish.resource["service.name"] == "hookline"
    assert publish.attributes == {
        "hookline.tenant": tenant,
        "hookline.tenant.id": tenant,
        "hookline.event_type": "invoice.paid",
        "hookline.message.id": message_id,
        "hookline.deliveries": 2,
        "hookline.created": True,
    }
    delivery_of = {d["endpoint_id"]: d["id"] for d in deliveries["delivery_statuses"]}
    by_endpoint = {a.attributes["hookline.endpoint.id"]: a for a in attempts}
    assert set(by_endpoint) == {ep_plain, ep_traced}
    for endpoint_id, span in by_endpoint.items():
        assert span.kind == CLIENT
        assert _linked_to(span, publish), (span.links, publish)
        assert span.trace_id != publish.trace_id  # its own trace, linked, not a child
        assert span.attributes == {
            "hookline.tenant.id": tenant,
            "hookline.endpoint.id": endpoint_id,
            "hookline.event_type": "invoice.paid",
            "hookline.message.id": message_id,
            "hookline.delivery.id": delivery_of[endpoint_id],
            "hookline.attempt.number": 1,
            "hookline.attempt.status": "succeeded",
            "http.response.status_code": 200,
        }

    # Trace context goes only where it was asked for: the attempt's own span.
    assert "traceparent" not in plain.requests[0].headers
    assert "tracestate" not in plain.requests[0].headers
    sent = opted_in.requests[0].headers["traceparent"]
    traced = by_endpoint[ep_traced]
    version, trace_id, span_id, flags = sent.split("-")
    assert (version, trace_id, span_id) == ("00", traced.trace_id, traced.span_id)
    assert int(flags, 16) & 1  # sampled


async def test_a_worker_process_links_its_attempts_to_the_publish_of_the_api_process(
    db_url, tmp_path, collector, receivers
):
    """The worker starts after the publish: the link can only come from the database."""
    flaky = await receivers(statuses=[500, 200])
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = _traced_env(db_url, collector)
    assert run(["migrate"], env, tmp_path).returncode == 0
    api = Proc(["api", "--dev", "--port", str(port)], env, tmp_path / "api.log", tmp_path)
    try:
        await wait_ready(base, api)
        async with _api(base) as c:
            tenant, (endpoint_id,) = await _world(c, [{"url": flaky.url}])
            message_id = await _publish(c, tenant)
            (publish,) = await collector.wait_for("hookline.publish", 1)
            assert collector.named("hookline.attempt") == []  # no worker yet
            worker = Proc(["worker", "--dev"], env, tmp_path / "worker.log", tmp_path)
            try:
                await flaky.wait_for(2)
                attempts = await collector.wait_for("hookline.attempt", 2)
            finally:
                assert worker.terminate() == 0, worker.output()
    finally:
        assert api.terminate() == 0, api.output()

    first, second = sorted(attempts, key=lambda s: s.attributes["hookline.attempt.number"])
    for span in (first, second):
        assert _linked_to(span, publish), (span.links, publish)
        assert span.attributes["hookline.message.id"] == message_id
        assert span.attributes["hookline.endpoint.id"] == endpoint_id
        assert span.attributes["hookline.tenant.id"] == tenant
    assert first.attributes["hookline.attempt.number"] == 1
    assert first.attributes["http.response.status_code"] == 500
    assert first.attributes["hookline.attempt.status"] == "failed"
    assert first.status_code == STATUS_ERROR
    assert second.attributes["hookline.attempt.number"] == 2
    assert second.attributes["hookline.attempt.status"] == "succeeded"
    assert "traceparent" not in flaky.requests[0].headers


async def test_without_otel_variables_nothing_is_traced_or_sent(hookline, receivers):
    rx = await receivers()
    assert tracing.ENABLED is False
    await hookline.event_type("invoice.paid")
    tenant = (await hookline.tenant())["id"]
    await hookline.endpoint(tenant, rx.url, ["*"], send_trace_context=True)
    message = await hookline.publish(tenant, "invoice.paid", {"n": 1})
    await hookline.wait_final(tenant, message["id"])
    assert "traceparent" not in rx.requests[0].headers
    async with hookline.runtime.ctx.db.read() as conn:
        stored = (
            await conn.execute(
                select(messages.c.trace_context).where(messages.c.id == message["id"])
            )
        ).scalar_one()
    assert stored is None


def test_off_means_opentelemetry_is_never_even_imported():
    script = (
        "import sys\n"
        "import hookline.cli\n"
        "from hookline import tracing\n"
        "assert tracing.configure({'HOOKLINE_PORT': '1'}) is False\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('opentelemetry.sdk'))\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("environ", "on"),
    [
        ({}, False),
        ({"OTEL_SERVICE_NAME": "billing"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, True),
        ({"OTEL_TRACES_EXPORTER": "otlp"}, True),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:4318"}, False),
        ({"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:4318"}, False),
    ],
)
def test_which_variables_turn_tracing_on(environ, on):
    assert tracing.wanted(environ) is on


@pytest.mark.parametrize(
    ("name", "value"),
    [("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"), ("OTEL_TRACES_EXPORTER", "zipkin")],
)
def test_a_variable_hookline_cannot_honour_stops_the_start_in_one_line(tmp_path, name, value):
    env = hookline_env(
        f"sqlite:///{tmp_path}/hookline.db",
        OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:4318",
        **{name: value},
    )
    done = run(["serve", "--port", str(free_port())], env, tmp_path)
    assert done.returncode == 2
    assert name in done.stderr and value in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) <= 3, done.stderr
