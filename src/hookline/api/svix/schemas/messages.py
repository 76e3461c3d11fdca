"""Svix messages and message attempts, and what the statuses mean in Svix's numbers."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from pydantic import Field

from hookline.api.svix.schemas.applications import ApplicationIn
from hookline.api.svix.schemas.common import SvixIn, SvixOut
from hookline.api.svix.schemas.endpoints import EndpointOut
from hookline.domain.models import (
    Attempt,
    AttemptStatus,
    Delivery,
    DeliveryStatus,
    Endpoint,
    Message,
)
from hookline.domain.payload import body_data


class MessageStatus(enum.IntEnum):
    """Svix's `MessageStatus`: of an attempt, or of a message at one endpoint."""

    SUCCESS = 0
    PENDING = 1
    FAIL = 2
    SENDING = 3
    CANCELED = 4

    @property
    def text(self) -> str:
        return ("success", "pending", "fail", "sending", "canceled")[self.value]


def delivery_status(d: Delivery) -> MessageStatus:
    """A delivery in Svix's terms: `sending` once attempts are under way but not over."""
    if d.status is DeliveryStatus.DELIVERED:
        return MessageStatus.SUCCESS
    if d.status is DeliveryStatus.PENDING:
        return MessageStatus.SENDING if d.attempt_count else MessageStatus.PENDING
    return MessageStatus.FAIL  # failed or expired


def attempt_status(a: Attempt) -> MessageStatus:
    return MessageStatus.SUCCESS if a.status is AttemptStatus.SUCCEEDED else MessageStatus.FAIL


class MessageIn(SvixIn):
    event_type: str = Field(min_length=1, max_length=256)
    payload: dict[str, Any]
    # Svix allows 256 characters; Hookline's idempotency keys hold 255.
    event_id: str | None = Field(
        default=None, min_length=1, max_length=255, pattern=r"^[a-zA-Z0-9\-_.]+$"
    )
    channels: list[str] | None = None
    application: ApplicationIn | None = None
    tags: list[str] | None = None  # not kept (docs/svix.md)
    deliver_at: datetime | None = None  # refused when set: Hookline sends at once
    payload_retention_period: int | None = None  # ignored: one retention per deployment
    payload_retention_hours: int | None = None


class MessageOut(SvixOut):
    id: str
    event_id: str | None
    event_type: str
    payload: Any
    channels: list[str] | None
    tags: list[str] | None = None
    timestamp: datetime
    deliver_at: datetime | None = None

    @classmethod
    def fields_of(cls, m: Message, *, with_content: bool) -> dict[str, Any]:
        payload = body_data(m.body) if with_content else {}
        return {
            "id": m.id,
            "event_id": event_id_of(m),
            "event_type": m.event_type,
            # Svix's payload is a JSON object; a native message may carry any value.
            "payload": payload if isinstance(payload, dict) else {"data": payload},
            "channels": list(m.channels) or None,
            "timestamp": m.created_at,
        }

    @classmethod
    def of(cls, m: Message, *, with_content: bool = True) -> MessageOut:
        return cls(**cls.fields_of(m, with_content=with_content))


SDK_KEY_PREFIX = "auto_"  # Svix's SDKs make such idempotency keys; no eventId is one


def event_id_of(m: Message) -> str | None:
    key = m.idempotency_key
    return None if key is None or key.startswith(SDK_KEY_PREFIX) else key


class MessageAttemptOut(SvixOut):
    id: str
    msg_id: str
    endpoint_id: str
    url: str
    response: str
    response_status_code: int
    response_duration_ms: int
    status: MessageStatus
    status_text: str
    trigger_type: int = 0  # scheduled: Hookline does not record what made an attempt
    timestamp: datetime
    msg: MessageOut | None = None

    @classmethod
    def of(cls, a: Attempt, *, with_content: bool, msg: Message | None = None) -> MessageAttemptOut:
        status = attempt_status(a)
        return cls(
            id=a.id,
            msg_id=a.message_id,
            endpoint_id=a.endpoint_id,
            url=a.url,
            response=(a.response_body or a.error_message or "") if with_content else "",
            response_status_code=a.response_code or 0,
            response_duration_ms=a.duration_ms,
            status=status,
            status_text=status.text,
            timestamp=a.started_at,
            msg=MessageOut.of(msg, with_content=False) if msg is not None else None,
        )


class EndpointMessageOut(MessageOut):
    """A message as one endpoint got it: its delivery's status there."""

    status: MessageStatus
    status_text: str
    next_attempt: datetime | None

    @classmethod
    def of_delivery(cls, d: Delivery, m: Message, *, with_content: bool) -> EndpointMessageOut:
        status = delivery_status(d)
        return cls(
            **MessageOut.fields_of(m, with_content=with_content),
            status=status,
            status_text=status.text,
            next_attempt=d.next_attempt_at,
        )


class MessageEndpointOut(EndpointOut):
    """An endpoint a message was bound for, with the status of its delivery there."""

    status: MessageStatus
    status_text: str
    next_attempt: datetime | None

    @classmethod
    def of_delivery(cls, d: Delivery, ep: Endpoint) -> MessageEndpointOut:
        status = delivery_status(d)
        return cls(
            **EndpointOut.fields_of(ep),
            status=status,
            status_text=status.text,
            next_attempt=d.next_attempt_at,
        )


class EmptyResponse(SvixOut):
    pass
