"""Queries on the event-type catalogue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.domain.models import EventType, Page
from hookline.store.paging import fetch_page
from hookline.store.schema import event_types as t


def _to_model(row: Row[Any]) -> EventType:
    return EventType(
        name=row.name,
        description=row.description,
        schema=row.schema,
        archived=row.archived_at is not None,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def insert_event_type(conn: AsyncConnection, event_type: EventType) -> None:
    await conn.execute(
        insert(t).values(
            name=event_type.name,
            description=event_type.description,
            schema=event_type.schema,
            archived_at=None,
            created_at=event_type.created_at,
            updated_at=event_type.updated_at,
        )
    )


async def get_event_type(conn: AsyncConnection, name: str) -> EventType | None:
    row = (await conn.execute(select(t).where(t.c.name == name))).first()
    return _to_model(row) if row else None


_BY_NAMES = select(t).where(t.c.name.in_(bindparam("b_names", expanding=True)))


async def get_event_types(conn: AsyncConnection, names: list[str]) -> dict[str, EventType]:
    if not names:
        return {}
    rows = (await conn.execute(_BY_NAMES, {"b_names": names})).all()
    return {r.name: _to_model(r) for r in rows}


async def active_names(conn: AsyncConnection) -> list[str]:
    rows = (await conn.execute(select(t.c.name).where(t.c.archived_at.is_(None)))).all()
    return [r.name for r in rows]


async def list_event_types(
    conn: AsyncConnection,
    *,
    include_archived: bool,
    limit: int,
    cursor: str | None,
    offset: int | None,
    descending: bool = False,
) -> Page[EventType]:
    stmt = select(t)
    if not include_archived:
        stmt = stmt.where(t.c.archived_at.is_(None))
    return await fetch_page(
        conn,
        stmt,
        t.c.name,
        _to_model,
        limit=limit,
        cursor=cursor,
        offset=offset,
        descending=descending,
    )


async def update_event_type(
    conn: AsyncConnection,
    name: str,
    *,
    description: str,
    schema: dict[str, Any] | None,
    archived_at: datetime | None,
    now: datetime,
) -> None:
    await conn.execute(
        update(t)
        .where(t.c.name == name)
        .values(
            description=description,
            schema=schema,
            archived_at=archived_at,
            updated_at=now,
        )
    )


async def count_event_types(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(func.count()).select_from(t))).scalar_one())
