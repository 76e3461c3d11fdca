"""Attempts across deliveries: an endpoint's, a message's, and one attempt by id.

The native API reads attempts per delivery (`services/deliveries.py`); these views are
what the Svix door's message-attempt routes need, and any other door may use them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from hookline.domain.errors import NotFound
from hookline.domain.models import Attempt, AttemptStatus, Message, Page, Principal
from hookline.services.access import Permission, require, resolve_endpoint, resolve_tenant
from hookline.services.context import Context
from hookline.store import attempts as store
from hookline.store import messages as message_store


@dataclass(frozen=True, slots=True)
class AttemptPage:
    page: Page[Attempt]
    messages: dict[str, Message]  # the attempts' messages by id, when asked for


async def list_for_endpoint(
    ctx: Context,
    principal: Principal,
    *,
    tenant: str,
    endpoint: str,
    status: AttemptStatus | None = None,
    event_types: Sequence[str] | None = None,
    channel: str | None = None,
    code_class: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    cursor: str | None = None,
    descending: bool = True,
    with_messages: bool = False,
) -> AttemptPage:
    """The attempts made to one endpoint, newest first."""
    require(principal, Permission.READ)
    async with ctx.db.read() as conn:
        target = await resolve_endpoint(conn, principal, ctx.cipher, tenant, endpoint)
        page = await store.search_attempts(
            conn,
            tenant_id=target.tenant_id,
            endpoint_id=target.id,
            status=status,
            event_types=event_types,
            channel=channel,
            code_class=code_class,
            since=since,
            until=until,
            limit=limit,
            cursor=cursor,
            descending=descending,
        )
        messages = (
            await message_store.get_messages(
                conn, tenant_id=target.tenant_id, ids=[a.message_id for a in page.items]
            )
            if with_messages
            else {}
        )
    return AttemptPage(page, messages)


async def list_for_message(
    ctx: Context,
    principal: Principal,
    *,
    tenant: str,
    message: str,
    endpoint: str | None = None,
    status: AttemptStatus | None = None,
    event_types: Sequence[str] | None = None,
    channel: str | None = None,
    code_class: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    cursor: str | None = None,
    descending: bool = True,
) -> tuple[Page[Attempt], Message]:
    """The attempts made for one message (named by id or idempotency key), newest
    first, optionally to one endpoint alone; and the message."""
    require(principal, Permission.READ)
    async with ctx.db.read() as conn:
        owner = await resolve_tenant(conn, principal, tenant)
        found = await message_store.find_message(conn, tenant_id=owner.id, ref=message)
        if found is None:
            raise NotFound(f"No message {message!r} in this tenant.")
        endpoint_id = None
        if endpoint is not None:
            target = await resolve_endpoint(conn, principal, ctx.cipher, owner.id, endpoint)
            endpoint_id = target.id
        page = await store.search_attempts(
            conn,
            tenant_id=owner.id,
            endpoint_id=endpoint_id,
            message_id=found.id,
            status=status,
            event_types=event_types,
            channel=channel,
            code_class=code_class,
            since=since,
            until=until,
            limit=limit,
            cursor=cursor,
            descending=descending,
        )
    return page, found


async def get(
    ctx: Context, principal: Principal, *, tenant: str, message: str, attempt: str
) -> tuple[Attempt, Message]:
    """One attempt of one message (named by id or idempotency key), and the message."""
    require(principal, Permission.READ)
    async with ctx.db.read() as conn:
        owner = await resolve_tenant(conn, principal, tenant)
        found = await message_store.find_message(conn, tenant_id=owner.id, ref=message)
        one = await store.get_attempt(conn, tenant_id=owner.id, attempt_id=attempt)
    if found is None or one is None or one.message_id != found.id:
        raise NotFound(f"No attempt {attempt!r} of message {message!r} in this tenant.")
    return one, found
