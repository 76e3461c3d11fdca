"""The deliveries table as the Deliveries tab and publish see it: writing new
deliveries, reading and listing them, retry and recovery. The queue's side (claims,
leases, results) is in `store/queue.py`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, literal_column, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.domain.models import Delivery, DeliveryStatus, Message, Page
from hookline.store.bulk import execute_many
from hookline.store.messages import carries_channel
from hookline.store.messages import message_of_row as _message
from hookline.store.paging import fetch_page
from hookline.store.schema import deliveries as t
from hookline.store.schema import messages

PENDING = DeliveryStatus.PENDING.value
# Written as a literal, not a bound parameter, so both databases can prove that a
# query only touches pending rows and use the partial index `ix_deliveries_due`.
IS_PENDING = t.c.status == literal_column("'pending'")


def _to_model(row: Row[Any]) -> Delivery:
    return Delivery(
        id=row.id,
        message_id=row.message_id,
        endpoint_id=row.endpoint_id,
        tenant_id=row.tenant_id,
        event_type=row.event_type,
        status=DeliveryStatus(row.status),
        attempt_count=row.attempt_count,
        next_attempt_at=row.next_attempt_at if row.status == PENDING else None,
        last_attempt_at=row.last_attempt_at,
        last_response_code=row.last_response_code,
        failure_reason=row.failure_reason,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@dataclass(frozen=True, slots=True)
class NewDelivery:
    id: str
    message_id: str
    endpoint_id: str
    tenant_id: str
    event_type: str
    ordering_key: str | None
    status: DeliveryStatus
    failure_reason: str | None
    created_at: datetime
    fifo_key: str | None = None


_INSERT = insert(t)


async def insert_deliveries(conn: AsyncConnection, rows: Sequence[NewDelivery]) -> None:
    await execute_many(
        conn,
        _INSERT,
        [
            {
                "id": d.id,
                "message_id": d.message_id,
                "endpoint_id": d.endpoint_id,
                "tenant_id": d.tenant_id,
                "event_type": d.event_type,
                "ordering_key": d.ordering_key,
                "fifo_key": d.fifo_key,
                "status": d.status.value,
                "attempt_count": 0,
                "next_attempt_at": d.created_at if d.status is DeliveryStatus.PENDING else None,
                "failure_reason": d.failure_reason,
                "created_at": d.created_at,
                "updated_at": d.created_at,
            }
            for d in rows
        ],
    )


async def get_delivery(
    conn: AsyncConnection, *, tenant_id: str, delivery_id: str
) -> Delivery | None:
    stmt = select(t).where(t.c.tenant_id == tenant_id, t.c.id == delivery_id)
    row = (await conn.execute(stmt)).first()
    return _to_model(row) if row else None


async def for_message(conn: AsyncConnection, message_id: str) -> list[Delivery]:
    stmt = select(t).where(t.c.message_id == message_id).order_by(t.c.id)
    return [_to_model(r) for r in (await conn.execute(stmt)).all()]


async def count_for_messages(conn: AsyncConnection, message_ids: Sequence[str]) -> dict[str, int]:
    if not message_ids:
        return {}
    stmt = (
        select(t.c.message_id, func.count())
        .where(t.c.message_id.in_(list(message_ids)))
        .group_by(t.c.message_id)
    )
    return {r[0]: int(r[1]) for r in (await conn.execute(stmt)).all()}


async def list_deliveries(
    conn: AsyncConnection,
    *,
    endpoint_id: str,
    status: DeliveryStatus | None,
    event_type: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None,
    offset: int | None,
) -> Page[Delivery]:
    stmt = select(t).where(t.c.endpoint_id == endpoint_id)
    if status is not None:
        stmt = stmt.where(t.c.status == status.value)
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


async def schedule_now(conn: AsyncConnection, delivery_id: str, *, now: datetime) -> None:
    """Send again now: back to pending, due at once, keeping its attempts and webhook-id.

    A delivery a worker holds right now (pending with a lease token) is left alone:
    its attempt is already under way, and making it due would send it twice.
    """
    await conn.execute(
        update(t)
        .where(t.c.id == delivery_id, or_(t.c.status != PENDING, t.c.lease_token.is_(None)))
        .values(status=PENDING, next_attempt_at=now, failure_reason=None, updated_at=now)
    )


async def fail_pending_of_endpoint(
    conn: AsyncConnection, endpoint_id: str, *, reason: str, now: datetime
) -> int:
    stmt = (
        update(t)
        .where(and_(t.c.endpoint_id == endpoint_id, t.c.status == PENDING))
        .values(
            status=DeliveryStatus.FAILED.value,
            next_attempt_at=None,
            lease_token=None,
            failure_reason=reason,
            updated_at=now,
        )
    )
    return int((await conn.execute(stmt)).rowcount or 0)


async def get_delivery_by_id(conn: AsyncConnection, delivery_id: str) -> Delivery | None:
    row = (await conn.execute(select(t).where(t.c.id == delivery_id))).first()
    return _to_model(row) if row else None


RECOVERABLE = (DeliveryStatus.FAILED.value, DeliveryStatus.EXPIRED.value)


async def recover_batch(
    conn: AsyncConnection,
    *,
    endpoint_id: str,
    since: datetime,
    until: datetime,
    untouched_since: datetime,
    now: datetime,
    limit: int,
) -> int:
    """Make up to `limit` failed/expired deliveries of one endpoint (created in the
    window) pending and due now; returns how many. Called until it returns 0, each call
    its own short transaction, so a large recovery never holds long locks. Rows changed
    after `untouched_since` (recovered by this run and already failed again) are left."""
    picked = (
        select(t.c.id)
        .where(
            t.c.endpoint_id == endpoint_id,
            t.c.status.in_(RECOVERABLE),
            t.c.created_at >= since,
            t.c.created_at < until,
            t.c.updated_at < untouched_since,
        )
        .order_by(t.c.id)
        .limit(limit)
        .scalar_subquery()
    )
    result = await conn.execute(
        update(t)
        .where(t.c.id.in_(picked), t.c.status.in_(RECOVERABLE))
        .values(
            status=PENDING,
            next_attempt_at=now,
            lease_token=None,
            failure_reason=None,
            updated_at=now,
        )
    )
    return int(result.rowcount or 0)


async def count_recoverable(
    conn: AsyncConnection, *, endpoint_id: str, since: datetime, until: datetime
) -> int:
    stmt = (
        select(func.count())
        .select_from(t)
        .where(
            t.c.endpoint_id == endpoint_id,
            t.c.status.in_(RECOVERABLE),
            t.c.created_at >= since,
            t.c.created_at < until,
        )
    )
    return int((await conn.execute(stmt)).scalar_one())


async def get_for(
    conn: AsyncConnection, *, tenant_id: str, message_id: str, endpoint_id: str
) -> Delivery | None:
    """The delivery of one message to one endpoint (there is at most one)."""
    stmt = select(t).where(
        t.c.tenant_id == tenant_id, t.c.message_id == message_id, t.c.endpoint_id == endpoint_id
    )
    row = (await conn.execute(stmt)).first()
    return _to_model(row) if row else None


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
    if since is not None:
        stmt = stmt.where(t.c.created_at >= since)
    if until is not None:
        stmt = stmt.where(t.c.created_at < until)
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
    if since is not None:
        stmt = stmt.where(t.c.created_at >= since)
    if until is not None:
        stmt = stmt.where(t.c.created_at < until)
    stmt = stmt.group_by(t.c.status, tried)
    rows = (await conn.execute(stmt)).all()
    return [StatusCount(DeliveryStatus(r[0]), bool(r[1]), int(r[2])) for r in rows]
