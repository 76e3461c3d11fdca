"""Svix event types: Hookline's catalogue. Svix keeps a schema per version
(`{"1": {...}}`); Hookline keeps one, which validates payloads, shown as version 1."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from hookline.api.svix.schemas.common import SvixIn, SvixOut
from hookline.domain.errors import FieldError, InvalidInput
from hookline.domain.models import EventType

NAME = Field(max_length=256, pattern=r"^[a-zA-Z0-9\-_.]+$")


class _EventTypeFields(SvixIn):
    description: str
    archived: bool = False
    deprecated: bool = False  # not kept (docs/svix.md)
    schemas: dict[str, Any] | None = None
    group_name: str | None = None  # not kept
    feature_flags: list[str] | None = None  # not kept


class EventTypeIn(_EventTypeFields):
    name: str = NAME


class EventTypeUpsertIn(_EventTypeFields):
    pass


class EventTypePatch(SvixIn):
    description: str | None = None
    archived: bool | None = None
    deprecated: bool | None = None
    schemas: dict[str, Any] | None = None
    group_name: str | None = None
    feature_flags: list[str] | None = None


class EventTypeOut(SvixOut):
    name: str
    description: str
    archived: bool
    deprecated: bool = False
    schemas: dict[str, Any] | None
    group_name: str | None = None
    feature_flags: list[str] | None = None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, et: EventType, *, with_content: bool = True) -> EventTypeOut:
        return cls(
            name=et.name,
            description=et.description,
            archived=et.archived,
            schemas={"1": et.schema} if et.schema is not None and with_content else None,
            created_at=et.created_at,
            updated_at=et.updated_at,
        )


def schema_of(schemas: dict[str, Any] | None) -> dict[str, Any] | None:
    """Hookline's one schema from Svix's versioned `schemas` (or a bare JSON Schema)."""
    if not schemas:
        return None
    if not all(k.isdigit() for k in schemas):
        return schemas  # a JSON Schema itself, as some clients send it
    if len(schemas) > 1:
        raise InvalidInput(
            "Hookline keeps one schema per event type; send one version.",
            errors=[FieldError("body.schemas", "one version only", sorted(schemas))],
        )
    (schema,) = schemas.values()
    if schema is not None and not isinstance(schema, dict):
        raise InvalidInput(
            "A JSON Schema is an object.",
            errors=[FieldError("body.schemas", "a JSON Schema is an object", schema)],
        )
    return schema
