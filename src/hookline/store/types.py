"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine


class UTCDateTime(TypeDecorator[datetime]):
    """Always an aware UTC datetime in Python; `timestamptz` on PostgreSQL, text on SQLite.

    SQLite keeps the naive UTC form, whose text sorts in time order, so range queries
    and the claim query work on both.
    """

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(DateTime(timezone=False))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """On SQLite, one step straight to SQLAlchemy's storage text for DATETIME
        (`YYYY-MM-DD HH:MM:SS.ffffff`) instead of two: every claim, result and publish
        binds several datetimes per row, and the generic path formats each through a
        dict (about a tenth of the worker's time in `make bench`)."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        last: tuple[datetime | None, str | None] = (None, None)  # rows of a batch share `now`

        def process(value: datetime | None) -> str | None:
            nonlocal last
            if value is None:
                return None
            if value is last[0]:
                return last[1]
            if value.tzinfo is UTC:  # the usual case: drop "+00:00" (quicker than replace())
                text = value.isoformat(" ", "microseconds")[:-6]
            else:
                text = _naive_utc(value).isoformat(" ", "microseconds")
            last = (value, text)
            return text

        return process

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _naive_utc(value: datetime) -> datetime:
    if value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


JSONType = JSON().with_variant(JSONB(), "postgresql")
