"""Keyset paging over id-ordered lists: opaque cursors, `limit`, and `offset` as a fallback."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Column, Select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.domain.cursors import decode_cursor, encode_cursor
from hookline.domain.models import Page

T = TypeVar("T")


def in_window(
    stmt: Select[Any], column: Column[Any], since: datetime | None, until: datetime | None
) -> Select[Any]:
    """The rows whose `column` is in [since, until): each bound only when given."""
    if since is not None:
        stmt = stmt.where(column >= since)
    if until is not None:
        stmt = stmt.where(column < until)
    return stmt


async def fetch_page(
    conn: AsyncConnection,
    stmt: Select[Any],
    key: Column[Any],
    convert: Callable[[Row[Any]], T],
    *,
    limit: int,
    cursor: str | None,
    offset: int | None,
    descending: bool,
) -> Page[T]:
    """Run `stmt` ordered by `key`, starting after `cursor` (or skipping `offset` rows)."""
    if cursor:
        after = decode_cursor(cursor)
        stmt = stmt.where(key < after if descending else key > after)
    elif offset:
        stmt = stmt.offset(offset)
    stmt = stmt.order_by(key.desc() if descending else key.asc()).limit(limit + 1)
    rows: Sequence[Row[Any]] = (await conn.execute(stmt)).all()
    items = [convert(r) for r in rows[:limit]]
    next_cursor = (
        encode_cursor(str(getattr(rows[limit - 1], key.name))) if len(rows) > limit else None
    )
    return Page(items, next_cursor)
