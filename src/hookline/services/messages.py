"""Reading published messages and where each one went."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hookline.domain.errors import NotFound
from hookline.domain.models import Delivery, Message, Page, Principal
from hookline.services.access import Permission, require, resolve_tenant
from hookline.services.context import Context
from hookline.store import deliveries as delivery_store
from hookline.store import messages as store


@dataclass(frozen=True, slots=True)
class MessageWithDeliveries:
    message: Message
    deliveries: list[Delivery]


async def get(
    ctx: Context, principal: Principal, *, tenant: str, message: str
) -> MessageWithDeliveries:
    require(principal, Permission.READ)
    async with ctx.db.read() as conn:
        owner = await resolve_tenant(conn, principal, tenant)
        found = await store.get_message(conn, tenant_id=owner.id, message_id=message)
        if found is None:
            raise NotFound(f"No message {message!r} in this tenant.")
        deliveries = await delivery_store.for_message(conn, found.id)
    return MessageWithDeliveries(found, deliveries)


async def list_(
    ctx: Context,
    principal: Principal,
    *,
    tenant: str,
    event_type: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    cursor: str | None = None,
    offset: int | None = None,
) -> tuple[Page[Message], dict[str, int]]:
    """A page of messages, newest first, with each one's delivery count."""
    require(principal, Permission.READ)
    async with ctx.db.read() as conn:
        owner = await resolve_tenant(conn, principal, tenant)
        page = await store.list_messages(
            conn,
            tenant_id=owner.id,
            event_type=event_type,
            since=since,
            until=until,
            limit=limit,
            cursor=cursor,
            offset=offset,
        )
        counts = await delivery_store.count_for_messages(conn, [m.id for m in page.items])
    return page, counts
