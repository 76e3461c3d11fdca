"""GET /metrics: publishes, attempts by outcome and status class, latency, the queue."""

from __future__ import annotations

import re


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
