"""/v1/tenants."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from hookline.api.deps import Admin, ContextDep, Cursor, Limit, Offset, Reader
from hookline.api.schemas.common import ListResponse
from hookline.api.schemas.tenants import TenantIn, TenantOut, TenantPatch
from hookline.api.strict_json import StrictJsonRoute
from hookline.services import tenants as service

router = APIRouter(prefix="/v1/tenants", route_class=StrictJsonRoute, tags=["tenants"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TenantOut)
async def create_tenant(body: TenantIn, ctx: ContextDep, who: Admin) -> TenantOut:
    tenant = await service.create(
        ctx,
        who,
        name=body.name,
        uid=body.uid,
        metadata=body.metadata,
        max_endpoints=body.max_endpoints,
    )
    return TenantOut.of(tenant)


@router.get("", response_model=ListResponse[TenantOut])
async def list_tenants(
    ctx: ContextDep,
    who: Reader,
    limit: Limit = 50,
    cursor: Cursor = None,
    offset: Offset = None,
) -> ListResponse[TenantOut]:
    page = await service.list_(ctx, who, limit=limit, cursor=cursor, offset=offset)
    return ListResponse(data=[TenantOut.of(t) for t in page.items], next_cursor=page.next_cursor)


@router.get("/{tenant}", response_model=TenantOut)
async def get_tenant(tenant: str, ctx: ContextDep, who: Reader) -> TenantOut:
    return TenantOut.of(await service.get(ctx, who, tenant))


@router.patch("/{tenant}", response_model=TenantOut)
async def update_tenant(tenant: str, body: TenantPatch, ctx: ContextDep, who: Admin) -> TenantOut:
    kwargs: dict[str, Any] = {}
    for name in ("uid", "max_endpoints"):
        if name in body.model_fields_set:
            kwargs[name] = getattr(body, name)
    updated = await service.update(
        ctx, who, tenant, name=body.name, metadata=body.metadata, **kwargs
    )
    return TenantOut.of(updated)


@router.delete(
    "/{tenant}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a tenant with everything it owns",
)
async def delete_tenant(tenant: str, ctx: ContextDep, who: Admin) -> Response:
    await service.delete(ctx, who, tenant)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
