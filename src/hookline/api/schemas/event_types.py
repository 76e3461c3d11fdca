from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from hookline.api.schemas.common import Input
from hookline.domain.models import EventType


class EventTypeIn(Input):
    name: str = Field(examples=["invoice.paid"])
    description: str = Field(default="", max_length=1000)
    schema_: dict[str, Any] | None = Field(
        default=None, alias="schema", description="JSON Schema of the payload"
    )


class EventTypePatch(Input):
    description: str | None = Field(default=None, max_length=1000)
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    archived: bool | None = None


class EventTypeOut(BaseModel):
    name: str
    description: str
    schema_: dict[str, Any] | None = Field(serialization_alias="schema")
    archived: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, et: EventType) -> EventTypeOut:
        return cls(
            name=et.name,
            description=et.description,
            schema_=et.schema,
            archived=et.archived,
            created_at=et.created_at,
            updated_at=et.updated_at,
        )
