from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from hookline.domain.models import Attempt, Delivery


class DeliveryOut(BaseModel):
    id: str
    message_id: str
    endpoint_id: str
    tenant_id: str
    event_type: str
    status: str
    attempt_count: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_response_code: int | None
    failure_reason: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, d: Delivery) -> DeliveryOut:
        return cls(
            id=d.id,
            message_id=d.message_id,
            endpoint_id=d.endpoint_id,
            tenant_id=d.tenant_id,
            event_type=d.event_type,
            status=d.status.value,
            attempt_count=d.attempt_count,
            next_attempt_at=d.next_attempt_at,
            last_attempt_at=d.last_attempt_at,
            last_response_code=d.last_response_code,
            failure_reason=d.failure_reason,
            created_at=d.created_at,
            updated_at=d.updated_at,
        )


class AttemptOut(BaseModel):
    id: str
    delivery_id: str
    endpoint_id: str
    message_id: str
    event_type: str
    attempt_number: int
    url: str
    started_at: datetime
    duration_ms: int
    response_code: int | None
    response_body: str | None = Field(description="The first 2 KiB of the response body")
    response_headers: str | None = Field(
        description="The response's header fields, one `Name: value` a line; at most "
        "1 KiB, cut and marked as cut beyond that"
    )
    error_message: str | None
    status: str
    request_headers: dict[str, str]
    request_body: str | None

    @classmethod
    def of(cls, a: Attempt, request_body: bytes | None) -> AttemptOut:
        return cls(
            id=a.id,
            delivery_id=a.delivery_id,
            endpoint_id=a.endpoint_id,
            message_id=a.message_id,
            event_type=a.event_type,
            attempt_number=a.attempt_number,
            url=a.url,
            started_at=a.started_at,
            duration_ms=a.duration_ms,
            response_code=a.response_code,
            response_body=a.response_body,
            response_headers=a.response_headers,
            error_message=a.error_message,
            status=a.status.value,
            request_headers=a.request_headers,
            request_body=request_body.decode("utf-8", "replace")
            if request_body is not None
            else None,
        )
