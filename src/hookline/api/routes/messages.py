"""/v1/tenants/{tenant}/messages: publish and read."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status

from hookline.api.deps import ContextDep, Cursor, Limit, Offset, Publisher, Reader
from hookline.api.schemas.common import ListResponse
from hookline.api.schemas.messages import (
    DeliveryStatusOut,
    MessageDetail,
    MessageIn,
    MessageOut,
)
from hookline.api.strict_json import StrictJsonRoute
from hookline.domain.models import Principal
from hookline.services import messages as service
from hookline.services import publish as publish_service
from hookline.services.context import Context

router = APIRouter(
    prefix="/v1/tenants/{tenant}/messages", route_class=StrictJsonRoute, tags=["messages"]
)


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=MessageOut,
    responses={
        200: {
            "model": MessageOut,
            "description": "Same idempotency key and the same request: the first message",
        },
        409: {
            "description": "Same idempotency key within 24 h with a different request "
            "(event type, payload or ordering key): nothing is stored",
        },
    },
    summary="Publish an event to every endpoint of the tenant subscribed to its type",
)
async def publish(
    tenant: str,
    body: MessageIn,
    ctx: ContextDep,
    who: Publisher,
    response: Response,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> MessageOut:
    out, created = await publish_message(ctx, who, tenant, body, idempotency_key)
    if not created:
        response.status_code = status.HTTP_200_OK
    return out


async def publish_message(
    ctx: Context, who: Principal, tenant: str, body: MessageIn, idempotency_key: str | None
) -> tuple[MessageOut, bool]:
    """The publish itself, for this route and for `publish_fast_path`: the message as
    answered, and whether it is new (202) or an idempotent replay (200)."""
    result = await publish_service.publish(
        ctx,
        who,
        tenant=tenant,
        event_type=body.event_type,
        payload=body.payload,
        idempotency_key=idempotency_key or body.id,
        ordering_key=body.ordering_key,
        channels=body.channels,
    )
    return MessageOut.of(result.message, result.deliveries), result.created


@router.get("", response_model=ListResponse[MessageOut])
async def list_messages(
    tenant: str,
    ctx: ContextDep,
    who: Reader,
    limit: Limit = 50,
    cursor: Cursor = None,
    offset: Offset = None,
    event_type: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    channel: str | None = Query(default=None, description="Only messages with this channel"),
) -> ListResponse[MessageOut]:
    page, counts = await service.list_(
        ctx,
        who,
        tenant=tenant,
        event_type=event_type,
        since=since,
        until=until,
        limit=limit,
        cursor=cursor,
        offset=offset,
        channel=channel,
    )
    return ListResponse(
        data=[MessageOut.of(m, counts.get(m.id, 0)) for m in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/{message}", response_model=MessageDetail)
async def get_message(tenant: str, message: str, ctx: ContextDep, who: Reader) -> MessageDetail:
    found = await service.get(ctx, who, tenant=tenant, message=message)
    base = MessageOut.of(found.message, len(found.deliveries))
    return MessageDetail(
        **base.model_dump(),
        delivery_statuses=[DeliveryStatusOut.of(d) for d in found.deliveries],
    )
