"""Hookline's own events for the operator (HOOKLINE_OPERATIONAL_WEBHOOK_URL):
`endpoint.disabled`, `endpoint.failing` and `delivery.expired`, made from the results
the recorder writes.

They travel as ordinary messages of an internal tenant to one endpoint, so they are
signed, retried and recorded like every other delivery. They are published (by
`services.publish`, which the composition root hands over as `OperationalSink.publish`)
in the same transaction as the results that caused them, so none is lost or sent for
nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.domain.clock import isoformat
from hookline.domain.operational_events import (
    DELIVERY_EXPIRED,
    ENDPOINT_DISABLED,
    ENDPOINT_FAILING,
    OperationalEvent,
    OperationalTarget,
)
from hookline.store.endpoint_health import HealthEvent
from hookline.store.queue import Outcome


class PublishOperational(Protocol):
    """Writes the messages and deliveries of `events` to `target` inside `conn`'s
    transaction, or nothing of an event that cannot be published (its target deleted)."""

    async def __call__(
        self,
        conn: AsyncConnection,
        target: OperationalTarget,
        events: Sequence[OperationalEvent],
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class OperationalSink:
    """Where Hookline's own events go, and how they are published there."""

    target: OperationalTarget
    publish: PublishOperational


@dataclass(frozen=True, slots=True)
class Expired:
    outcome: Outcome
    tenant_id: str
    endpoint_id: str
    message_id: str
    event_type: str
    attempts: int


def _health_payload(event: HealthEvent, now: datetime) -> dict[str, Any]:
    out: dict[str, Any] = {
        "endpoint_id": event.endpoint_id,
        "tenant_id": event.tenant_id,
        "url": event.url,
        "failure_count": event.failure_count,
        "failing_since": isoformat(event.failing_since) if event.failing_since else None,
    }
    if event.kind == "disabled":
        out["reason"] = event.reason
        out["disabled_at"] = isoformat(now)
    return out


def _expired_payload(e: Expired) -> dict[str, Any]:
    return {
        "delivery_id": e.outcome.delivery_id,
        "message_id": e.message_id,
        "endpoint_id": e.endpoint_id,
        "tenant_id": e.tenant_id,
        "event_type": e.event_type,
        "attempts": e.attempts,
        "last_response_code": e.outcome.response_code,
        "reason": e.outcome.failure_reason,
    }


def events(
    target: OperationalTarget,
    *,
    health: list[HealthEvent],
    expired: list[Expired],
    now: datetime,
) -> list[OperationalEvent]:
    """The events to publish about these results.

    Events about the operational endpoint itself are dropped: reporting its own
    failures to itself would loop.
    """
    out: list[OperationalEvent] = []
    for ev in health:
        if ev.tenant_id != target.tenant_id:
            kind = ENDPOINT_DISABLED if ev.kind == "disabled" else ENDPOINT_FAILING
            out.append(OperationalEvent(kind, _health_payload(ev, now)))
    for ex in expired:
        if ex.tenant_id != target.tenant_id:
            out.append(OperationalEvent(DELIVERY_EXPIRED, _expired_payload(ex)))
    return out
