"""Prometheus metrics. Counters live in the process that does the work (API processes
count publishes, workers count attempts); queue gauges are read from the database when
/metrics is scraped, so any process reports the whole queue."""

from __future__ import annotations

import hmac
import socket
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    make_wsgi_app,
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


def metrics_authorized(authorization: str | None, token: str | None) -> bool:
    """Whether a request with this Authorization header may read the metrics: always
    when no token is configured, else only with `Bearer <token>`."""
    if token is None:
        return True
    scheme, _, value = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        value.strip().encode(), token.encode()
    )


class _MetricsServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # no line per scrape
        pass


Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _guarded(app: Wsgi, token: str | None) -> Wsgi:
    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if metrics_authorized(environ.get("HTTP_AUTHORIZATION"), token):
            return app(environ, start_response)
        start_response(
            "401 Unauthorized",
            [("Content-Type", "text/plain; charset=utf-8"), ("WWW-Authenticate", "Bearer")],
        )
        return [b"/metrics needs Authorization: Bearer <HOOKLINE_METRICS_TOKEN>\n"]

    return guarded


def serve_metrics(port: int, host: str = "127.0.0.1", *, token: str | None = None) -> None:
    """Expose /metrics on its own port (for `hookline worker`, which has no API), in a
    thread; with `token`, only to `Authorization: Bearer <token>`."""
    server_class = type(
        "MetricsServer",
        (_MetricsServer,),
        {"address_family": socket.AF_INET6 if ":" in host else socket.AF_INET},
    )
    httpd: WSGIServer = make_server(
        host, port, _guarded(make_wsgi_app(REGISTRY), token), server_class, handler_class=_Quiet
    )
    threading.Thread(target=httpd.serve_forever, name="hookline-metrics", daemon=True).start()
