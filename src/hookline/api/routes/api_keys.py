"""/v1/api-keys."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from hookline.api.deps import Admin, ContextDep, Cursor, Limit, Offset
from hookline.api.schemas.api_keys import ApiKeyCreated, ApiKeyIn, ApiKeyOut
from hookline.api.schemas.common import ListResponse
from hookline.api.strict_json import StrictJsonRoute
from hookline.services import api_keys as service

router = APIRouter(prefix="/v1/api-keys", route_class=StrictJsonRoute, tags=["api keys"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ApiKeyCreated)
async def create_key(body: ApiKeyIn, ctx: ContextDep, who: Admin) -> ApiKeyCreated:
    created = await service.create(ctx, who, name=body.name, role=body.role, tenant=body.tenant_id)
    return ApiKeyCreated(**ApiKeyOut.of(created.key).model_dump(), key=created.secret)


@router.get("", response_model=ListResponse[ApiKeyOut])
async def list_keys(
    ctx: ContextDep,
    who: Admin,
    limit: Limit = 50,
    cursor: Cursor = None,
    offset: Offset = None,
    include_revoked: bool = False,
) -> ListResponse[ApiKeyOut]:
    page = await service.list_(
        ctx,
        who,
        include_revoked=include_revoked,
        limit=limit,
        cursor=cursor,
        offset=offset,
    )
    return ListResponse(data=[ApiKeyOut.of(k) for k in page.items], next_cursor=page.next_cursor)


@router.delete("/{key}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke a key")
async def revoke_key(key: str, ctx: ContextDep, who: Admin) -> Response:
    await service.revoke(ctx, who, key)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
