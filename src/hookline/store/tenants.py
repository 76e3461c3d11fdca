"""Queries on tenants."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.domain.models import Page, Tenant
from hookline.store.paging import fetch_page
from hookline.store.schema import tenants as t


def _to_model(row: Row[Any]) -> Tenant:
    return Tenant(
        id=row.id,
        uid=row.uid,
        name=row.name,
        metadata=row.meta or {},
        max_endpoints=row.max_endpoints,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def insert_tenant(conn: AsyncConnection, tenant: Tenant) -> None:
    await conn.execute(
        insert(t).values(
            id=tenant.id,
            uid=tenant.uid,
            name=tenant.name,
            meta=tenant.metadata,
            max_endpoints=tenant.max_endpoints,
            created_at=tenant.created_at,
            updated_at=tenant.updated_at,
        )
    )


async def get_tenant(conn: AsyncConnection, ref: str) -> Tenant | None:
    """By id or by uid."""
    row = (await conn.execute(select(t).where(or_(t.c.id == ref, t.c.uid == ref)))).first()
    return _to_model(row) if row else None


# Built once: every batch of publishes looks its tenants up with it.
_BY_REFS = select(t).where(
    or_(
        t.c.id.in_(bindparam("b_ids", expanding=True)),
        t.c.uid.in_(bindparam("b_uids", expanding=True)),
    )
)


async def get_tenants(conn: AsyncConnection, refs: Sequence[str]) -> dict[str, Tenant]:
    """Tenants by id or uid, keyed by the ref asked for (absent when none matches)."""
    if not refs:
        return {}
    wanted = list(set(refs))
    found: dict[str, Tenant] = {}
    for row in (await conn.execute(_BY_REFS, {"b_ids": wanted, "b_uids": wanted})).all():
        tenant = _to_model(row)
        for ref in (tenant.id, tenant.uid):
            if ref in wanted:
                found[ref] = tenant
    return found


async def uid_taken(conn: AsyncConnection, uid: str, *, except_id: str | None = None) -> bool:
    stmt = select(t.c.id).where(t.c.uid == uid)
    if except_id:
        stmt = stmt.where(t.c.id != except_id)
    return (await conn.execute(stmt)).first() is not None


async def list_tenants(
    conn: AsyncConnection,
    *,
    only_id: str | None,
    limit: int,
    cursor: str | None,
    offset: int | None,
    descending: bool = False,
) -> Page[Tenant]:
    stmt = select(t)
    if only_id is not None:
        stmt = stmt.where(t.c.id == only_id)
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


async def update_tenant(
    conn: AsyncConnection,
    tenant_id: str,
    *,
    uid: str | None,
    name: str,
    metadata: dict[str, Any],
    max_endpoints: int | None,
    now: datetime,
) -> None:
    await conn.execute(
        update(t)
        .where(t.c.id == tenant_id)
        .values(
            uid=uid,
            name=name,
            meta=metadata,
            max_endpoints=max_endpoints,
            updated_at=now,
        )
    )


async def delete_tenant(conn: AsyncConnection, tenant_id: str) -> None:
    """Everything the tenant owns goes with it (foreign keys cascade)."""
    await conn.execute(delete(t).where(t.c.id == tenant_id))
