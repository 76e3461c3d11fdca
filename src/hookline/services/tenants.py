"""Tenants: one customer of the operator, owner of endpoints and messages."""

from __future__ import annotations

from typing import Any

from hookline.domain.clock import utcnow
from hookline.domain.errors import Conflict, ValidationReport
from hookline.domain.ids import new_id
from hookline.domain.models import Page, Principal, Tenant
from hookline.services import api_keys
from hookline.services.access import (
    Permission,
    require,
    require_operator,
    resolve_tenant,
    tenant_visible,
)
from hookline.services.context import Context
from hookline.services.validation import check_uid
from hookline.store import tenants as store

_UNSET: Any = object()
MAX_NAME = 200


async def create(
    ctx: Context,
    principal: Principal,
    *,
    name: str,
    uid: str | None = None,
    metadata: dict[str, Any] | None = None,
    max_endpoints: int | None = None,
) -> Tenant:
    require(principal, Permission.ADMIN)
    require_operator(principal)
    report = ValidationReport()
    check_name(report, name)
    check_uid(report, uid, "body.uid")
    report.raise_if_any()
    now = utcnow()
    tenant = Tenant(new_id("ten"), uid, name, metadata or {}, max_endpoints, now, now)
    async with ctx.db.write() as conn:
        if uid is not None and await store.uid_taken(conn, uid):
            raise Conflict(f"The uid {uid!r} is already taken.")
        await store.insert_tenant(conn, tenant)
    return tenant


def check_name(report: ValidationReport, name: str) -> None:
    if not name.strip():
        report.add("body.name", "a tenant needs a name", name)
    elif len(name) > MAX_NAME:
        report.add("body.name", f"at most {MAX_NAME} characters", name)


async def get_or_create(
    ctx: Context,
    principal: Principal,
    *,
    name: str,
    uid: str | None,
    metadata: dict[str, Any] | None = None,
) -> tuple[Tenant, bool]:
    """The tenant with this uid if there is one (this key must see it), else a new one
    (an operator's admin key); True when it was created. Without a uid, always new."""
    if uid is not None:
        require(principal, Permission.READ)
        async with ctx.db.read() as conn:
            found = await store.get_tenant(conn, uid)
        if found is not None and found.uid == uid:
            return tenant_visible(principal, uid, found), False
    try:
        return await create(ctx, principal, name=name, uid=uid, metadata=metadata), True
    except Conflict:  # made by someone else meanwhile: that one it is
        assert uid is not None
        return await get(ctx, principal, uid), False


async def get(ctx: Context, principal: Principal, ref: str) -> Tenant:
    require(principal, Permission.READ)
    async with ctx.db.read() as conn:
        return await resolve_tenant(conn, principal, ref)


async def list_(
    ctx: Context,
    principal: Principal,
    *,
    limit: int = 50,
    cursor: str | None = None,
    offset: int | None = None,
    descending: bool = False,
) -> Page[Tenant]:
    """Operator keys see every tenant; a tenant-bound key sees its own."""
    require(principal, Permission.READ)
    async with ctx.db.read() as conn:
        return await store.list_tenants(
            conn,
            only_id=principal.tenant_id,
            limit=limit,
            cursor=cursor,
            offset=offset,
            descending=descending,
        )


async def update(
    ctx: Context,
    principal: Principal,
    ref: str,
    *,
    name: str | None = None,
    uid: str | None = _UNSET,
    metadata: dict[str, Any] | None = None,
    max_endpoints: int | None = _UNSET,
) -> Tenant:
    require(principal, Permission.ADMIN)
    report = ValidationReport()
    if uid is not _UNSET:
        check_uid(report, uid, "body.uid")
    report.raise_if_any()
    now = utcnow()
    async with ctx.db.write() as conn:
        tenant = await resolve_tenant(conn, principal, ref)
        new_uid = tenant.uid if uid is _UNSET else uid
        if new_uid is not None and await store.uid_taken(conn, new_uid, except_id=tenant.id):
            raise Conflict(f"The uid {new_uid!r} is already taken.")
        await store.update_tenant(
            conn,
            tenant.id,
            uid=new_uid,
            name=tenant.name if name is None else name,
            metadata=tenant.metadata if metadata is None else metadata,
            max_endpoints=tenant.max_endpoints if max_endpoints is _UNSET else max_endpoints,
            now=now,
        )
        updated = await store.get_tenant(conn, tenant.id)
    assert updated is not None
    return updated


async def delete(ctx: Context, principal: Principal, ref: str) -> None:
    require(principal, Permission.ADMIN)
    require_operator(principal)
    async with ctx.db.write() as conn:
        tenant = await resolve_tenant(conn, principal, ref)
        await store.delete_tenant(conn, tenant.id)
    api_keys.forget_authentications(ctx)  # its tenant-bound keys went with it
