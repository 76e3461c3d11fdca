"""A tenant's published messages, and one message with where it went."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from hookline.dashboard.auth import SessionDep
from hookline.dashboard.rendering import PageRoute, context_of, path, render
from hookline.services import endpoints, event_types, messages, tenants

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PAGE_SIZE = 50


@router.get("/ui/tenants/{tenant}/messages")
async def message_list(
    tenant: str,
    request: Request,
    session: SessionDep,
    event_type: str | None = None,
    channel: str | None = None,
    cursor: str | None = None,
) -> Response:
    ctx, who = context_of(request), session.principal
    owner = await tenants.get(ctx, who, tenant)
    event_type = (event_type or "").strip() or None
    channel = (channel or "").strip() or None
    page, counts = await messages.list_(
        ctx,
        who,
        tenant=owner.id,
        event_type=event_type,
        channel=channel,
        limit=PAGE_SIZE,
        cursor=cursor,
    )
    catalogue = await event_types.list_(ctx, who, include_archived=True, limit=500)
    base = ("tenants", owner.id, "messages")
    return render(
        request,
        "messages.html",
        session=session,
        tenant=owner,
        page=page,
        counts=counts,
        event_type=event_type,
        channel=channel,
        event_type_names=[e.name for e in catalogue.items],
        cursor=cursor,
        first_url=path(*base, event_type=event_type, channel=channel),
        next_url=path(*base, event_type=event_type, channel=channel, cursor=page.next_cursor)
        if page.next_cursor
        else None,
    )


@router.get("/ui/tenants/{tenant}/messages/{message}")
async def message_detail(
    tenant: str, message: str, request: Request, session: SessionDep
) -> Response:
    ctx, who = context_of(request), session.principal
    owner = await tenants.get(ctx, who, tenant)
    found = await messages.get(ctx, who, tenant=owner.id, message=message)
    # The URL of every endpoint the message went to, for the table (deleted ones drop out).
    urls: dict[str, str] = {}
    cursor: str | None = None
    while True:
        page = await endpoints.list_(ctx, who, tenant=owner.id, limit=500, cursor=cursor)
        urls.update((e.id, e.url) for e in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    return render(
        request,
        "message.html",
        session=session,
        tenant=owner,
        message=found.message,
        deliveries=found.deliveries,
        endpoints=urls,
    )
