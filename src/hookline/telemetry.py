"""Prometheus metrics. Counters live in the process that does the work (API processes
count publishes, workers count attempts); queue gauges are read from the database when
/metrics is scraped, so any process reports the whole queue."""

from __future__ import annotations

from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import (
    start_http_server as _start_http_server,
)
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)

CONTENT_TYPE = CONTENT_TYPE_LATEST

MESSAGES_PUBLISHED = Counter(
    "hookline_messages_published",
    "Messages accepted by publish (idempotent repeats not counted).",
    registry=REGISTRY,
)
DELIVERIES_CREATED = Counter(
    "hookline_deliveries_created",
    "Deliveries created by publishing, one per message and subscribed endpoint.",
    registry=REGISTRY,
)
ATTEMPTS = Counter(
    "hookline_attempts",
    "Delivery attempts by outcome and HTTP status class (none: no HTTP answer).",
    ["outcome", "status_class"],
    registry=REGISTRY,
)
ATTEMPT_SECONDS = Histogram(
    "hookline_attempt_duration_seconds",
    "Time from sending a request to its answer (or failure).",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
    registry=REGISTRY,
)
DELIVERY_LATENCY = Histogram(
    "hookline_delivery_latency_seconds",
    "Time from publish to the attempt that succeeded.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 60, 300, 1800, 7200, 21600),
    registry=REGISTRY,
)
QUEUE_PENDING = Gauge(
    "hookline_queue_pending", "Deliveries waiting for an attempt (due or not).", registry=REGISTRY
)
QUEUE_DUE = Gauge(
    "hookline_queue_due", "Pending deliveries whose attempt is due now.", registry=REGISTRY
)
QUEUE_OLDEST_DUE_AGE = Gauge(
    "hookline_queue_oldest_due_age_seconds",
    "How long the oldest due delivery has been waiting (0 when none is due).",
    registry=REGISTRY,
)


def status_class(code: int | None) -> str:
    return "none" if code is None else f"{code // 100}xx"


# The labelled counter of each (outcome, status class), looked up once: `labels()`
# takes a lock and builds its key on every call, once per attempt.
_attempt_counters: dict[tuple[bool, int | None], Any] = {}


def record_attempt(*, succeeded: bool, code: int | None, seconds: float) -> None:
    key = (succeeded, None if code is None else code // 100)
    counter = _attempt_counters.get(key)
    if counter is None:
        counter = _attempt_counters[key] = ATTEMPTS.labels(
            "succeeded" if succeeded else "failed", status_class(code)
        )
    counter.inc()
    ATTEMPT_SECONDS.observe(seconds)


def render() -> bytes:
    return generate_latest(REGISTRY)


def serve_metrics(port: int, host: str = "127.0.0.1") -> None:
    """Expose /metrics on its own port (for `hookline worker`, which has no API)."""
    _start_http_server(port, addr=host, registry=REGISTRY)
