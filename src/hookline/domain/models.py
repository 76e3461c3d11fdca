"""The nouns of Hookline as frozen dataclasses: what the store returns and services pass on."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Role(enum.StrEnum):
    ADMIN = "admin"
    CI = "ci"
    RUNTIME = "runtime"


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    EXPIRED = "expired"

    @property
    def is_final(self) -> bool:
        return self is not DeliveryStatus.PENDING


class AttemptStatus(enum.StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Ordering(enum.StrEnum):
    UNORDERED = "unordered"
    FIFO = "fifo"


class AuthType(enum.StrEnum):
    NONE = "none"
    BEARER = "bearer"
    BASIC = "basic"
    API_KEY = "api_key"
    CUSTOM_HEADER = "custom_header"


TEST_EVENT_TYPE = "webhook.test"


@dataclass(frozen=True, slots=True)
class EventType:
    name: str
    description: str
    schema: dict[str, Any] | None
    archived: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Tenant:
    id: str
    uid: str | None
    name: str
    metadata: dict[str, Any]
    max_endpoints: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class EndpointAuth:
    """Outgoing authentication. `fields` holds the credentials in clear (never logged)."""

    type: AuthType
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SignatureConfig:
    scheme: str = "standard-webhooks"
    header: str | None = None
    prefix: str | None = None
    event_header: str | None = None
    # The `whpk_` key receivers verify `v1a` with: derived from the current signing key
    # when the endpoint is read, never stored or set by a user.
    public_key: str | None = None


@dataclass(frozen=True, slots=True)
class Endpoint:
    id: str
    tenant_id: str
    uid: str | None
    url: str
    description: str
    events: tuple[str, ...]
    enabled: bool
    disabled_reason: str | None
    timeout: int
    rate_limit: int | None
    max_in_flight: int | None
    ordering: Ordering
    retry_schedule: tuple[float, ...] | None
    auth: EndpointAuth
    headers: dict[str, str]
    signature: SignatureConfig
    has_secret: bool
    failure_count: int
    last_failure_at: datetime | None
    last_success_at: datetime | None
    created_at: datetime
    updated_at: datetime
    send_trace_context: bool = False  # the attempt span's traceparent goes with each request
    # The channels it listens to; empty: every message (domain/channels.py).
    channels: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EndpointSecrets:
    """Signing secrets in clear: the current one and, during a rotation grace, the previous."""

    current: str | None
    previous: str | None = None
    previous_expires_at: datetime | None = None

    def active(self, now: datetime) -> list[str]:
        out = [s for s in (self.current,) if s]
        if self.previous and self.previous_expires_at and self.previous_expires_at > now:
            out.append(self.previous)
        return out


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    tenant_id: str
    event_type: str
    body: bytes
    idempotency_key: str | None
    ordering_key: str | None
    created_at: datetime
    trace_context: str | None = None  # W3C traceparent of its publish span, when traced
    # `payload.request_fingerprint` of the publish; None for messages stored before 0005.
    fingerprint: str | None = None
    channels: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Delivery:
    id: str
    message_id: str
    endpoint_id: str
    tenant_id: str
    event_type: str
    status: DeliveryStatus
    attempt_count: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_response_code: int | None
    failure_reason: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Attempt:
    id: str
    delivery_id: str
    endpoint_id: str
    message_id: str
    tenant_id: str
    event_type: str
    attempt_number: int
    url: str
    started_at: datetime
    duration_ms: int
    response_code: int | None
    response_body: str | None
    error_message: str | None
    status: AttemptStatus
    request_headers: dict[str, str]
    # The answer's header fields, "Name: value" a line, at most 1 KiB (cut and marked).
    response_headers: str | None = None


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    name: str
    role: Role
    tenant_id: str | None
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the key's role and, for tenant-bound keys, its tenant."""

    key_id: str
    role: Role
    tenant_id: str | None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None
