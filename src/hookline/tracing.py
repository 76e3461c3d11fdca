"""OpenTelemetry traces: a span per publish (`hookline.publish`, in the process that
takes the API call) and one per attempt (`hookline.attempt`, in the worker), the
attempt's linked to the publish of its message, exported over OTLP/HTTP.

Configured the standard way, by the `OTEL_*` variables that the SDK reads itself
(endpoint, headers, timeout, compression, sampler, `OTEL_SERVICE_NAME`,
`OTEL_RESOURCE_ATTRIBUTES`, `OTEL_BSP_*` batching), and off unless one of
`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or
`OTEL_TRACES_EXPORTER=otlp` asks for traces (`OTEL_SDK_DISABLED=true` or
`OTEL_TRACES_EXPORTER=none` keep them off whatever else is set).

Off costs nothing measurable: `configure` is the only place that imports OpenTelemetry,
and every hot path checks the module-level `ENABLED` once before doing any tracing
work, so without the variables there are no span objects and no context is carried.

The worker may run in another process than the publish: the publish span's context is
stored with the message (`messages.trace_context`, as a W3C `traceparent`), and comes
back to the worker with the message's body (`store.messages.get_bodies` hands it to
`remember`). Within one process (`hookline serve`) the publish leaves it here at once,
so an attempt that starts before the publish has even answered still finds it. An
attempt whose message was published with tracing off simply has no link.

An endpoint with `send_trace_context` gets the attempt span's `traceparent` header;
others get no trace header at all.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Awaitable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from hookline import __version__

if TYPE_CHECKING:
    from opentelemetry.trace import Span, Tracer

# Checked once by every hot path; set by `configure` alone.
ENABLED = False

SERVICE_NAME = "hookline"
SUPPORTED_PROTOCOL = "http/protobuf"
TRACE_HEADERS = ("traceparent", "tracestate")
# Publish contexts kept in this process: far more than the worker's cache of bodies
# (delivery.worker.BODY_CACHE_SIZE), so a body it still holds has its context here too.
CONTEXT_CACHE_SIZE = 16384

_tracer: Tracer | None = None
_contexts: OrderedDict[str, str] = OrderedDict()


class TracingSettingError(ValueError):
    """An `OTEL_*` variable asks for something Hookline cannot export."""


def wanted(environ: Mapping[str, str]) -> bool:
    """Whether these variables ask for traces (see the module's docstring)."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporters = {
        e.strip().lower() for e in environ.get("OTEL_TRACES_EXPORTER", "").split(",") if e.strip()
    }
    if "none" in exporters:
        return False
    unsupported = exporters - {"otlp"}
    if unsupported:
        raise TracingSettingError(
            f"OTEL_TRACES_EXPORTER={environ['OTEL_TRACES_EXPORTER']!r}: Hookline exports "
            "traces with otlp only (or none)."
        )
    if exporters:
        return True
    return bool(
        environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def _check_protocol(environ: Mapping[str, str]) -> None:
    for name in ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"):
        value = environ.get(name)
        if value:
            if value.strip() != SUPPORTED_PROTOCOL:
                raise TracingSettingError(
                    f"{name}={value!r}: Hookline exports traces over OTLP/HTTP; "
                    f"set it to {SUPPORTED_PROTOCOL} or leave it unset."
                )
            return


def configure(environ: Mapping[str, str] | None = None) -> bool:
    """Turn tracing on for this process if the variables ask for it; returns whether it
    is on. Called once by each `hookline` process as it starts (a second call changes
    nothing). Raises TracingSettingError for a variable it cannot honour."""
    global ENABLED, _tracer
    env = os.environ if environ is None else environ
    if ENABLED or not wanted(env):
        return ENABLED
    _check_protocol(env)

    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.version": __version__})
    if str(resource.attributes.get("service.name", "")).startswith("unknown_service"):
        resource = resource.merge(Resource({"service.name": SERVICE_NAME}))
    # A provider of Hookline's own, not the global one: FastAPI traces every request
    # through the global provider when one is set (api.app turns that off).
    # The exporter and the batch processor read their OTEL_* variables themselves; the
    # provider flushes what is left when the process exits.
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    _tracer = provider.get_tracer("hookline", __version__)
    ENABLED = True
    return True


def _tracer_now() -> Tracer:
    if _tracer is None:
        raise RuntimeError("tracing.configure() has not turned tracing on")
    return _tracer


# -- publish -------------------------------------------------------------------------


class PublishSpan:
    """The span of one publish, while it runs."""

    def __init__(self, span: Span) -> None:
        self.span = span
        self.traceparent = _traceparent_of(span)

    def published(self, *, message_id: str, tenant_id: str, deliveries: int, created: bool) -> None:
        self.span.set_attributes(
            {
                "hookline.message.id": message_id,
                "hookline.tenant.id": tenant_id,
                "hookline.deliveries": deliveries,
                "hookline.created": created,
            }
        )


@contextmanager
def publishing(*, tenant: str, event_type: str, message_id: str) -> Iterator[PublishSpan]:
    """The `hookline.publish` span around one publish; only when ENABLED. Its context is
    kept for this message's attempts in this process (`traceparent` goes with the row)."""
    from opentelemetry.trace import SpanKind

    attributes = {
        "hookline.tenant": tenant,
        "hookline.event_type": event_type,
        "hookline.message.id": message_id,
    }
    with _tracer_now().start_as_current_span(
        "hookline.publish", kind=SpanKind.PRODUCER, attributes=attributes
    ) as span:
        current = PublishSpan(span)
        remember([(message_id, current.traceparent)])
        yield current


def remember(contexts: Iterable[tuple[str, str]]) -> None:
    """Keep publish contexts (message id, traceparent) for the attempts' links."""
    for message_id, traceparent in contexts:
        _contexts[message_id] = traceparent
        _contexts.move_to_end(message_id)
    while len(_contexts) > CONTEXT_CACHE_SIZE:
        _contexts.popitem(last=False)


def publish_context(message_id: str) -> str | None:
    """The traceparent of a message's publish span, if this process knows it."""
    found = _contexts.get(message_id)
    if found is not None:
        _contexts.move_to_end(message_id)
    return found


# -- attempt -------------------------------------------------------------------------


class DeliveryOfAttempt(Protocol):
    """What the worker holds of the delivery it attempts (store.queue.Claimed)."""

    @property
    def id(self) -> str: ...
    @property
    def message_id(self) -> str: ...
    @property
    def endpoint_id(self) -> str: ...
    @property
    def tenant_id(self) -> str: ...
    @property
    def event_type(self) -> str: ...
    @property
    def attempt_count(self) -> int: ...


class AttemptOutcome(Protocol):
    """What an attempt came to (delivery.attempt.AttemptResult)."""

    @property
    def succeeded(self) -> bool: ...
    @property
    def response_code(self) -> int | None: ...
    @property
    def error_message(self) -> str | None: ...


R = TypeVar("R", bound=AttemptOutcome)


async def attempt(sending: Awaitable[R], delivery: DeliveryOfAttempt) -> R:
    """Await `sending` (one attempt: `perform(...)`) inside a `hookline.attempt` span
    linked to its message's publish span; only when ENABLED. The attempt's own request
    carries this span's context when its endpoint asks for it (`trace_headers`)."""
    from opentelemetry.context import Context
    from opentelemetry.trace import Link, SpanKind, Status, StatusCode

    links = []
    published = publish_context(delivery.message_id)
    if published is not None:
        context = _span_context_of(published)
        if context is not None:
            links.append(Link(context))
    attributes: dict[str, str | int] = {
        "hookline.tenant.id": delivery.tenant_id,
        "hookline.endpoint.id": delivery.endpoint_id,
        "hookline.event_type": delivery.event_type,
        "hookline.message.id": delivery.message_id,
        "hookline.delivery.id": delivery.id,
        "hookline.attempt.number": delivery.attempt_count + 1,
    }
    # A trace of its own, whatever the current context: in `hookline serve` the task that
    # sends was started inside the publish (its claim-along) and carries its span.
    with _tracer_now().start_as_current_span(
        "hookline.attempt",
        context=Context(),
        kind=SpanKind.CLIENT,
        attributes=attributes,
        links=links,
    ) as span:
        result = await sending
        span.set_attribute("hookline.attempt.status", "succeeded" if result.succeeded else "failed")
        if result.response_code is not None:
            span.set_attribute("http.response.status_code", result.response_code)
        if not result.succeeded:
            span.set_status(Status(StatusCode.ERROR, result.error_message or "failed"))
        return result


def trace_headers() -> dict[str, str]:
    """W3C trace context of the current span (the attempt's), for an endpoint that asked
    for it; only when ENABLED."""
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    carrier: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(carrier)
    return carrier


# -- W3C traceparent -----------------------------------------------------------------


def _traceparent_of(span: Span) -> str:
    ctx = span.get_span_context()
    return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"


def _span_context_of(traceparent: str) -> Any:
    """The span context a stored traceparent names (None if it is not one)."""
    from opentelemetry.trace import get_current_span
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    context = get_current_span(
        TraceContextTextMapPropagator().extract({"traceparent": traceparent})
    ).get_span_context()
    return context if context.is_valid else None
