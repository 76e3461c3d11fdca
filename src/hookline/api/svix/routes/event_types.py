"""/api/v1/event-type: Hookline's catalogue. Deleting archives, as in Svix; Svix's
`expunge` (delete for good) Hookline does not do."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query, Response, status

from hookline.api.deps import ContextDep, PrincipalDep
from hookline.api.strict_json import StrictJsonRoute
from hookline.api.svix.paging import Iterator, Limit, Order, OrderParam, list_response, window
from hookline.api.svix.schemas.common import ListResponse
from hookline.api.svix.schemas.event_types import (
    EventTypeIn,
    EventTypeOut,
    EventTypePatch,
    EventTypeUpsertIn,
    schema_of,
)
from hookline.domain.errors import FieldError, InvalidInput, NotFound
from hookline.services import event_types as service

router = APIRouter(prefix="/api/v1/event-type", route_class=StrictJsonRoute)

Name = Path(min_length=1, max_length=256, description="The event type's name")


@router.get("", response_model=ListResponse[EventTypeOut])
async def list_event_types(
    ctx: ContextDep,
    who: PrincipalDep,
    limit: Limit = 50,
    iterator: Iterator = None,
    order: OrderParam = None,
    include_archived: bool = False,
    with_content: bool = False,
) -> ListResponse[EventTypeOut]:
    at = window(iterator, order, default=Order.ASCENDING)
    page = await service.list_(
        ctx,
        who,
        include_archived=include_archived,
        limit=limit,
        cursor=at.cursor,
        descending=at.descending,
    )
    return list_response(
        [EventTypeOut.of(e, with_content=with_content) for e in page.items],
        more=page.next_cursor is not None,
        at=at,
        key=lambda e: e.name,
    )


@router.post("", response_model=EventTypeOut, status_code=status.HTTP_201_CREATED)
async def create_event_type(body: EventTypeIn, ctx: ContextDep, who: PrincipalDep) -> EventTypeOut:
    created = await service.create(
        ctx, who, name=body.name, description=body.description, schema=schema_of(body.schemas)
    )
    if body.archived:
        created = await service.update(ctx, who, created.name, archived=True)
    return EventTypeOut.of(created)


@router.get("/{event_type_name}", response_model=EventTypeOut)
async def get_event_type(
    ctx: ContextDep, who: PrincipalDep, event_type_name: str = Name
) -> EventTypeOut:
    return EventTypeOut.of(await service.get(ctx, who, event_type_name))


@router.put("/{event_type_name}", response_model=EventTypeOut, status_code=status.HTTP_201_CREATED)
async def upsert_event_type(
    body: EventTypeUpsertIn,
    ctx: ContextDep,
    who: PrincipalDep,
    response: Response,
    event_type_name: str = Name,
) -> EventTypeOut:
    schema = schema_of(body.schemas)
    try:
        await service.get(ctx, who, event_type_name)
    except NotFound:
        created = await service.create(
            ctx, who, name=event_type_name, description=body.description, schema=schema
        )
        if body.archived:
            created = await service.update(ctx, who, created.name, archived=True)
        return EventTypeOut.of(created)
    response.status_code = status.HTTP_200_OK
    updated = await service.update(
        ctx,
        who,
        event_type_name,
        description=body.description,
        schema=schema,
        archived=body.archived,
    )
    return EventTypeOut.of(updated)


@router.patch("/{event_type_name}", response_model=EventTypeOut)
async def patch_event_type(
    body: EventTypePatch, ctx: ContextDep, who: PrincipalDep, event_type_name: str = Name
) -> EventTypeOut:
    changes: dict[str, Any] = {}
    if body.description is not None:
        changes["description"] = body.description
    if body.archived is not None:
        changes["archived"] = body.archived
    if body.given("schemas"):
        changes["schema"] = schema_of(body.schemas)
    return EventTypeOut.of(await service.update(ctx, who, event_type_name, **changes))


@router.delete("/{event_type_name}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_event_type(
    ctx: ContextDep,
    who: PrincipalDep,
    event_type_name: str = Name,
    expunge: bool = Query(default=False),
) -> Response:
    if expunge:
        raise InvalidInput(
            "Hookline archives event types and never deletes them: endpoints may still "
            "subscribe to them, and messages name them.",
            errors=[FieldError("query.expunge", "not supported", True)],
        )
    await service.archive(ctx, who, event_type_name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
