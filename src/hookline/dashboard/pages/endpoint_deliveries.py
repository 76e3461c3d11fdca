"""An endpoint's Deliveries tab: its deliveries, filtered by status, event type and time,
a page at a time."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from hookline.dashboard.auth import SessionDep
from hookline.dashboard.pages.endpoints import endpoint_base, load_endpoint, parse_time
from hookline.dashboard.rendering import PageRoute, context_of, path, render
from hookline.domain.models import DeliveryStatus
from hookline.services import deliveries, event_types

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PAGE_SIZE = 50


@router.get("/ui/tenants/{tenant}/endpoints/{endpoint}/deliveries")
async def delivery_list(
    tenant: str,
    endpoint: str,
    request: Request,
    session: SessionDep,
    status: str | None = None,
    event_type: str | None = None,
    since: str | None = None,
    until: str | None = None,
    cursor: str | None = None,
) -> Response:
    ctx, who = context_of(request), session.principal
    owner, found = await load_endpoint(request, session, tenant, endpoint)
    errors: dict[str, str] = {}
    wanted_status = None
    if status:
        try:
            wanted_status = DeliveryStatus(status)
        except ValueError:
            errors["Status"] = f"{status!r} is not a delivery status"
    since_at, until_at = parse_time(since), parse_time(until)
    if since and since_at is None:
        errors["Since"] = "not a time (YYYY-MM-DDTHH:MM)"
    if until and until_at is None:
        errors["Until"] = "not a time (YYYY-MM-DDTHH:MM)"
    event_type = (event_type or "").strip() or None
    filters = {"status": status, "event_type": event_type, "since": since, "until": until}
    page = None
    if not errors:
        page = await deliveries.list_for_endpoint(
            ctx,
            who,
            tenant=owner.id,
            endpoint=found.id,
            status=wanted_status,
            event_type=event_type,
            since=since_at,
            until=until_at,
            limit=PAGE_SIZE,
            cursor=cursor,
        )
    catalogue = await event_types.list_(ctx, who, include_archived=True, limit=500)
    parts = ("tenants", owner.id, "endpoints", found.id, "deliveries")
    return render(
        request,
        "deliveries.html",
        session=session,
        status=422 if errors else 200,
        tenant=owner,
        endpoint=found,
        base=endpoint_base(owner, found),
        page=page,
        filters=filters,
        errors=errors,
        statuses=[s.value for s in DeliveryStatus],
        event_type_names=[e.name for e in catalogue.items],
        cursor=cursor,
        first_url=path(*parts, **filters),
        next_url=path(*parts, **filters, cursor=page.next_cursor)
        if page and page.next_cursor
        else None,
    )
