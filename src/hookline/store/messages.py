"""Queries on messages (immutable once written)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from hookline import tracing
from hookline.domain.models import Message, Page
from hookline.store.bulk import execute_many
from hookline.store.paging import fetch_page
from hookline.store.schema import messages as t


def _to_model(row: Row[Any]) -> Message:
    return Message(
        id=row.id,
        tenant_id=row.tenant_id,
        event_type=row.event_type,
        body=bytes(row.body),
        idempotency_key=row.idempotency_key,
        ordering_key=row.ordering_key,
        created_at=row.created_at,
        trace_context=row.trace_context,
        fingerprint=row.request_fingerprint,
    )


def message_values(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "tenant_id": message.tenant_id,
        "event_type": message.event_type,
        "body": message.body,
        "idempotency_key": message.idempotency_key,
        "ordering_key": message.ordering_key,
        "created_at": message.created_at,
        "trace_context": message.trace_context,
        "request_fingerprint": message.fingerprint,
    }


_INSERT = insert(t)


async def insert_messages(conn: AsyncConnection, messages: Sequence[Message]) -> None:
    await execute_many(conn, _INSERT, [message_values(m) for m in messages])


async def find_by_idempotency_key(
    conn: AsyncConnection, *, tenant_id: str, key: str
) -> Message | None:
    stmt = select(t).where(t.c.tenant_id == tenant_id, t.c.idempotency_key == key)
    row = (await conn.execute(stmt)).first()
    return _to_model(row) if row else None


async def forget_idempotency_key(conn: AsyncConnection, message_id: str) -> None:
    """Free a key whose 24 h window is over, so it may name a new message."""
    await conn.execute(update(t).where(t.c.id == message_id).values(idempotency_key=None))


async def get_message(conn: AsyncConnection, *, tenant_id: str, message_id: str) -> Message | None:
    stmt = select(t).where(t.c.tenant_id == tenant_id, t.c.id == message_id)
    row = (await conn.execute(stmt)).first()
    return _to_model(row) if row else None


_BODIES = select(t.c.id, t.c.body).where(t.c.id.in_(bindparam("b_ids", expanding=True)))
_TRACED_BODIES = select(t.c.id, t.c.body, t.c.trace_context).where(
    t.c.id.in_(bindparam("b_ids", expanding=True))
)


async def get_bodies(conn: AsyncConnection, ids: Sequence[str]) -> dict[str, bytes]:
    """The bodies of these messages. When this process traces, their publish spans'
    contexts come along, kept for the attempts' links (`tracing.remember`)."""
    if not ids:
        return {}
    if not tracing.ENABLED:
        rows = (await conn.execute(_BODIES, {"b_ids": list(ids)})).all()
        return {r.id: bytes(r.body) for r in rows}
    traced = (await conn.execute(_TRACED_BODIES, {"b_ids": list(ids)})).all()
    tracing.remember((r.id, r.trace_context) for r in traced if r.trace_context)
    return {r.id: bytes(r.body) for r in traced}


async def list_messages(
    conn: AsyncConnection,
    *,
    tenant_id: str,
    event_type: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None,
    offset: int | None,
) -> Page[Message]:
    stmt = select(t).where(t.c.tenant_id == tenant_id)
    if event_type:
        stmt = stmt.where(t.c.event_type == event_type)
    if since:
        stmt = stmt.where(t.c.created_at >= since)
    if until:
        stmt = stmt.where(t.c.created_at < until)
    return await fetch_page(
        conn,
        stmt,
        t.c.id,
        _to_model,
        limit=limit,
        cursor=cursor,
        offset=offset,
        descending=True,
    )


async def find_by_idempotency_keys(
    conn: AsyncConnection, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], Message]:
    """Messages by (tenant id, idempotency key), for a batch of publishes at once."""
    if not keys:
        return {}
    by_key = {k for _, k in keys}
    stmt = select(t).where(t.c.idempotency_key.in_(list(by_key)))
    found = {}
    wanted = set(keys)
    for row in (await conn.execute(stmt)).all():
        pair = (row.tenant_id, row.idempotency_key)
        if pair in wanted:
            found[pair] = _to_model(row)
    return found
