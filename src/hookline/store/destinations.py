"""Where messages went, read across the deliveries table: an endpoint's deliveries with
their messages, a message's deliveries by endpoint, and counts of an endpoint's
deliveries by state (the Svix door's attempted messages and destinations, and stats)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.domain.models import Delivery, DeliveryStatus, Message, Page
from hookline.store.deliveries import delivery_of_row as _to_model
from hookline.store.messages import carries_channel
from hookline.store.messages import message_of_row as _message
from hookline.store.paging import fetch_page, in_window
from hookline.store.schema import deliveries as t
from hookline.store.schema import messages


async def list_for_message(
    conn: AsyncConnection, *, message_id: str, limit: int, cursor: str | None, descending: bool
) -> Page[Delivery]:
    """A message's deliveries keyed by endpoint id (one each), for paging through
    where it went."""
    stmt = select(t).where(t.c.message_id == message_id)
    return await fetch_page(
        conn,
        stmt,
        t.c.endpoint_id,
        _to_model,
        limit=limit,
        cursor=cursor,
        offset=None,
        descending=descending,
    )


# The message's columns, prefixed so that they sit beside the delivery's in one row.
_MESSAGE_COLUMNS = [c.label(f"m_{c.name}") for c in messages.c]


def _with_message(row: Row[Any]) -> tuple[Delivery, Message]:
    prefix = "m_"
    fields = {k[len(prefix) :]: v for k, v in row._mapping.items() if k.startswith(prefix)}
    return _to_model(row), _message(fields)


async def list_with_messages(
    conn: AsyncConnection,
    *,
    endpoint_id: str,
    statuses: Sequence[DeliveryStatus] | None = None,
    attempted: bool | None = None,
    event_types: Sequence[str] | None = None,
    channel: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int,
    cursor: str | None,
    descending: bool = True,
) -> Page[tuple[Delivery, Message]]:
    """An endpoint's deliveries with their messages, newest first. `attempted` keeps
    those with (True) or without (False) an attempt so far."""
    stmt = select(t, *_MESSAGE_COLUMNS).join(messages, messages.c.id == t.c.message_id)
    stmt = stmt.where(t.c.endpoint_id == endpoint_id)
    if statuses:
        stmt = stmt.where(t.c.status.in_([s.value for s in statuses]))
    if attempted is not None:
        stmt = stmt.where(t.c.attempt_count > 0 if attempted else t.c.attempt_count == 0)
    if event_types:
        stmt = stmt.where(t.c.event_type.in_(list(event_types)))
    if channel:
        stmt = stmt.where(carries_channel(messages.c.channels, channel))
    stmt = in_window(stmt, t.c.created_at, since, until)
    return await fetch_page(
        conn,
        stmt,
        t.c.id,
        _with_message,
        limit=limit,
        cursor=cursor,
        offset=None,
        descending=descending,
    )


@dataclass(frozen=True, slots=True)
class StatusCount:
    status: DeliveryStatus
    attempted: bool  # at least one attempt made so far
    count: int


async def count_by_status(
    conn: AsyncConnection,
    *,
    endpoint_id: str,
    since: datetime | None,
    until: datetime | None,
) -> list[StatusCount]:
    """How many of an endpoint's deliveries (created in the window) are in each status."""
    tried = (t.c.attempt_count > 0).label("tried")
    stmt = select(t.c.status, tried, func.count()).where(t.c.endpoint_id == endpoint_id)
    stmt = in_window(stmt, t.c.created_at, since, until)
    stmt = stmt.group_by(t.c.status, tried)
    rows = (await conn.execute(stmt)).all()
    return [StatusCount(DeliveryStatus(r[0]), bool(r[1]), int(r[2])) for r in rows]
