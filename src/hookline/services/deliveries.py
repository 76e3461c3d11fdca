"""The Deliveries tab: an endpoint's deliveries, one delivery, its attempts, retry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.domain.errors import NotFound
from hookline.domain.models import Attempt, Delivery, DeliveryStatus, Page, Principal
from hookline.services.access import Permission, require, resolve_endpoint, resolve_tenant
from hookline.services.context import Context
from hookline.store import attempts as attempt_store
from hookline.store import deliveries as store
from hookline.store import messages as message_store


async def _endpoint_id(
    ctx: Context,
    conn: AsyncConnection,
    principal: Principal,
    tenant: str,
    endpoint: str,
) -> str:
    found = await resolve_endpoint(conn, principal, ctx.cipher, tenant, endpoint)
    return found.id


async def list_for_endpoint(
    ctx: Context,
    principal: Principal,
    *,
    tenant: str,
    endpoint: str,
    status: DeliveryStatus | None = None,
    event_type: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    cursor: str | None = None,
    offset: int | None = None,
) -> Page[Delivery]:
    require(principal, Permission.READ)
    async with ctx.db.read() as conn:
        endpoint_id = await _endpoint_id(ctx, conn, principal, tenant, endpoint)
        return await store.list_deliveries(
            conn,
            endpoint_id=endpoint_id,
            status=status,
            event_type=event_type,
            since=since,
            until=until,
            limit=limit,
            cursor=cursor,
            offset=offset,
        )


async def _get(conn: AsyncConnection, principal: Principal, tenant: str, delivery: str) -> Delivery:
    owner = await resolve_tenant(conn, principal, tenant)
    found = await store.get_delivery(conn, tenant_id=owner.id, delivery_id=delivery)
    if found is None:
        raise NotFound(f"No delivery {delivery!r} in this tenant.")
    return found


async def get(ctx: Context, principal: Principal, *, tenant: str, delivery: str) -> Delivery:
    require(principal, Permission.READ)
    async with ctx.db.read() as conn:
        return await _get(conn, principal, tenant, delivery)


async def attempts(
    ctx: Context,
    principal: Principal,
    *,
    tenant: str,
    delivery: str,
    limit: int = 50,
    cursor: str | None = None,
    offset: int | None = None,
) -> tuple[Page[Attempt], bytes | None]:
    """A page of the delivery's attempts, oldest first, and the body every one of them sent."""
    require(principal, Permission.READ)
    async with ctx.db.read() as conn:
        found = await _get(conn, principal, tenant, delivery)
        page = await attempt_store.list_attempts(
            conn, delivery_id=found.id, limit=limit, cursor=cursor, offset=offset
        )
        bodies = await message_store.get_bodies(conn, [found.message_id])
    return page, bodies.get(found.message_id)


async def retry(ctx: Context, principal: Principal, *, tenant: str, delivery: str) -> Delivery:
    """Send again now: same delivery, same webhook-id, one more attempt."""
    require(principal, Permission.OPERATE)
    async with ctx.db.write() as conn:
        found = await _get(conn, principal, tenant, delivery)
        await store.schedule_now(conn, found.id)
        await ctx.wakeup.announce(conn)
        updated = await store.get_delivery(conn, tenant_id=found.tenant_id, delivery_id=found.id)
    ctx.wakeup.poke()
    assert updated is not None
    return updated


async def resend(
    ctx: Context, principal: Principal, *, tenant: str, message: str, endpoint: str
) -> Delivery:
    """Send a message (by id or idempotency key) to one of the endpoints it was bound
    for again now: `retry` of that delivery."""
    require(principal, Permission.OPERATE)
    async with ctx.db.read() as conn:
        target = await resolve_endpoint(conn, principal, ctx.cipher, tenant, endpoint)
        found = await message_store.find_message(conn, tenant_id=target.tenant_id, ref=message)
        delivery = (
            await store.get_for(
                conn, tenant_id=target.tenant_id, message_id=found.id, endpoint_id=target.id
            )
            if found is not None
            else None
        )
    if delivery is None:
        raise NotFound(f"Message {message!r} was never bound for endpoint {endpoint!r}.")
    return await retry(ctx, principal, tenant=target.tenant_id, delivery=delivery.id)
