"""Hookline's own events for the operator (HOOKLINE_OPERATIONAL_WEBHOOK_URL):
`endpoint.disabled`, `endpoint.failing` and `delivery.expired`.

They travel as ordinary messages of an internal tenant to one endpoint, so they are
signed, retried and recorded like every other delivery. They are written in the same
transaction as the results that caused them, so none is lost or sent for nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hookline.domain.clock import isoformat
from hookline.domain.ids import new_id
from hookline.domain.models import DeliveryStatus, Message
from hookline.domain.operational_events import (
    DELIVERY_EXPIRED,
    ENDPOINT_DISABLED,
    ENDPOINT_FAILING,
    OperationalTarget,
)
from hookline.domain.payload import message_body
from hookline.store.deliveries import NewDelivery
from hookline.store.endpoint_health import HealthEvent
from hookline.store.queue import Outcome


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


def build(
    target: OperationalTarget,
    *,
    health: list[HealthEvent],
    expired: list[Expired],
    now: datetime,
) -> tuple[list[Message], list[NewDelivery]]:
    """The messages (and their one delivery each) for these events.

    Events about the operational endpoint itself are dropped: reporting its own
    failures to itself would loop.
    """
    items: list[tuple[str, dict[str, Any]]] = []
    for ev in health:
        if ev.tenant_id != target.tenant_id:
            kind = ENDPOINT_DISABLED if ev.kind == "disabled" else ENDPOINT_FAILING
            items.append((kind, _health_payload(ev, now)))
    for ex in expired:
        if ex.tenant_id != target.tenant_id:
            items.append((DELIVERY_EXPIRED, _expired_payload(ex)))
    messages: list[Message] = []
    deliveries: list[NewDelivery] = []
    for event_type, data in items:
        message_id = new_id("msg")
        messages.append(
            Message(
                id=message_id,
                tenant_id=target.tenant_id,
                event_type=event_type,
                body=message_body(
                    message_id=message_id, event_type=event_type, created_at=now, data=data
                ),
                idempotency_key=None,
                ordering_key=None,
                created_at=now,
            )
        )
        deliveries.append(
            NewDelivery(
                id=new_id("dlv"),
                message_id=message_id,
                endpoint_id=target.endpoint_id,
                tenant_id=target.tenant_id,
                event_type=event_type,
                ordering_key=None,
                status=DeliveryStatus.PENDING,
                failure_reason=None,
                created_at=now,
            )
        )
    return messages, deliveries
