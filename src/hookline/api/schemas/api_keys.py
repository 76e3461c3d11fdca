from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from hookline.api.schemas.common import Input
from hookline.domain.models import ApiKey, Role


class ApiKeyIn(Input):
    name: str = Field(min_length=1, max_length=200, examples=["deploy pipeline"])
    role: Role
    tenant_id: str | None = Field(default=None, description="Bind the key to one tenant")


class ApiKeyOut(BaseModel):
    id: str
    name: str
    role: Role
    tenant_id: str | None
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, k: ApiKey) -> ApiKeyOut:
        return cls(
            id=k.id,
            name=k.name,
            role=k.role,
            tenant_id=k.tenant_id,
            prefix=k.prefix,
            created_at=k.created_at,
            last_used_at=k.last_used_at,
            revoked_at=k.revoked_at,
        )


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The key itself: shown this once, stored only as a hash")
