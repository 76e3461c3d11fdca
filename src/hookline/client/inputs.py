"""What the API takes beyond plain arguments: the changes of a PATCH and the settings of
an endpoint, as TypedDicts for `**kwargs` (only the keys given are sent)."""

from __future__ import annotations

from typing import Any, Literal, Required, TypedDict


class TenantPatch(TypedDict, total=False):
    name: str
    uid: str | None
    metadata: dict[str, Any]
    max_endpoints: int | None


class EventTypePatch(TypedDict, total=False):
    description: str
    schema: dict[str, Any] | None
    archived: bool


class SignatureIn(TypedDict, total=False):
    scheme: Required[str]  # standard-webhooks | standard-webhooks-ed25519 | hmac-sha256-hex
    header: str
    prefix: str
    event_header: str


class EndpointSettings(TypedDict, total=False):
    description: str
    enabled: bool
    timeout: int
    rate_limit: int | None
    max_in_flight: int | None
    ordering: Literal["unordered", "fifo"]
    retry_schedule: str | None
    auth: dict[str, str]  # {"type": "bearer", "token": "..."}
    headers: dict[str, str]
    signature: SignatureIn
    secret: str
    generate_secret: bool
    send_trace_context: bool
    channels: list[str] | None


class EndpointOptions(EndpointSettings, total=False):
    uid: str | None


class EndpointPatch(TypedDict, total=False):
    url: str
    events: list[str]
    uid: str | None
    description: str
    enabled: bool
    timeout: int
    rate_limit: int | None
    max_in_flight: int | None
    ordering: Literal["unordered", "fifo"]
    retry_schedule: str | None
    auth: dict[str, str] | None
    headers: dict[str, str]
    signature: SignatureIn | None
    send_trace_context: bool
    channels: list[str] | None
