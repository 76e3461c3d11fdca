"""/api/v1/app: Svix applications are Hookline tenants."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query, Response, status

from hookline.api.deps import ContextDep, PrincipalDep
from hookline.api.strict_json import StrictJsonRoute
from hookline.api.svix.paging import Iterator, Limit, Order, OrderParam, list_response, window
from hookline.api.svix.schemas.applications import ApplicationIn, ApplicationOut, ApplicationPatch
from hookline.api.svix.schemas.common import ListResponse
from hookline.domain.errors import FieldError, InvalidInput, NotFound
from hookline.services import tenants

router = APIRouter(prefix="/api/v1/app", route_class=StrictJsonRoute)

AppId = Path(min_length=1, max_length=256, description="The application's id or uid")


def no_throttle(body: ApplicationIn | ApplicationPatch) -> None:
    """Hookline limits rates per endpoint, not per tenant: a rate here would do nothing."""
    rate = body.throttle_rate if body.throttle_rate is not None else body.rate_limit
    if rate is not None:
        raise InvalidInput(
            "Hookline has no application-wide rate; set throttleRate on the endpoints.",
            errors=[FieldError("body.throttleRate", "not supported: use the endpoints'", rate)],
        )


@router.get("", response_model=ListResponse[ApplicationOut])
async def list_applications(
    ctx: ContextDep,
    who: PrincipalDep,
    limit: Limit = 50,
    iterator: Iterator = None,
    order: OrderParam = None,
    exclude_apps_with_no_endpoints: bool = False,
    exclude_apps_with_disabled_endpoints: bool = False,
    exclude_apps_with_svix_play_endpoints: bool = False,
) -> ListResponse[ApplicationOut]:
    excluding = [
        name
        for name, asked in (
            ("exclude_apps_with_no_endpoints", exclude_apps_with_no_endpoints),
            ("exclude_apps_with_disabled_endpoints", exclude_apps_with_disabled_endpoints),
            ("exclude_apps_with_svix_play_endpoints", exclude_apps_with_svix_play_endpoints),
        )
        if asked
    ]
    if excluding:  # a filter left out would answer more than was asked for
        raise InvalidInput(
            "Hookline lists every application; it cannot leave some out by their endpoints.",
            errors=[FieldError(f"query.{name}", "not supported", True) for name in excluding],
        )
    at = window(iterator, order, default=Order.ASCENDING)
    page = await tenants.list_(ctx, who, limit=limit, cursor=at.cursor, descending=at.descending)
    return list_response(
        [ApplicationOut.of(t) for t in page.items],
        more=page.next_cursor is not None,
        at=at,
        key=lambda a: a.id,
    )


@router.post(
    "",
    response_model=ApplicationOut,
    status_code=status.HTTP_201_CREATED,
)
async def create_application(
    body: ApplicationIn,
    ctx: ContextDep,
    who: PrincipalDep,
    response: Response,
    get_if_exists: bool = Query(default=False),
) -> ApplicationOut:
    no_throttle(body)
    if get_if_exists:
        tenant, created = await tenants.get_or_create(
            ctx, who, name=body.name, uid=body.uid, metadata=dict(body.metadata)
        )
        if not created:
            response.status_code = status.HTTP_200_OK
        return ApplicationOut.of(tenant)
    tenant = await tenants.create(ctx, who, name=body.name, uid=body.uid, metadata=body.metadata)
    return ApplicationOut.of(tenant)


@router.get("/{app_id}", response_model=ApplicationOut)
async def get_application(
    ctx: ContextDep, who: PrincipalDep, app_id: str = AppId
) -> ApplicationOut:
    return ApplicationOut.of(await tenants.get(ctx, who, app_id))


@router.put("/{app_id}", response_model=ApplicationOut, status_code=status.HTTP_201_CREATED)
async def upsert_application(
    body: ApplicationIn,
    ctx: ContextDep,
    who: PrincipalDep,
    response: Response,
    app_id: str = AppId,
) -> ApplicationOut:
    """Replace the application with this id or uid, or create it (with the body's uid)
    when there is none, as Svix does."""
    no_throttle(body)
    try:
        existing = await tenants.get(ctx, who, app_id)
    except NotFound:
        created = await tenants.create(
            ctx, who, name=body.name, uid=body.uid, metadata=dict(body.metadata)
        )
        return ApplicationOut.of(created)
    response.status_code = status.HTTP_200_OK
    updated = await tenants.update(
        ctx, who, existing.id, name=body.name, uid=body.uid, metadata=dict(body.metadata)
    )
    return ApplicationOut.of(updated)


@router.patch("/{app_id}", response_model=ApplicationOut)
async def patch_application(
    body: ApplicationPatch, ctx: ContextDep, who: PrincipalDep, app_id: str = AppId
) -> ApplicationOut:
    no_throttle(body)
    changes: dict[str, Any] = {}
    if body.name is not None:
        changes["name"] = body.name
    if body.metadata is not None:
        changes["metadata"] = dict(body.metadata)
    if body.given("uid"):
        changes["uid"] = body.uid
    return ApplicationOut.of(await tenants.update(ctx, who, app_id, **changes))


@router.delete("/{app_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_application(ctx: ContextDep, who: PrincipalDep, app_id: str = AppId) -> Response:
    await tenants.delete(ctx, who, app_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
