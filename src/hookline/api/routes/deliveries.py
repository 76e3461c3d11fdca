"""Deliveries and attempts: the Deliveries tab, one delivery, retry."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter

from hookline.api.deps import ContextDep, Cursor, Limit, Offset, Operator, Reader
from hookline.api.schemas.common import ListResponse
from hookline.api.schemas.deliveries import AttemptOut, DeliveryOut
from hookline.api.strict_json import StrictJsonRoute
from hookline.domain.errors import NotFound
from hookline.domain.models import DeliveryStatus
from hookline.services import deliveries as service
from hookline.services import endpoints as endpoint_service

router = APIRouter(prefix="/v1/tenants/{tenant}", route_class=StrictJsonRoute, tags=["deliveries"])


@router.get("/endpoints/{endpoint}/deliveries", response_model=ListResponse[DeliveryOut])
async def list_endpoint_deliveries(
    tenant: str,
    endpoint: str,
    ctx: ContextDep,
    who: Reader,
    limit: Limit = 50,
    cursor: Cursor = None,
    offset: Offset = None,
    status: DeliveryStatus | None = None,
    event_type: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> ListResponse[DeliveryOut]:
    page = await service.list_for_endpoint(
        ctx,
        who,
        tenant=tenant,
        endpoint=endpoint,
        status=status,
        event_type=event_type,
        since=since,
        until=until,
        limit=limit,
        cursor=cursor,
        offset=offset,
    )
    return ListResponse(data=[DeliveryOut.of(d) for d in page.items], next_cursor=page.next_cursor)


@router.get("/deliveries/{delivery}", response_model=DeliveryOut)
async def get_delivery(tenant: str, delivery: str, ctx: ContextDep, who: Reader) -> DeliveryOut:
    return DeliveryOut.of(await service.get(ctx, who, tenant=tenant, delivery=delivery))


@router.get("/deliveries/{delivery}/attempts", response_model=ListResponse[AttemptOut])
async def list_attempts(
    tenant: str,
    delivery: str,
    ctx: ContextDep,
    who: Reader,
    limit: Limit = 50,
    cursor: Cursor = None,
    offset: Offset = None,
) -> ListResponse[AttemptOut]:
    page, body = await service.attempts(
        ctx,
        who,
        tenant=tenant,
        delivery=delivery,
        limit=limit,
        cursor=cursor,
        offset=offset,
    )
    return ListResponse(
        data=[AttemptOut.of(a, body) for a in page.items], next_cursor=page.next_cursor
    )


@router.post("/deliveries/{delivery}/retry", status_code=202, response_model=DeliveryOut)
async def retry_delivery(tenant: str, delivery: str, ctx: ContextDep, who: Operator) -> DeliveryOut:
    return DeliveryOut.of(await service.retry(ctx, who, tenant=tenant, delivery=delivery))


# The same three under the endpoint, for clients that keep the endpoint in the path.


async def _of_endpoint(
    ctx: ContextDep, who: Reader, tenant: str, endpoint: str, delivery: str
) -> None:
    ep = await endpoint_service.get(ctx, who, tenant=tenant, endpoint=endpoint)
    found = await service.get(ctx, who, tenant=tenant, delivery=delivery)
    if found.endpoint_id != ep.id:
        raise NotFound(f"No delivery {delivery!r} for this endpoint.")


@router.get("/endpoints/{endpoint}/deliveries/{delivery}", response_model=DeliveryOut)
async def get_endpoint_delivery(
    tenant: str, endpoint: str, delivery: str, ctx: ContextDep, who: Reader
) -> DeliveryOut:
    await _of_endpoint(ctx, who, tenant, endpoint, delivery)
    return await get_delivery(tenant, delivery, ctx, who)


@router.get(
    "/endpoints/{endpoint}/deliveries/{delivery}/attempts",
    response_model=ListResponse[AttemptOut],
)
async def list_endpoint_delivery_attempts(
    tenant: str,
    endpoint: str,
    delivery: str,
    ctx: ContextDep,
    who: Reader,
    limit: Limit = 50,
    cursor: Cursor = None,
    offset: Offset = None,
) -> ListResponse[AttemptOut]:
    await _of_endpoint(ctx, who, tenant, endpoint, delivery)
    return await list_attempts(tenant, delivery, ctx, who, limit, cursor, offset)


@router.post(
    "/endpoints/{endpoint}/deliveries/{delivery}/retry",
    status_code=202,
    response_model=DeliveryOut,
)
async def retry_endpoint_delivery(
    tenant: str, endpoint: str, delivery: str, ctx: ContextDep, who: Operator
) -> DeliveryOut:
    await _of_endpoint(ctx, who, tenant, endpoint, delivery)
    return await retry_delivery(tenant, delivery, ctx, who)
