from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from hookline.api.schemas.common import Input
from hookline.domain.models import (
    AuthType,
    Endpoint,
    EndpointAuth,
    Ordering,
    SignatureConfig,
)
from hookline.domain.outgoing import MASK
from hookline.domain.retry import format_schedule


class AuthIn(Input):
    type: AuthType = AuthType.NONE
    token: str | None = None
    username: str | None = None
    password: str | None = None
    header: str | None = None
    value: str | None = None

    def to_domain(self) -> EndpointAuth:
        fields = {k: v for k, v in self.model_dump(exclude={"type"}).items() if v is not None}
        return EndpointAuth(self.type, fields)


class SignatureIn(Input):
    scheme: str = Field(
        default="standard-webhooks",
        description=(
            "standard-webhooks (v1, HMAC-SHA256), standard-webhooks-ed25519 (v1a; the "
            "endpoint shows its whpk_ public key) or hmac-sha256-hex (GitHub style)"
        ),
        examples=["standard-webhooks"],
    )
    header: str | None = Field(
        default=None, description="hmac-sha256-hex: the header (X-Webhook-Signature)"
    )
    prefix: str | None = Field(default=None, description="hmac-sha256-hex: e.g. sha256=")
    event_header: str | None = Field(
        default=None, description="hmac-sha256-hex: a header that carries the event type"
    )

    def to_domain(self) -> SignatureConfig:
        return SignatureConfig(self.scheme, self.header, self.prefix, self.event_header)


SEND_TRACE_CONTEXT = (
    "Send each attempt's W3C trace context (a traceparent header) when Hookline exports "
    "OpenTelemetry traces"
)


class EndpointIn(Input):
    url: str = Field(examples=["https://hooks.acme.example/in"])
    events: list[str] = Field(examples=[["invoice.paid", "contact.*"]])
    uid: str | None = Field(default=None, examples=["crm-sync"])
    description: str = Field(default="", max_length=100)
    enabled: bool = True
    timeout: int = Field(default=30, description="Seconds, 5–120")
    rate_limit: int | None = Field(default=None, description="Attempts per second")
    max_in_flight: int | None = Field(default=None, description="Attempts in flight at once")
    ordering: Ordering = Ordering.UNORDERED
    retry_schedule: str | None = Field(default=None, examples=["5s,5m,30m,2h"])
    auth: AuthIn | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    signature: SignatureIn | None = None
    secret: str | None = Field(
        default=None, description="Supply a secret instead of a generated one"
    )
    generate_secret: bool = True
    send_trace_context: bool = Field(default=False, description=SEND_TRACE_CONTEXT)
    channels: list[str] | None = Field(
        default=None,
        description="Up to 10 channels: receive only messages that carry one of them "
        "(null: every message)",
        examples=[["project_42"]],
    )


class EndpointPatch(Input):
    """Every field optional; only the fields sent are changed."""

    # What null does to each field is for `EndpointChange`'s types to say: it clears uid,
    # rate_limit, max_in_flight, retry_schedule and channels, sets auth and signature
    # back to their defaults, and is refused for the rest.

    url: str | None = None
    events: list[str] | None = None
    uid: str | None = None
    description: str | None = Field(default=None, max_length=100)
    enabled: bool | None = None
    timeout: int | None = None
    rate_limit: int | None = None
    max_in_flight: int | None = None
    ordering: Ordering | None = None
    retry_schedule: str | None = None
    auth: AuthIn | None = None
    headers: dict[str, str] | None = None
    signature: SignatureIn | None = None
    send_trace_context: bool | None = None
    channels: list[str] | None = None


def masked_auth(auth: EndpointAuth) -> dict[str, Any]:
    out: dict[str, Any] = {"type": auth.type.value}
    for name, value in auth.fields.items():
        out[name] = value if name in ("username", "header") else MASK
    return out


class EndpointOut(BaseModel):
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
    max_in_flight: int | None
    ordering: Ordering
    retry_schedule: str | None
    auth: dict[str, Any]
    headers: dict[str, str]
    signature: dict[str, Any]
    channels: list[str] | None = Field(description="The channels it listens to; null: all")
    has_secret: bool
    failure_count: int
    last_failure_at: datetime | None
    last_success_at: datetime | None
    created_at: datetime
    updated_at: datetime
    send_trace_context: bool = Field(description=SEND_TRACE_CONTEXT)

    @classmethod
    def of(cls, ep: Endpoint) -> EndpointOut:
        sig = {"scheme": ep.signature.scheme}
        for name in ("header", "prefix", "event_header", "public_key"):
            value = getattr(ep.signature, name)
            if value is not None:
                sig[name] = value
        return cls(
            id=ep.id,
            uid=ep.uid,
            tenant_id=ep.tenant_id,
            url=ep.url,
            description=ep.description,
            events=list(ep.events),
            enabled=ep.enabled,
            disabled_reason=ep.disabled_reason,
            timeout=ep.timeout,
            rate_limit=ep.rate_limit,
            max_in_flight=ep.max_in_flight,
            ordering=ep.ordering,
            retry_schedule=format_schedule(ep.retry_schedule)
            if ep.retry_schedule is not None
            else None,
            auth=masked_auth(ep.auth),
            headers=ep.headers,
            signature=sig,
            channels=list(ep.channels) or None,
            has_secret=ep.has_secret,
            failure_count=ep.failure_count,
            last_failure_at=ep.last_failure_at,
            last_success_at=ep.last_success_at,
            created_at=ep.created_at,
            updated_at=ep.updated_at,
            send_trace_context=ep.send_trace_context,
        )


class EndpointCreated(EndpointOut):
    secret: str | None = Field(
        description="The signing secret (whsec_..., or the whsk_... Ed25519 private key): "
        "shown this once"
    )


class RotateIn(Input):
    grace_period: int = Field(default=86400, description="Seconds the old secret keeps signing")
    secret: str | None = Field(default=None, description="Supply the new secret yourself")


class RotateOut(BaseModel):
    endpoint_id: str
    secret: str = Field(description="The new secret: shown this once")
    previous_secret_expires_at: datetime | None


class TestIn(Input):
    event_type: str | None = None
    payload: Any = None


class TestOut(BaseModel):
    message_id: str
    delivery_id: str
    status: str
    outcome: Literal["succeeded", "failed", "pending"]
    attempt: dict[str, Any] | None
