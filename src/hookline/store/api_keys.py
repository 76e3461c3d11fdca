"""Queries on API keys (only hashes are stored)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.domain.models import ApiKey, Page, Role
from hookline.store.paging import fetch_page
from hookline.store.schema import api_keys as t


def _to_model(row: Row[Any]) -> ApiKey:
    return ApiKey(
        id=row.id,
        name=row.name,
        role=Role(row.role),
        tenant_id=row.tenant_id,
        prefix=row.prefix,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


async def insert_key(conn: AsyncConnection, key: ApiKey, *, key_hash: str) -> None:
    await conn.execute(
        insert(t).values(
            id=key.id,
            name=key.name,
            role=key.role.value,
            tenant_id=key.tenant_id,
            key_hash=key_hash,
            prefix=key.prefix,
            created_at=key.created_at,
        )
    )


async def get_by_hash(conn: AsyncConnection, key_hash: str) -> tuple[ApiKey, str] | None:
    """The key and its stored hash (the caller compares in constant time)."""
    row = (await conn.execute(select(t).where(t.c.key_hash == key_hash))).first()
    return (_to_model(row), row.key_hash) if row else None


async def get_key(conn: AsyncConnection, key_id: str) -> ApiKey | None:
    row = (await conn.execute(select(t).where(t.c.id == key_id))).first()
    return _to_model(row) if row else None


async def any_admin_key(conn: AsyncConnection) -> bool:
    stmt = select(t.c.id).where(t.c.role == Role.ADMIN.value, t.c.revoked_at.is_(None)).limit(1)
    return (await conn.execute(stmt)).first() is not None


async def list_keys(
    conn: AsyncConnection,
    *,
    tenant_id: str | None,
    include_revoked: bool,
    limit: int,
    cursor: str | None,
    offset: int | None,
) -> Page[ApiKey]:
    stmt = select(t)
    if tenant_id is not None:
        stmt = stmt.where(t.c.tenant_id == tenant_id)
    if not include_revoked:
        stmt = stmt.where(t.c.revoked_at.is_(None))
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


async def revoke(conn: AsyncConnection, key_id: str, *, now: datetime) -> None:
    await conn.execute(
        update(t).where(t.c.id == key_id, t.c.revoked_at.is_(None)).values(revoked_at=now)
    )


async def touch(conn: AsyncConnection, key_id: str, *, now: datetime) -> None:
    await conn.execute(update(t).where(t.c.id == key_id).values(last_used_at=now))
