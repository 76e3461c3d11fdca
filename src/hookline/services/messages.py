"""Reading published messages and where each one went."""

from __future__ import annotations

from collections.abc import Sequence
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
    """One message, named by its id or by its idempotency key (Svix's `eventId`)."""
    require(principal, Permission.READ)
    async with ctx.db.read() as conn:
        owner = await resolve_tenant(conn, principal, tenant)
        found = await store.find_message(conn, tenant_id=owner.id, ref=message)
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
    channel: str | None = None,
    event_types: Sequence[str] | None = None,
    descending: bool = True,
) -> tuple[Page[Message], dict[str, int]]:
    """A page of messages, newest first (unless not `descending`), with each one's
    delivery count; `channel` keeps those that carry it, `event_types` those of any of
    these types."""
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
            channel=channel,
            event_types=event_types,
            descending=descending,
        )
        counts = await delivery_store.count_for_messages(conn, [m.id for m in page.items])
    return page, counts
