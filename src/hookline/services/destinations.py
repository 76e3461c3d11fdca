"""Where messages went, seen from either side: an endpoint's messages with the state of
each one's delivery there, a message's endpoints with theirs, and how many of an
endpoint's deliveries are in each state.

The Svix door's "attempted messages", "attempted destinations" and endpoint stats read
these; the deliveries themselves are the same rows the Deliveries tab shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from hookline.domain.errors import NotFound
from hookline.domain.models import Delivery, DeliveryStatus, Endpoint, Message, Page, Principal
from hookline.services.access import Permission, require, resolve_endpoint, resolve_tenant
from hookline.services.context import Context
from hookline.store import destinations as store
from hookline.store import endpoints as endpoint_store
from hookline.store import messages as message_store


async def messages_of_endpoint(
    ctx: Context,
    principal: Principal,
    *,
    tenant: str,
    endpoint: str,
    statuses: Sequence[DeliveryStatus] | None = None,
    attempted: bool | None = None,
    event_types: Sequence[str] | None = None,
    channel: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    cursor: str | None = None,
    descending: bool = True,
) -> Page[tuple[Delivery, Message]]:
    """The messages bound for one endpoint, newest first, each with its delivery there."""
    require(principal, Permission.READ)
    async with ctx.db.read() as conn:
        target = await resolve_endpoint(conn, principal, ctx.cipher, tenant, endpoint)
        return await store.list_with_messages(
            conn,
            endpoint_id=target.id,
            statuses=statuses,
            attempted=attempted,
            event_types=event_types,
            channel=channel,
            since=since,
            until=until,
            limit=limit,
            cursor=cursor,
            descending=descending,
        )


async def endpoints_of_message(
    ctx: Context,
    principal: Principal,
    *,
    tenant: str,
    message: str,
    limit: int = 50,
    cursor: str | None = None,
    descending: bool = False,
) -> Page[tuple[Delivery, Endpoint]]:
    """The endpoints a message (by id or idempotency key) was bound for, by endpoint id,
    each with its delivery. Endpoints deleted since are left out."""
    require(principal, Permission.READ)
    async with ctx.db.read() as conn:
        owner = await resolve_tenant(conn, principal, tenant)
        found = await message_store.find_message(conn, tenant_id=owner.id, ref=message)
        if found is None:
            raise NotFound(f"No message {message!r} in this tenant.")
        page = await store.list_for_message(
            conn, message_id=found.id, limit=limit, cursor=cursor, descending=descending
        )
        endpoints = await endpoint_store.get_endpoints_by_id(
            conn, [d.endpoint_id for d in page.items], cipher=ctx.cipher
        )
    pairs = [(d, endpoints[d.endpoint_id]) for d in page.items if d.endpoint_id in endpoints]
    return Page(pairs, page.next_cursor)


@dataclass(frozen=True, slots=True)
class StatusCounts:
    delivered: int = 0
    waiting: int = 0  # pending, not attempted yet
    retrying: int = 0  # pending after at least one failed attempt
    failed: int = 0  # failed or expired: final without success


async def status_counts(
    ctx: Context,
    principal: Principal,
    *,
    tenant: str,
    endpoint: str,
    since: datetime | None = None,
    until: datetime | None = None,
) -> StatusCounts:
    """How the endpoint's deliveries (created in the window, if given) stand."""
    require(principal, Permission.READ)
    async with ctx.db.read() as conn:
        target = await resolve_endpoint(conn, principal, ctx.cipher, tenant, endpoint)
        rows = await store.count_by_status(conn, endpoint_id=target.id, since=since, until=until)
    totals = {"delivered": 0, "waiting": 0, "retrying": 0, "failed": 0}
    for row in rows:
        if row.status is DeliveryStatus.DELIVERED:
            totals["delivered"] += row.count
        elif row.status is DeliveryStatus.PENDING:
            totals["retrying" if row.attempted else "waiting"] += row.count
        else:
            totals["failed"] += row.count
    return StatusCounts(**totals)
