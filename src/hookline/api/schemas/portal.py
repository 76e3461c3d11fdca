from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from hookline.api.schemas.common import Input
from hookline.services.portal import DEFAULT_EXPIRES_IN


class PortalLinkIn(Input):
    expires_in: int = Field(
        default=DEFAULT_EXPIRES_IN,
        description="Seconds the link stays valid (60–604800)",
        examples=[3600],
    )


class PortalLinkOut(BaseModel):
    url: str = Field(description="Opens the dashboard for this tenant alone")
    tenant_id: str
    expires_at: datetime
