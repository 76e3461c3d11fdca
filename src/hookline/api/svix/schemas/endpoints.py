"""Svix endpoints, in both generations of Svix's names: `filterTypes` and `rateLimit`
(SDKs before 2.0) and `eventTypes` and `throttleRate` (2.0 on). Both are read, and
both are answered."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from hookline.api.svix.schemas.common import SvixIn, SvixOut
from hookline.domain.models import Endpoint

EVERY_EVENT = "*"  # what `filterTypes: null` means in Hookline's words
UID = Field(default=None, min_length=1, max_length=256, pattern=r"^[a-zA-Z0-9\-_.]+$")


class _EndpointFields(SvixIn):
    description: str = ""
    uid: str | None = UID
    disabled: bool = False
    event_types: list[str] | None = None
    filter_types: list[str] | None = None
    channels: list[str] | None = None
    throttle_rate: int | None = Field(default=None, ge=1)
    rate_limit: int | None = Field(default=None, ge=1)
    metadata: dict[str, str] = Field(default_factory=dict)
    version: int | None = None  # Svix's deprecated endpoint version: always 1 here

    def events(self) -> list[str]:
        """Hookline's `events`: the types asked for, or every type (null)."""
        names = self.event_types if self.given("event_types") else self.filter_types
        return list(names) if names else [EVERY_EVENT]

    def rate(self) -> int | None:
        return self.throttle_rate if self.given("throttle_rate") else self.rate_limit


class EndpointIn(_EndpointFields):
    url: str = Field(min_length=1, max_length=65536)
    secret: str | None = None
    headers: dict[str, str] | None = None


class EndpointUpsertIn(_EndpointFields):
    url: str = Field(min_length=1, max_length=65536)


class EndpointPatch(SvixIn):
    """Only the fields sent change; null clears one that may be cleared."""

    url: str | None = Field(default=None, min_length=1, max_length=65536)
    description: str | None = None
    uid: str | None = UID
    disabled: bool | None = None
    event_types: list[str] | None = None
    filter_types: list[str] | None = None
    channels: list[str] | None = None
    throttle_rate: int | None = Field(default=None, ge=0)
    rate_limit: int | None = Field(default=None, ge=0)
    metadata: dict[str, str] | None = None
    secret: str | None = None
    version: int | None = None


class EndpointOut(SvixOut):
    id: str
    uid: str | None
    url: str
    description: str
    metadata: dict[str, str] = Field(default_factory=dict)
    disabled: bool
    event_types: list[str] | None
    filter_types: list[str] | None
    channels: list[str] | None
    throttle_rate: int | None
    rate_limit: int | None
    version: int = 1
    created_at: datetime
    updated_at: datetime

    @classmethod
    def fields_of(cls, ep: Endpoint) -> dict[str, Any]:
        types = None if EVERY_EVENT in ep.events else list(ep.events)
        return {
            "id": ep.id,
            "uid": ep.uid,
            "url": ep.url,
            "description": ep.description,
            "disabled": not ep.enabled,
            "event_types": types,
            "filter_types": types,
            "channels": list(ep.channels) or None,
            "throttle_rate": ep.rate_limit,
            "rate_limit": ep.rate_limit,
            "created_at": ep.created_at,
            "updated_at": ep.updated_at,
        }

    @classmethod
    def of(cls, ep: Endpoint) -> EndpointOut:
        return cls(**cls.fields_of(ep))


class EndpointSecretOut(SvixOut):
    key: str


class EndpointSecretRotateIn(SvixIn):
    key: str | None = None
    grace_period_seconds: int | None = Field(default=None, ge=0, le=604800)


class EndpointHeadersOut(SvixOut):
    headers: dict[str, str]
    sensitive: list[str] = Field(default_factory=list)


class EndpointHeadersIn(SvixIn):
    headers: dict[str, str]


class EndpointHeadersPatchIn(SvixIn):
    headers: dict[str, str | None]  # null removes a header, as does `deleteHeaders`
    delete_headers: list[str] | None = None


class RecoverIn(SvixIn):
    since: datetime
    until: datetime | None = None


class RecoverOut(SvixOut):
    id: str
    status: str  # "finished": Hookline recovers before it answers
    task: str = "endpoint.recover"
    updated_at: datetime


class EventExampleIn(SvixIn):
    event_type: str
    example_index: int = Field(default=0, ge=0)


class EndpointStats(SvixOut):
    success: int
    pending: int
    sending: int
    fail: int
    canceled: int = 0
