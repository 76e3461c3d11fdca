"""Deleting old history in small batches: final deliveries (their attempts go with them
by cascade) and messages left with no delivery. Never a pending delivery."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, delete, exists, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.store.clock import db_now_plus
from hookline.store.schema import deliveries, messages

_LOCK_ID = 0x486F6F6C  # one retention run at a time across workers (PostgreSQL)


async def try_lock(conn: AsyncConnection) -> bool:
    """Take the retention lock for this transaction; False when another worker has it.
    On SQLite the write transaction itself is the lock."""
    if conn.dialect.name != "postgresql":
        return True
    got = await conn.execute(text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
    return bool(got.scalar_one())


def _cutoff(days: float) -> ColumnElement[Any]:
    """`days` before now, by the database's clock (`store.clock`)."""
    return db_now_plus(-days * 86400.0)


async def delete_final_deliveries(conn: AsyncConnection, *, days: float, limit: int) -> int:
    """Up to `limit` final deliveries created more than `days` ago (their attempts go
    with them by cascade)."""
    picked = (
        select(deliveries.c.id)
        .where(deliveries.c.status != "pending", deliveries.c.created_at < _cutoff(days))
        .limit(limit)
        .scalar_subquery()
    )
    result = await conn.execute(
        delete(deliveries).where(
            deliveries.c.id.in_(picked),
            # Re-checked: a delivery recovered meanwhile is pending again and stays.
            deliveries.c.status != "pending",
        )
    )
    return int(result.rowcount or 0)


async def delete_orphan_messages(conn: AsyncConnection, *, days: float, limit: int) -> int:
    """Up to `limit` messages created more than `days` ago that no delivery refers to."""
    has_delivery = exists().where(deliveries.c.message_id == messages.c.id)
    picked = (
        select(messages.c.id)
        .where(messages.c.created_at < _cutoff(days), ~has_delivery)
        .limit(limit)
        .scalar_subquery()
    )
    result = await conn.execute(delete(messages).where(messages.c.id.in_(picked), ~has_delivery))
    return int(result.rowcount or 0)
