"""Queries on messages (immutable once written)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Text, bindparam, cast, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from hookline import tracing
from hookline.domain.models import Message, Page
from hookline.store.bulk import execute_many
from hookline.store.paging import fetch_page, in_window
from hookline.store.schema import messages as t


def _to_model(row: Row[Any]) -> Message:
    return message_of_row(row._mapping)


def message_of_row(values: Mapping[Any, Any]) -> Message:
    """A message from its columns by name (a row of this table, or of a join)."""
    return Message(
        id=values["id"],
        tenant_id=values["tenant_id"],
        event_type=values["event_type"],
        body=bytes(values["body"]),
        idempotency_key=values["idempotency_key"],
        ordering_key=values["ordering_key"],
        created_at=values["created_at"],
        channels=tuple(values["channels"] or ()),
        trace_context=values.get("trace_context"),
        fingerprint=values.get("request_fingerprint"),
    )


def carries_channel(column: Any, channel: str) -> ColumnElement[bool]:
    """Whether the JSON list in `column` holds `channel`, on both databases: the list's
    text holds the name in double quotes, which no channel name contains (its pattern
    allows neither quotes nor backslashes), so the match is exact. No index serves it:
    it narrows a list already bounded by tenant (or endpoint) and page size."""
    return cast(column, Text).contains(f'"{channel}"', autoescape=True)


def message_values(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "tenant_id": message.tenant_id,
        "event_type": message.event_type,
        "body": message.body,
        "idempotency_key": message.idempotency_key,
        "ordering_key": message.ordering_key,
        "channels": list(message.channels) or None,
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


async def find_message(conn: AsyncConnection, *, tenant_id: str, ref: str) -> Message | None:
    """By id or, failing that, by idempotency key (Svix's `eventId`) within one tenant."""
    found = await get_message(conn, tenant_id=tenant_id, message_id=ref)
    if found is None:
        found = await find_by_idempotency_key(conn, tenant_id=tenant_id, key=ref)
    return found


async def get_messages(
    conn: AsyncConnection, *, tenant_id: str, ids: Sequence[str]
) -> dict[str, Message]:
    """A tenant's messages by id (those not found are absent)."""
    if not ids:
        return {}
    stmt = select(t).where(t.c.tenant_id == tenant_id, t.c.id.in_(list(set(ids))))
    return {r.id: _to_model(r) for r in (await conn.execute(stmt)).all()}


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
    channel: str | None = None,
    event_types: Sequence[str] | None = None,
    descending: bool = True,
) -> Page[Message]:
    stmt = select(t).where(t.c.tenant_id == tenant_id)
    if event_type:
        stmt = stmt.where(t.c.event_type == event_type)
    if event_types:
        stmt = stmt.where(t.c.event_type.in_(list(event_types)))
    if channel:
        stmt = stmt.where(carries_channel(t.c.channels, channel))
    stmt = in_window(stmt, t.c.created_at, since, until)
    return await fetch_page(
        conn,
        stmt,
        t.c.id,
        _to_model,
        limit=limit,
        cursor=cursor,
        offset=offset,
        descending=descending,
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
