"""Queries on attempts: written in batches by workers, read by the Deliveries tab."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.domain.models import Attempt, AttemptStatus, Page
from hookline.store.bulk import execute_many
from hookline.store.messages import carries_channel
from hookline.store.paging import fetch_page, in_window
from hookline.store.schema import attempts as t
from hookline.store.schema import messages


def _to_model(row: Row[Any]) -> Attempt:
    return Attempt(
        id=row.id,
        delivery_id=row.delivery_id,
        endpoint_id=row.endpoint_id,
        message_id=row.message_id,
        tenant_id=row.tenant_id,
        event_type=row.event_type,
        attempt_number=row.attempt_number,
        url=row.url,
        started_at=row.started_at,
        duration_ms=row.duration_ms,
        response_code=row.response_code,
        response_body=row.response_body,
        error_message=row.error_message,
        status=AttemptStatus(row.status),
        request_headers=dict(row.request_headers or {}),
        response_headers=row.response_headers,
    )


# Built once: constructing and keying the statement per batch costs more than a row.
_INSERT = {
    "postgresql": pg_insert(t).on_conflict_do_nothing(index_elements=[t.c.id]),
    "sqlite": sqlite_insert(t).on_conflict_do_nothing(index_elements=[t.c.id]),
}


async def insert_attempts(conn: AsyncConnection, attempts: Sequence[Attempt]) -> None:
    """Idempotent: a batch written again (its first commit's answer was lost to a broken
    connection) inserts nothing twice."""
    await execute_many(
        conn,
        _INSERT[conn.dialect.name],
        [
            {
                "id": a.id,
                "delivery_id": a.delivery_id,
                "endpoint_id": a.endpoint_id,
                "message_id": a.message_id,
                "tenant_id": a.tenant_id,
                "event_type": a.event_type,
                "attempt_number": a.attempt_number,
                "url": a.url,
                "started_at": a.started_at,
                "duration_ms": a.duration_ms,
                "response_code": a.response_code,
                "response_body": a.response_body,
                "error_message": a.error_message,
                "status": a.status.value,
                "request_headers": a.request_headers,
                "response_headers": a.response_headers,
            }
            for a in attempts
        ],
    )


async def list_attempts(
    conn: AsyncConnection,
    *,
    delivery_id: str,
    limit: int,
    cursor: str | None,
    offset: int | None,
) -> Page[Attempt]:
    stmt = select(t).where(t.c.delivery_id == delivery_id)
    return await fetch_page(
        conn,
        stmt,
        t.c.id,
        _to_model,
        limit=limit,
        cursor=cursor,
        offset=offset,
        descending=False,
    )


async def first_attempt(conn: AsyncConnection, delivery_id: str) -> Attempt | None:
    stmt = select(t).where(t.c.delivery_id == delivery_id).order_by(t.c.id).limit(1)
    row = (await conn.execute(stmt)).first()
    return _to_model(row) if row else None


async def search_attempts(
    conn: AsyncConnection,
    *,
    tenant_id: str,
    endpoint_id: str | None = None,
    message_id: str | None = None,
    status: AttemptStatus | None = None,
    event_types: Sequence[str] | None = None,
    channel: str | None = None,
    code_class: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int,
    cursor: str | None,
    descending: bool = True,
) -> Page[Attempt]:
    """A tenant's attempts to one endpoint and/or of one message, newest first, with
    the filters the Svix door offers (a message's channel is looked up on the message).
    `code_class` keeps the attempts whose response status is in that hundred (0: those
    without a response). Attempt ids sort by start time, so the id is the key."""
    stmt = select(t).where(t.c.tenant_id == tenant_id)
    if endpoint_id is not None:
        stmt = stmt.where(t.c.endpoint_id == endpoint_id)
    if message_id is not None:
        stmt = stmt.where(t.c.message_id == message_id)
    if status is not None:
        stmt = stmt.where(t.c.status == status.value)
    if event_types:
        stmt = stmt.where(t.c.event_type.in_(list(event_types)))
    if channel:
        stmt = stmt.where(
            exists().where(
                messages.c.id == t.c.message_id, carries_channel(messages.c.channels, channel)
            )
        )
    if code_class is not None:  # 0: no response at all; 200: 2xx, and so on
        code = t.c.response_code
        stmt = stmt.where(
            code.is_(None) if code_class == 0 else code.between(code_class, code_class + 99)
        )
    stmt = in_window(stmt, t.c.started_at, since, until)
    return await fetch_page(
        conn,
        stmt,
        t.c.id,
        _to_model,
        limit=limit,
        cursor=cursor,
        offset=None,
        descending=descending,
    )


async def get_attempt(conn: AsyncConnection, *, tenant_id: str, attempt_id: str) -> Attempt | None:
    stmt = select(t).where(t.c.tenant_id == tenant_id, t.c.id == attempt_id)
    row = (await conn.execute(stmt)).first()
    return _to_model(row) if row else None
