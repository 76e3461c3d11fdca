"""GET /metrics: publishes, attempts by outcome and status class, latency, the queue; and
HOOKLINE_METRICS_TOKEN, on the API and on `hookline worker`'s own metrics port."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from support.process import Proc, free_port, hookline_env


def _value(text: str, name: str, labels: str = "") -> float:
    pattern = rf"^{re.escape(name)}{re.escape(labels)} ([0-9.e+-]+)$"
    match = re.search(pattern, text, re.MULTILINE)
    assert match, f"{name}{labels} not in /metrics"
    return float(match.group(1))


async def test_metrics_count_publishes_attempts_latency_and_the_queue(start, receivers):
    hl = await start(retry_schedule="1h")
    ok = await receivers()
    broken = await receivers(statuses=[503])
    await hl.event_type("m.x")
    tenant = (await hl.tenant())["id"]
    await hl.endpoint(tenant, ok.url, ["m.x"])
    await hl.endpoint(tenant, broken.url, ["m.x"])
    before = (await hl.client.get("/metrics")).text
    for i in range(4):
        await hl.publish(tenant, "m.x", {"i": i})
    await ok.wait_for(4)
    await broken.wait_for(4)
    for _ in range(50):  # results are recorded in batches, just after the answers
        text = (await hl.client.get("/metrics")).text
        if _value(text, "hookline_queue_pending") == 4:
            break
    resp = await hl.client.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    text = resp.text
    published = _value(text, "hookline_messages_published_total")
    assert published - _value(before, "hookline_messages_published_total") == 4
    ok_label = '{outcome="succeeded",status_class="2xx"}'
    failed_label = '{outcome="failed",status_class="5xx"}'
    assert _value(text, "hookline_attempts_total", ok_label) >= 4
    assert _value(text, "hookline_attempts_total", failed_label) >= 4
    assert _value(text, "hookline_delivery_latency_seconds_count") >= 4
    assert _value(text, "hookline_attempt_duration_seconds_count") >= 8
    # The 503'd deliveries wait an hour for their retry: pending, not due.
    assert _value(text, "hookline_queue_pending") == 4
    assert _value(text, "hookline_queue_due") == 0
    assert _value(text, "hookline_queue_oldest_due_age_seconds") == 0


TOKEN = "scrape-token-0123456789abcdef"


async def test_a_metrics_token_guards_metrics(start):
    admin = "operator-chosen-admin-key-0123456789"
    open_ = await start(admin_key=admin)
    async with open_.as_key(None) as anonymous:
        assert (await anonymous.get("/metrics")).status_code == 200  # unset: open
    hl = await start(admin_key=admin, metrics_token=TOKEN, with_worker=False)
    async with hl.as_key(None) as anonymous:
        refused = await anonymous.get("/metrics")
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        assert "HOOKLINE_METRICS_TOKEN" in refused.json()["detail"]
        assert refused.headers["www-authenticate"] == "Bearer"
        assert "hookline_" not in refused.text
        for wrong in ("Bearer nope", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer", TOKEN):
            resp = await anonymous.get("/metrics", headers={"Authorization": wrong})
            assert resp.status_code == 401, wrong
        allowed = await anonymous.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert allowed.status_code == 200
        assert "hookline_messages_published_total" in allowed.text
    # An API key, even the admin's, is not the metrics token.
    assert (await hl.client.get("/metrics")).status_code == 401


async def _scrape(url: str, proc: Proc, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=2) as client:
        for _ in range(300):
            if proc.popen.poll() is not None:
                raise AssertionError(f"the worker stopped:\n{proc.output()}")
            try:
                return await client.get(url, headers=headers)
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise AssertionError(f"no metrics at {url}:\n{proc.output()}")


@pytest.mark.parametrize("token", [None, TOKEN])
async def test_the_worker_metrics_port_takes_the_token_too(tmp_path, token):
    port = free_port()
    extra = {"HOOKLINE_METRICS_PORT": str(port)}
    if token:
        extra["HOOKLINE_METRICS_TOKEN"] = token
    env = hookline_env(f"sqlite:///{tmp_path / 'hookline.db'}", **extra)
    proc = Proc(["worker"], env, tmp_path / "worker.log", tmp_path)
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        first = await _scrape(url, proc)
        if token is None:
            assert first.status_code == 200
            assert "hookline_attempts" in first.text
        else:
            assert first.status_code == 401
            assert first.headers["www-authenticate"] == "Bearer"
            assert "hookline_" not in first.text
            wrong = await _scrape(url, proc, Authorization="Bearer nope")
            assert wrong.status_code == 401
            right = await _scrape(url, proc, Authorization=f"Bearer {token}")
            assert right.status_code == 200
            assert "hookline_attempts" in right.text
    finally:
        assert proc.terminate() == 0
