from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from hookline.api.schemas.common import MAX_INT32, Input
from hookline.domain.models import Tenant


class TenantIn(Input):
    name: str = Field(min_length=1, max_length=200, examples=["Acme Inc."])
    uid: str | None = Field(default=None, examples=["acme"])
    metadata: dict[str, Any] = Field(default_factory=dict)
    max_endpoints: int | None = Field(default=None, ge=0, le=MAX_INT32, description="0 = no limit")


class TenantPatch(Input):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    uid: str | None = None
    metadata: dict[str, Any] | None = None
    max_endpoints: int | None = Field(default=None, ge=0, le=MAX_INT32)


class TenantOut(BaseModel):
    id: str
    uid: str | None
    name: str
    metadata: dict[str, Any]
    max_endpoints: int | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, t: Tenant) -> TenantOut:
        return cls(
            id=t.id,
            uid=t.uid,
            name=t.name,
            metadata=t.metadata,
            max_endpoints=t.max_endpoints,
            created_at=t.created_at,
            updated_at=t.updated_at,
        )
