"""The deliveries table as the Deliveries tab and publish see it: writing new
deliveries, reading and listing them, retry and recovery. The queue's side (claims,
leases, results) is in `store/queue.py`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    and_,
    bindparam,
    case,
    func,
    insert,
    literal_column,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.domain.models import Delivery, DeliveryStatus, Page
from hookline.store.bulk import execute_many
from hookline.store.clock import db_now
from hookline.store.paging import fetch_page, in_window
from hookline.store.schema import deliveries as t

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


def delivery_of_row(row: Row[Any]) -> Delivery:
    """A delivery from a row of this table (or a join that selects all its columns)."""
    return _to_model(row)


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
# On PostgreSQL a new delivery is due at the database's now (`store.clock`), whatever
# the publishing process's clock says, so that a publisher whose clock runs ahead
# does not hold its deliveries back. On SQLite every process shares the file's machine
# and so its clock: due at creation, as written.
_INSERT_DUE_NOW = insert(t).values(
    next_attempt_at=case((bindparam("b_pending", type_=Boolean), db_now()), else_=null())
)


async def insert_deliveries(conn: AsyncConnection, rows: Sequence[NewDelivery]) -> None:
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        await conn.execute(
            _INSERT_DUE_NOW,
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
                    "b_pending": d.status is DeliveryStatus.PENDING,
                    "failure_reason": d.failure_reason,
                    "created_at": d.created_at,
                    "updated_at": d.created_at,
                }
                for d in rows
            ],
        )
        return
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
    stmt = in_window(stmt, t.c.created_at, since, until)
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


async def schedule_now(conn: AsyncConnection, delivery_id: str) -> None:
    """Send again now (the database's now): back to pending, due at once, keeping its
    attempts and webhook-id.

    A delivery a worker holds right now (pending with a lease token) is left alone:
    its attempt is already under way, and making it due would send it twice.
    """
    await conn.execute(
        update(t)
        .where(t.c.id == delivery_id, or_(t.c.status != PENDING, t.c.lease_token.is_(None)))
        .values(status=PENDING, next_attempt_at=db_now(), failure_reason=None, updated_at=db_now())
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
    limit: int,
) -> int:
    """Make up to `limit` failed/expired deliveries of one endpoint (created in the
    window) pending and due now; returns how many. Called until it returns 0, each call
    its own short transaction, so a large recovery never holds long locks. Rows changed
    after `untouched_since` (the database's time when this run began: recovered by this
    run and already failed again) are left."""
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
            next_attempt_at=db_now(),
            lease_token=None,
            failure_reason=None,
            updated_at=db_now(),
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
