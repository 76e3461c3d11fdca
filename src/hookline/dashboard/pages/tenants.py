"""The tenant list (operators) and a tenant's endpoints with their health."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from hookline.dashboard.auth import SessionDep, home_of
from hookline.dashboard.rendering import PageRoute, context_of, path, render
from hookline.services import endpoints, stats, tenants

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PAGE_SIZE = 50


@router.get("/ui/tenants")
async def tenant_list(request: Request, session: SessionDep, cursor: str | None = None) -> Response:
    if session.principal.tenant_id is not None:
        return RedirectResponse(home_of(session), status_code=303)
    page = await tenants.list_(
        context_of(request), session.principal, limit=PAGE_SIZE, cursor=cursor
    )
    next_url = path("tenants", cursor=page.next_cursor) if page.next_cursor else None
    return render(request, "tenants.html", session=session, page=page, next_url=next_url)


@router.get("/ui/tenants/{tenant}")
async def tenant_endpoints(
    tenant: str, request: Request, session: SessionDep, cursor: str | None = None
) -> Response:
    ctx, who = context_of(request), session.principal
    owner = await tenants.get(ctx, who, tenant)
    page = await endpoints.list_(ctx, who, tenant=owner.id, limit=PAGE_SIZE, cursor=cursor)
    rates = await stats.success_rates(
        ctx, who, tenant=owner.id, endpoint_ids=[e.id for e in page.items]
    )
    next_url = path("tenants", owner.id, cursor=page.next_cursor) if page.next_cursor else None
    return render(
        request,
        "tenant.html",
        session=session,
        tenant=owner,
        page=page,
        rates=rates,
        next_url=next_url,
    )
