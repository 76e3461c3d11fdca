from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from hookline.api.schemas.common import Input
from hookline.domain.models import Delivery, Message
from hookline.domain.payload import body_data


class MessageIn(Input):
    event_type: str = Field(examples=["invoice.paid"])
    payload: Any = Field(examples=[{"invoice_id": "inv_42", "amount": 1200}])
    id: str | None = Field(
        default=None,
        min_length=1,
        max_length=255,
        description="Your id for this event; acts as an idempotency key",
    )
    ordering_key: str | None = Field(default=None, min_length=1, max_length=255)
    channels: list[str] | None = Field(
        default=None,
        description="Up to 10 channels: endpoints that listen to channels receive the "
        "message only when they listen to one of these",
        examples=[["project_42"]],
    )


class DeliveryStatusOut(BaseModel):
    id: str
    endpoint_id: str
    status: str
    attempt_count: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_response_code: int | None
    failure_reason: str | None

    @classmethod
    def of(cls, d: Delivery) -> DeliveryStatusOut:
        return cls(
            id=d.id,
            endpoint_id=d.endpoint_id,
            status=d.status.value,
            attempt_count=d.attempt_count,
            next_attempt_at=d.next_attempt_at,
            last_attempt_at=d.last_attempt_at,
            last_response_code=d.last_response_code,
            failure_reason=d.failure_reason,
        )


class MessageOut(BaseModel):
    id: str
    tenant_id: str
    event_type: str
    payload: Any
    idempotency_key: str | None
    ordering_key: str | None
    channels: list[str] | None = Field(description="The message's channels; null: none")
    created_at: datetime
    deliveries: int = Field(description="How many endpoints this message was bound for")

    @classmethod
    def of(cls, m: Message, deliveries: int) -> MessageOut:
        return cls(
            id=m.id,
            tenant_id=m.tenant_id,
            event_type=m.event_type,
            payload=body_data(m.body),
            idempotency_key=m.idempotency_key,
            ordering_key=m.ordering_key,
            channels=list(m.channels) or None,
            created_at=m.created_at,
            deliveries=deliveries,
        )


class MessageDetail(MessageOut):
    delivery_statuses: list[DeliveryStatusOut]
