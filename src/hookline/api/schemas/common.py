"""Shapes shared by every resource."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")

MAX_INT32 = 2**31 - 1  # the largest count a database INTEGER column holds


class Input(BaseModel):
    """Request bodies refuse unknown fields, so a typo is a 422, not a silent no-op."""

    model_config = ConfigDict(extra="forbid")


class ListResponse(BaseModel, Generic[T]):
    data: list[T]
    next_cursor: str | None
