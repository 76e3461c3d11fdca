from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from hookline.api.schemas.common import Input


class RecoverIn(Input):
    since: datetime = Field(description="Deliveries created at or after this time")
    until: datetime | None = Field(default=None, description="…and before this time (now)")


class RecoverOut(BaseModel):
    recovered: int = Field(description="Deliveries made pending again")
