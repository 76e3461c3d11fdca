"""Svix applications: Hookline's tenants."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from hookline.api.svix.schemas.common import SvixIn, SvixOut, string_map
from hookline.domain.models import Tenant

UID = Field(default=None, min_length=1, max_length=256, pattern=r"^[a-zA-Z0-9\-_.]+$")


class ApplicationIn(SvixIn):
    name: str = Field(min_length=1)
    uid: str | None = UID
    metadata: dict[str, str] = Field(default_factory=dict)
    # Hookline has no per-tenant rate: only null is taken (see `throttle_refused`).
    throttle_rate: int | None = None
    rate_limit: int | None = None


class ApplicationPatch(SvixIn):
    name: str | None = Field(default=None, min_length=1)
    uid: str | None = UID
    metadata: dict[str, str] | None = None
    throttle_rate: int | None = None
    rate_limit: int | None = None


class ApplicationOut(SvixOut):
    id: str
    uid: str | None
    name: str
    metadata: dict[str, str]
    throttle_rate: int | None = None
    rate_limit: int | None = None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, tenant: Tenant) -> ApplicationOut:
        return cls(
            id=tenant.id,
            uid=tenant.uid,
            name=tenant.name,
            metadata=string_map(tenant.metadata),
            created_at=tenant.created_at,
            updated_at=tenant.updated_at,
        )
