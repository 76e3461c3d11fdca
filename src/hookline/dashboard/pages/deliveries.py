"""One delivery with every attempt (request and response), and the Retry button."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from hookline.dashboard.auth import FormDep, SessionDep
from hookline.dashboard.rendering import PageRoute, context_of, path, render
from hookline.domain.errors import NotFound
from hookline.services import deliveries, endpoints, tenants

router = APIRouter(route_class=PageRoute, include_in_schema=False)

NOTICES = {"retried": "Retry scheduled: a new attempt is being made now. Reload to see it."}
MAX_ATTEMPTS_SHOWN = 500


@router.get("/ui/tenants/{tenant}/deliveries/{delivery}")
async def delivery_detail(
    tenant: str,
    delivery: str,
    request: Request,
    session: SessionDep,
    notice: str | None = None,
) -> Response:
    ctx, who = context_of(request), session.principal
    owner = await tenants.get(ctx, who, tenant)
    found = await deliveries.get(ctx, who, tenant=owner.id, delivery=delivery)
    page, body = await deliveries.attempts(
        ctx, who, tenant=owner.id, delivery=found.id, limit=MAX_ATTEMPTS_SHOWN
    )
    try:
        endpoint = await endpoints.get(ctx, who, tenant=owner.id, endpoint=found.endpoint_id)
    except NotFound:
        endpoint = None  # deleted since
    return render(
        request,
        "delivery.html",
        session=session,
        tenant=owner,
        delivery=found,
        endpoint=endpoint,
        attempts=page.items,
        body=body,
        notice=NOTICES.get(notice or ""),
    )


@router.post("/ui/tenants/{tenant}/deliveries/{delivery}/retry")
async def retry(
    tenant: str, delivery: str, request: Request, session: SessionDep, _: FormDep
) -> Response:
    ctx = context_of(request)
    owner = await tenants.get(ctx, session.principal, tenant)
    found = await deliveries.retry(ctx, session.principal, tenant=owner.id, delivery=delivery)
    return RedirectResponse(
        path("tenants", owner.id, "deliveries", found.id, notice="retried"), status_code=303
    )
