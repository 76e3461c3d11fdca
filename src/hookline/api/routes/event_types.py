"""/v1/event-types: the operator's catalogue."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from hookline.api.deps import Admin, ContextDep, Cursor, Limit, Offset, Reader
from hookline.api.schemas.common import ListResponse
from hookline.api.schemas.event_types import EventTypeIn, EventTypeOut, EventTypePatch
from hookline.api.strict_json import StrictJsonRoute
from hookline.services import event_types as service

router = APIRouter(prefix="/v1/event-types", route_class=StrictJsonRoute, tags=["event types"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=EventTypeOut,
    response_model_by_alias=True,
)
async def create_event_type(body: EventTypeIn, ctx: ContextDep, who: Admin) -> EventTypeOut:
    et = await service.create(
        ctx, who, name=body.name, description=body.description, schema=body.schema_
    )
    return EventTypeOut.of(et)


@router.get("", response_model=ListResponse[EventTypeOut])
async def list_event_types(
    ctx: ContextDep,
    who: Reader,
    limit: Limit = 50,
    cursor: Cursor = None,
    offset: Offset = None,
    include_archived: bool = False,
) -> ListResponse[EventTypeOut]:
    page = await service.list_(
        ctx,
        who,
        include_archived=include_archived,
        limit=limit,
        cursor=cursor,
        offset=offset,
    )
    return ListResponse(data=[EventTypeOut.of(e) for e in page.items], next_cursor=page.next_cursor)


@router.get("/{name}", response_model=EventTypeOut)
async def get_event_type(name: str, ctx: ContextDep, who: Reader) -> EventTypeOut:
    return EventTypeOut.of(await service.get(ctx, who, name))


@router.patch("/{name}", response_model=EventTypeOut)
async def update_event_type(
    name: str, body: EventTypePatch, ctx: ContextDep, who: Admin
) -> EventTypeOut:
    kwargs = {}
    if "schema_" in body.model_fields_set:
        kwargs["schema"] = body.schema_
    et = await service.update(
        ctx, who, name, description=body.description, archived=body.archived, **kwargs
    )
    return EventTypeOut.of(et)


@router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT, summary="Archive an event type")
async def archive_event_type(name: str, ctx: ContextDep, who: Admin) -> Response:
    await service.archive(ctx, who, name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
