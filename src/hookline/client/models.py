"""What the API answers, as frozen dataclasses: tenants, event types, endpoints, messages,
deliveries, attempts, API keys. Each is read from its JSON with `from_json`, which ignores
the fields it does not know, so that an older client keeps working with a newer server."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Self


def _datetime(value: Any) -> Any:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _kwargs(cls: type[Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of `cls` found in `data` (unknown ones are ignored: newer servers)."""
    out = {}
    for f in fields(cls):
        if f.name in data:
            value = data[f.name]
            out[f.name] = _datetime(value) if f.name.endswith("_at") else value
    return out


class Model:
    """An answer of the API, read from its JSON."""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        return cls(**_kwargs(cls, data))


@dataclass(frozen=True, slots=True, kw_only=True)
class Tenant(Model):
    id: str
    uid: str | None
    name: str
    metadata: dict[str, Any]
    max_endpoints: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class EventType(Model):
    name: str
    description: str
    schema: dict[str, Any] | None
    archived: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Signature(Model):
    scheme: str
    header: str | None = None
    prefix: str | None = None
    event_header: str | None = None
    public_key: str | None = None  # whpk_..., for standard-webhooks-ed25519


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoint(Model):
    id: str
    uid: str | None
    tenant_id: str
    url: str
    description: str
    events: list[str]
    enabled: bool
    disabled_reason: str | None
    timeout: int
    rate_limit: int | None
    max_in_flight: int | None = None
    ordering: str
    retry_schedule: str | None = None
    auth: dict[str, Any]
    headers: dict[str, str]
    signature: Signature
    has_secret: bool
    failure_count: int
    last_failure_at: datetime | None
    last_success_at: datetime | None
    created_at: datetime
    updated_at: datetime
    send_trace_context: bool = False
    secret: str | None = None  # in the create (and PUT-create) answer only: shown once
    channels: list[str] | None = None  # None: every message

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        kwargs = _kwargs(cls, data)
        kwargs["signature"] = Signature.from_json(data.get("signature") or {"scheme": ""})
        return cls(**kwargs)


@dataclass(frozen=True, slots=True, kw_only=True)
class RotatedSecret(Model):
    endpoint_id: str
    secret: str  # shown once
    previous_secret_expires_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryStatus(Model):
    """A delivery as listed inside a message."""

    id: str
    endpoint_id: str
    status: str
    attempt_count: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_response_code: int | None
    failure_reason: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Message(Model):
    id: str
    tenant_id: str
    event_type: str
    payload: Any
    idempotency_key: str | None
    ordering_key: str | None
    created_at: datetime
    deliveries: int
    delivery_statuses: list[DeliveryStatus] = field(default_factory=list)  # get() only
    channels: list[str] | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        kwargs = _kwargs(cls, data)
        kwargs["delivery_statuses"] = [
            DeliveryStatus.from_json(d) for d in data.get("delivery_statuses") or []
        ]
        return cls(**kwargs)


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery(Model):
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


@dataclass(frozen=True, slots=True, kw_only=True)
class Attempt(Model):
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
    response_body: str | None
    error_message: str | None
    status: str
    request_headers: dict[str, str] = field(default_factory=dict)
    request_body: str | None = None
    response_headers: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TestResult(Model):
    message_id: str
    delivery_id: str
    status: str
    outcome: str  # succeeded | failed | pending
    attempt: Attempt | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        kwargs = _kwargs(cls, data)
        attempt = data.get("attempt")
        kwargs["attempt"] = Attempt.from_json(attempt) if attempt else None
        return cls(**kwargs)


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiKey(Model):
    id: str
    name: str
    role: str
    tenant_id: str | None
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    key: str | None = None  # in the create answer only: shown once
