"""The deliveries table, which is also the queue.

A pending delivery is due when `next_attempt_at <= now`. Claiming sets a fresh
`lease_token` and pushes `next_attempt_at` to the end of the lease, so the row is not
due for anyone else until the lease runs out; a worker that dies simply lets it run
out. Results are written only where the token still matches (fencing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.domain.models import Delivery, DeliveryStatus, Page
from hookline.store.paging import fetch_page
from hookline.store.schema import deliveries as t

PENDING = DeliveryStatus.PENDING.value


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


async def insert_deliveries(conn: AsyncConnection, rows: Sequence[NewDelivery]) -> None:
    if not rows:
        return
    await conn.execute(
        insert(t),
        [
            {
                "id": d.id,
                "message_id": d.message_id,
                "endpoint_id": d.endpoint_id,
                "tenant_id": d.tenant_id,
                "event_type": d.event_type,
                "ordering_key": d.ordering_key,
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


@dataclass(frozen=True, slots=True)
class Claimed:
    id: str
    message_id: str
    endpoint_id: str
    tenant_id: str
    event_type: str
    attempt_count: int
    lease_token: str


async def claim_due(
    conn: AsyncConnection,
    *,
    now: datetime,
    lease_until: datetime,
    token: str,
    limit: int,
    skip_endpoints: Sequence[str] = (),
) -> list[Claimed]:
    """Claim up to `limit` due deliveries for one lease.

    Why this is safe with many workers: on PostgreSQL the inner SELECT takes row locks
    with SKIP LOCKED, so two workers never pick the same row, and the outer UPDATE moves
    `next_attempt_at` past `now`, so once committed the row is no longer due for anyone
    until the lease ends. On SQLite the whole statement runs inside a write
    transaction (BEGIN IMMEDIATE), which already excludes every other writer.
    `skip_endpoints` lets a worker leave alone endpoints whose share it already holds.
    """
    due = (
        select(t.c.id)
        .where(t.c.status == PENDING, t.c.next_attempt_at <= now)
        .order_by(t.c.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if skip_endpoints:
        due = due.where(t.c.endpoint_id.not_in(list(skip_endpoints)))
    stmt = (
        update(t)
        .where(t.c.id.in_(due.scalar_subquery()))
        .values(lease_token=token, next_attempt_at=lease_until)
        .returning(
            t.c.id,
            t.c.message_id,
            t.c.endpoint_id,
            t.c.tenant_id,
            t.c.event_type,
            t.c.attempt_count,
        )
    )
    rows = (await conn.execute(stmt)).all()
    return [
        Claimed(
            r.id,
            r.message_id,
            r.endpoint_id,
            r.tenant_id,
            r.event_type,
            r.attempt_count,
            token,
        )
        for r in rows
    ]


async def renew_leases(conn: AsyncConnection, *, tokens: Sequence[str], until: datetime) -> int:
    """Extend every lease still held under these tokens (fenced by the token)."""
    if not tokens:
        return 0
    stmt = (
        update(t)
        .where(t.c.lease_token.in_(list(tokens)), t.c.status == PENDING)
        .values(next_attempt_at=until)
    )
    result = await conn.execute(stmt)
    return int(result.rowcount or 0)


async def release(conn: AsyncConnection, held: Sequence[tuple[str, str]], *, now: datetime) -> None:
    """Give deliveries back to the queue, due at once (id, token pairs; fenced)."""
    if not held:
        return
    stmt = (
        update(t)
        .where(t.c.id == bindparam("b_id"), t.c.lease_token == bindparam("b_token"))
        .values(lease_token=None, next_attempt_at=now)
    )
    await conn.execute(stmt, [{"b_id": i, "b_token": tok} for i, tok in held])


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt did to its delivery."""

    delivery_id: str
    lease_token: str
    status: DeliveryStatus
    next_attempt_at: datetime | None
    attempted_at: datetime
    response_code: int | None
    failure_reason: str | None


async def record_outcomes(
    conn: AsyncConnection, outcomes: Sequence[Outcome], *, now: datetime
) -> None:
    """Write attempt results onto their deliveries.

    Fencing: each row is updated only while it still carries the lease token of the
    claim that made the attempt. A worker whose lease ran out (and whose delivery was
    claimed again) therefore cannot overwrite the newer claim's state.
    """
    if not outcomes:
        return
    stmt = (
        update(t)
        .where(t.c.id == bindparam("b_id"), t.c.lease_token == bindparam("b_token"))
        .values(
            status=bindparam("b_status"),
            attempt_count=t.c.attempt_count + 1,
            next_attempt_at=bindparam("b_next"),
            lease_token=None,
            last_attempt_at=bindparam("b_at"),
            last_response_code=bindparam("b_code"),
            failure_reason=bindparam("b_reason"),
            updated_at=now,
        )
    )
    await conn.execute(
        stmt,
        [
            {
                "b_id": o.delivery_id,
                "b_token": o.lease_token,
                "b_status": o.status.value,
                "b_next": o.next_attempt_at,
                "b_at": o.attempted_at,
                "b_code": o.response_code,
                "b_reason": o.failure_reason,
            }
            for o in outcomes
        ],
    )


async def finish_without_attempt(
    conn: AsyncConnection,
    held: Sequence[tuple[str, str]],
    *,
    status: DeliveryStatus,
    reason: str,
    now: datetime,
) -> None:
    """Make claimed deliveries final without sending (endpoint deleted or disabled meanwhile)."""
    if not held:
        return
    stmt = (
        update(t)
        .where(t.c.id == bindparam("b_id"), t.c.lease_token == bindparam("b_token"))
        .values(
            status=status.value,
            next_attempt_at=None,
            lease_token=None,
            failure_reason=reason,
            updated_at=now,
        )
    )
    await conn.execute(stmt, [{"b_id": i, "b_token": tok} for i, tok in held])


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


async def next_due_at(conn: AsyncConnection) -> datetime | None:
    """When the earliest pending delivery becomes due (for the worker's sleep)."""
    stmt = (
        select(t.c.next_attempt_at)
        .where(t.c.status == PENDING)
        .order_by(t.c.next_attempt_at)
        .limit(1)
    )
    value: datetime | None = (await conn.execute(stmt)).scalar_one_or_none()
    return value


async def get_delivery_by_id(conn: AsyncConnection, delivery_id: str) -> Delivery | None:
    row = (await conn.execute(select(t).where(t.c.id == delivery_id))).first()
    return _to_model(row) if row else None
