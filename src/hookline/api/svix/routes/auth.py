"""/api/v1/auth/app-portal-access/{app_id}: a Hookline portal link, which opens the
dashboard for that tenant alone (and the older `dashboard-access`, the same).

A portal link lets the tenant manage its endpoints, send tests and retries. Svix can
narrow its portal (`readOnly`, `capabilities`); Hookline's cannot be narrowed, so a
request for less than it grants is refused rather than given more.
"""

from __future__ import annotations

from fastapi import APIRouter, Path, Request

from hookline.api.deps import ContextDep, PrincipalDep
from hookline.api.routes.portal_links import base_url
from hookline.api.strict_json import StrictJsonRoute
from hookline.api.svix.routes.messages import ensure_application
from hookline.api.svix.schemas.auth import DEFAULT_EXPIRY, AppPortalAccessIn, AppPortalAccessOut
from hookline.domain.errors import FieldError, InvalidInput
from hookline.services import portal

router = APIRouter(prefix="/api/v1/auth", route_class=StrictJsonRoute)

AppId = Path(min_length=1, max_length=256, description="The application's id or uid")
# What a Hookline portal session may do, in Svix's words.
GRANTED = frozenset(
    {"ViewBase", "ViewEndpointSecret", "ManageEndpointSecret", "CreateAttempts", "ManageEndpoint"}
)


def _narrowing(body: AppPortalAccessIn) -> None:
    if body.read_only:
        raise InvalidInput(
            "Hookline's portal always lets the tenant manage its endpoints; it has no "
            "read-only mode.",
            errors=[FieldError("body.readOnly", "not supported", True)],
        )
    if body.capabilities is not None and "ManageEndpoint" not in body.capabilities:
        raise InvalidInput(
            "Hookline's portal cannot be narrowed to these capabilities; it grants "
            + ", ".join(sorted(GRANTED))
            + ".",
            errors=[FieldError("body.capabilities", "must include ManageEndpoint")],
        )


async def _access(
    request: Request, ctx: ContextDep, who: PrincipalDep, app_id: str, body: AppPortalAccessIn
) -> AppPortalAccessOut:
    _narrowing(body)
    tenant = await ensure_application(ctx, who, app_id, body.application)
    link = await portal.create_link(
        ctx, who, tenant=tenant, expires_in=body.expiry or DEFAULT_EXPIRY
    )
    return AppPortalAccessOut(url=link.url(base_url(request)), token=link.token)


@router.post("/app-portal-access/{app_id}", response_model=AppPortalAccessOut)
async def app_portal_access(
    request: Request,
    ctx: ContextDep,
    who: PrincipalDep,
    body: AppPortalAccessIn | None = None,
    app_id: str = AppId,
) -> AppPortalAccessOut:
    return await _access(request, ctx, who, app_id, body or AppPortalAccessIn())


@router.post("/dashboard-access/{app_id}", response_model=AppPortalAccessOut)
async def dashboard_access(
    request: Request, ctx: ContextDep, who: PrincipalDep, app_id: str = AppId
) -> AppPortalAccessOut:
    """Svix's older name for the same (SDKs before 1.0 and the CLI's `dashboard`)."""
    return await _access(request, ctx, who, app_id, AppPortalAccessIn())
