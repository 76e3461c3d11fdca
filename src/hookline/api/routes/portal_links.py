"""POST /v1/tenants/{tenant}/portal-links: a signed, expiring link to the tenant's dashboard."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from hookline.api.deps import ContextDep, EndpointManager
from hookline.api.schemas.portal import PortalLinkIn, PortalLinkOut
from hookline.api.strict_json import StrictJsonRoute
from hookline.services import portal

router = APIRouter(prefix="/v1/tenants/{tenant}", route_class=StrictJsonRoute, tags=["tenants"])


def base_url(request: Request) -> str:
    """Where links into this deployment point: HOOKLINE_PUBLIC_URL, or as asked."""
    configured: str | None = getattr(request.app.state, "public_url", None)
    return configured or str(request.base_url)


@router.post(
    "/portal-links",
    status_code=status.HTTP_201_CREATED,
    response_model=PortalLinkOut,
    summary="A signed, expiring link that opens the dashboard for this tenant alone",
)
async def create_portal_link(
    tenant: str,
    request: Request,
    ctx: ContextDep,
    who: EndpointManager,
    body: PortalLinkIn | None = None,
) -> PortalLinkOut:
    body = body or PortalLinkIn()
    link = await portal.create_link(ctx, who, tenant=tenant, expires_in=body.expires_in)
    return PortalLinkOut(
        url=link.url(base_url(request)), tenant_id=link.tenant.id, expires_at=link.expires_at
    )
