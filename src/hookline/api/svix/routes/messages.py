"""/api/v1/app/{app_id}/msg: publish, list, read.

A repeated `eventId` is a 409 here (Svix's rule), where the native API answers the
first message again; a repeated `idempotency-key` header alone (Svix's SDKs send one
with every POST, `auto_…`, the same on each retry) answers the first message, as Svix
replays the first response.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, status

from hookline.api.deps import ContextDep, PrincipalDep
from hookline.api.strict_json import StrictJsonRoute
from hookline.api.svix.paging import (
    Iterator,
    Limit,
    Order,
    Window,
    event_types_of,
    list_response,
    window,
)
from hookline.api.svix.schemas.applications import ApplicationIn
from hookline.api.svix.schemas.common import ListResponse
from hookline.api.svix.schemas.messages import MessageIn, MessageOut
from hookline.domain.errors import Conflict, FieldError, InvalidInput
from hookline.domain.models import Principal
from hookline.services import messages as service
from hookline.services import publish as publish_service
from hookline.services import tenants
from hookline.services.context import Context

router = APIRouter(prefix="/api/v1/app/{app_id}/msg", route_class=StrictJsonRoute)

AppId = Path(min_length=1, max_length=256, description="The application's id or uid")
MsgId = Path(min_length=1, max_length=256, description="The message's id or eventId")
WithContent = Annotated[bool, Query(description="Include the payload")]
EventTypes = Annotated[list[str] | None, Query(description="Only these event types")]
Before = Annotated[datetime | None, Query(description="Created before this time")]
After = Annotated[datetime | None, Query(description="Created after this time")]
Tag = Annotated[str | None, Query(max_length=128)]


def no_tags(tag: str | None) -> None:
    if tag is not None:
        raise InvalidInput(
            "Hookline keeps no message tags to filter by; filter by channel instead.",
            errors=[FieldError("query.tag", "not supported", tag)],
        )


def time_window(iterator: str | None, before: datetime | None, after: datetime | None) -> Window:
    """Newest first; `after` alone starts at the oldest after it (Svix's own rule)."""
    if iterator is None and before is None and after is not None:
        return Window(None, descending=False, backwards=True)
    return window(iterator, None, default=Order.DESCENDING)


async def ensure_application(
    ctx: Context, who: Principal, app_id: str, application: ApplicationIn | None
) -> str:
    """Svix may create the application alongside (its uid must be the path's)."""
    if application is None:
        return app_id
    if application.uid is not None and application.uid != app_id:
        raise InvalidInput(
            "The application's uid must be the one in the path.",
            errors=[FieldError("body.application.uid", "must match the path", application.uid)],
        )
    tenant, _ = await tenants.get_or_create(
        ctx, who, name=application.name, uid=app_id, metadata=dict(application.metadata)
    )
    return tenant.id


@router.post("", response_model=MessageOut, status_code=status.HTTP_202_ACCEPTED)
async def create_message(
    body: MessageIn,
    ctx: ContextDep,
    who: PrincipalDep,
    app_id: str = AppId,
    with_content: WithContent = True,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> MessageOut:
    if body.deliver_at is not None:
        raise InvalidInput(
            "Hookline sends every message at once; it cannot deliver at a later time.",
            errors=[FieldError("body.deliverAt", "not supported", body.deliver_at.isoformat())],
        )
    tenant = await ensure_application(ctx, who, app_id, body.application)
    result = await publish_service.publish(
        ctx,
        who,
        tenant=tenant,
        event_type=body.event_type,
        payload=body.payload,
        idempotency_key=body.event_id or idempotency_key,
        channels=body.channels,
    )
    if not result.created and body.event_id is not None:
        raise Conflict(
            f"A message with eventId {body.event_id!r} was published already "
            f"({result.message.id}); nothing new was sent."
        )
    return MessageOut.of(result.message, with_content=with_content)


@router.get("", response_model=ListResponse[MessageOut])
async def list_messages(
    ctx: ContextDep,
    who: PrincipalDep,
    app_id: str = AppId,
    limit: Limit = 50,
    iterator: Iterator = None,
    channel: Annotated[str | None, Query(max_length=128)] = None,
    before: Before = None,
    after: After = None,
    with_content: WithContent = True,
    tag: Tag = None,
    event_types: EventTypes = None,
) -> ListResponse[MessageOut]:
    no_tags(tag)
    at = time_window(iterator, before, after)
    page, _ = await service.list_(
        ctx,
        who,
        tenant=app_id,
        since=after,
        until=before,
        channel=channel,
        event_types=event_types_of(event_types),
        limit=limit,
        cursor=at.cursor,
        descending=at.descending,
    )
    return list_response(
        [MessageOut.of(m, with_content=with_content) for m in page.items],
        more=page.next_cursor is not None,
        at=at,
        key=lambda m: m.id,
    )


@router.get("/{msg_id}", response_model=MessageOut)
async def get_message(
    ctx: ContextDep,
    who: PrincipalDep,
    app_id: str = AppId,
    msg_id: str = MsgId,
    with_content: WithContent = True,
) -> MessageOut:
    found = await service.get(ctx, who, tenant=app_id, message=msg_id)
    return MessageOut.of(found.message, with_content=with_content)
