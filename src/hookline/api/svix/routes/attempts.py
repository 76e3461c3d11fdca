"""Message attempts: by endpoint, by message, one attempt, resend; and the two views
of where messages went (an endpoint's messages, a message's endpoints).

Svix's status numbers, in Hookline's words: an attempt succeeded (0) or failed (2) — it
is never pending (1), sending (3) or canceled (4), so asking for those finds none; a
message at an endpoint is delivered (0), pending before its first attempt (1), failed
or expired (2), or pending after a failed attempt (3).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from hookline.api.deps import ContextDep, PrincipalDep
from hookline.api.strict_json import StrictJsonRoute
from hookline.api.svix.paging import Iterator, Limit, Order, event_types_of, list_response, window
from hookline.api.svix.routes.messages import (
    After,
    Before,
    EventTypes,
    Tag,
    WithContent,
    no_tags,
    time_window,
)
from hookline.api.svix.schemas.common import ListResponse
from hookline.api.svix.schemas.messages import (
    EmptyResponse,
    EndpointMessageOut,
    MessageAttemptOut,
    MessageEndpointOut,
    MessageStatus,
)
from hookline.domain.errors import FieldError, InvalidInput
from hookline.domain.models import AttemptStatus, DeliveryStatus
from hookline.services import attempts, deliveries, destinations

router = APIRouter(prefix="/api/v1/app/{app_id}", route_class=StrictJsonRoute)

AppId = Path(min_length=1, max_length=256, description="The application's id or uid")
EndpointId = Path(min_length=1, max_length=256, description="The endpoint's id or uid")
MsgId = Path(min_length=1, max_length=256, description="The message's id or eventId")
Status = Annotated[MessageStatus | None, Query(description="0 success … 4 canceled")]
CodeClass = Annotated[int | None, Query(description="0 (no response), 100, 200 … 500")]
Channel = Annotated[str | None, Query(max_length=128)]
WithMsg = Annotated[bool, Query(description="Include each attempt's message")]
Expanded = Annotated[bool, Query(description="Svix's canceled status (never here)")]

_ATTEMPT_STATUS = {
    MessageStatus.SUCCESS: AttemptStatus.SUCCEEDED,
    MessageStatus.FAIL: AttemptStatus.FAILED,
}
_NONE_YET: ListResponse[MessageAttemptOut] = ListResponse(
    data=[], iterator=None, prev_iterator=None, done=True
)


def _code_class(value: int | None) -> int | None:
    if value is not None and value not in (0, 100, 200, 300, 400, 500):
        raise InvalidInput(
            "status_code_class is 0, 100, 200, 300, 400 or 500.",
            errors=[FieldError("query.status_code_class", "not a status code class", value)],
        )
    return value


@router.get("/attempt/endpoint/{endpoint_id}", response_model=ListResponse[MessageAttemptOut])
async def list_by_endpoint(
    ctx: ContextDep,
    who: PrincipalDep,
    app_id: str = AppId,
    endpoint_id: str = EndpointId,
    limit: Limit = 50,
    iterator: Iterator = None,
    status: Status = None,
    status_code_class: CodeClass = None,
    channel: Channel = None,
    tag: Tag = None,
    before: Before = None,
    after: After = None,
    with_content: WithContent = True,
    with_msg: WithMsg = False,
    expanded_statuses: Expanded = False,
    event_types: EventTypes = None,
) -> ListResponse[MessageAttemptOut]:
    no_tags(tag)
    code_class = _code_class(status_code_class)
    at = time_window(iterator, before, after)
    found = await attempts.list_for_endpoint(
        ctx,
        who,
        tenant=app_id,
        endpoint=endpoint_id,
        status=_ATTEMPT_STATUS.get(status) if status is not None else None,
        event_types=event_types_of(event_types),
        channel=channel,
        code_class=code_class,
        since=after,
        until=before,
        limit=limit,
        cursor=at.cursor,
        descending=at.descending,
        with_messages=with_msg,
    )
    if status is not None and status not in _ATTEMPT_STATUS:
        return _NONE_YET  # checked the endpoint is there (and visible) first
    return list_response(
        [
            MessageAttemptOut.of(a, with_content=with_content, msg=found.messages.get(a.message_id))
            for a in found.page.items
        ],
        more=found.page.next_cursor is not None,
        at=at,
        key=lambda a: a.id,
    )


@router.get("/attempt/msg/{msg_id}", response_model=ListResponse[MessageAttemptOut])
async def list_by_message(
    ctx: ContextDep,
    who: PrincipalDep,
    app_id: str = AppId,
    msg_id: str = MsgId,
    limit: Limit = 50,
    iterator: Iterator = None,
    status: Status = None,
    status_code_class: CodeClass = None,
    channel: Channel = None,
    tag: Tag = None,
    endpoint_id: Annotated[str | None, Query(max_length=256)] = None,
    before: Before = None,
    after: After = None,
    with_content: WithContent = True,
    expanded_statuses: Expanded = False,
    event_types: EventTypes = None,
) -> ListResponse[MessageAttemptOut]:
    no_tags(tag)
    code_class = _code_class(status_code_class)
    at = time_window(iterator, before, after)
    page, _ = await attempts.list_for_message(
        ctx,
        who,
        tenant=app_id,
        message=msg_id,
        endpoint=endpoint_id,
        status=_ATTEMPT_STATUS.get(status) if status is not None else None,
        event_types=event_types_of(event_types),
        channel=channel,
        code_class=code_class,
        since=after,
        until=before,
        limit=limit,
        cursor=at.cursor,
        descending=at.descending,
    )
    if status is not None and status not in _ATTEMPT_STATUS:
        return _NONE_YET
    return list_response(
        [MessageAttemptOut.of(a, with_content=with_content) for a in page.items],
        more=page.next_cursor is not None,
        at=at,
        key=lambda a: a.id,
    )


@router.get("/msg/{msg_id}/attempt/{attempt_id}", response_model=MessageAttemptOut)
async def get_attempt(
    ctx: ContextDep,
    who: PrincipalDep,
    app_id: str = AppId,
    msg_id: str = MsgId,
    attempt_id: str = Path(min_length=1, max_length=256),
    expanded_statuses: Expanded = False,
) -> MessageAttemptOut:
    one, _ = await attempts.get(ctx, who, tenant=app_id, message=msg_id, attempt=attempt_id)
    return MessageAttemptOut.of(one, with_content=True)


@router.post(
    "/msg/{msg_id}/endpoint/{endpoint_id}/resend",
    response_model=EmptyResponse,
    status_code=status.HTTP_202_ACCEPTED,
)
async def resend(
    ctx: ContextDep,
    who: PrincipalDep,
    app_id: str = AppId,
    msg_id: str = MsgId,
    endpoint_id: str = EndpointId,
) -> EmptyResponse:
    await deliveries.resend(ctx, who, tenant=app_id, message=msg_id, endpoint=endpoint_id)
    return EmptyResponse()


_DELIVERY_STATUSES: dict[MessageStatus, tuple[list[DeliveryStatus], bool | None]] = {
    MessageStatus.SUCCESS: ([DeliveryStatus.DELIVERED], None),
    MessageStatus.PENDING: ([DeliveryStatus.PENDING], False),
    MessageStatus.FAIL: ([DeliveryStatus.FAILED, DeliveryStatus.EXPIRED], None),
    MessageStatus.SENDING: ([DeliveryStatus.PENDING], True),
}


@router.get("/endpoint/{endpoint_id}/msg", response_model=ListResponse[EndpointMessageOut])
async def list_attempted_messages(
    ctx: ContextDep,
    who: PrincipalDep,
    app_id: str = AppId,
    endpoint_id: str = EndpointId,
    limit: Limit = 50,
    iterator: Iterator = None,
    channel: Channel = None,
    tag: Tag = None,
    status: Status = None,
    before: Before = None,
    after: After = None,
    with_content: WithContent = True,
    expanded_statuses: Expanded = False,
    event_types: EventTypes = None,
) -> ListResponse[EndpointMessageOut]:
    """The endpoint's messages; the iterator is the key of its delivery there."""
    no_tags(tag)
    statuses, attempted = (
        _DELIVERY_STATUSES.get(status, ([], None)) if status is not None else ([], None)
    )
    at = time_window(iterator, before, after)
    page = await destinations.messages_of_endpoint(
        ctx,
        who,
        tenant=app_id,
        endpoint=endpoint_id,
        statuses=statuses or None,
        attempted=attempted,
        event_types=event_types_of(event_types),
        channel=channel,
        since=after,
        until=before,
        limit=limit,
        cursor=at.cursor,
        descending=at.descending,
    )
    if status is MessageStatus.CANCELED:
        return ListResponse(data=[], iterator=None, prev_iterator=None, done=True)
    pairs = list(page.items)
    out = list_response(pairs, more=page.next_cursor is not None, at=at, key=lambda p: p[0].id)
    return ListResponse(
        data=[EndpointMessageOut.of_delivery(d, m, with_content=with_content) for d, m in out.data],
        iterator=out.iterator,
        prev_iterator=out.prev_iterator,
        done=out.done,
    )


@router.get("/msg/{msg_id}/endpoint", response_model=ListResponse[MessageEndpointOut])
async def list_attempted_destinations(
    ctx: ContextDep,
    who: PrincipalDep,
    app_id: str = AppId,
    msg_id: str = MsgId,
    limit: Limit = 50,
    iterator: Iterator = None,
) -> ListResponse[MessageEndpointOut]:
    at = window(iterator, None, default=Order.ASCENDING)
    page = await destinations.endpoints_of_message(
        ctx,
        who,
        tenant=app_id,
        message=msg_id,
        limit=limit,
        cursor=at.cursor,
        descending=at.descending,
    )
    pairs = list(page.items)
    out = list_response(pairs, more=page.next_cursor is not None, at=at, key=lambda p: p[1].id)
    return ListResponse(
        data=[MessageEndpointOut.of_delivery(d, ep) for d, ep in out.data],
        iterator=out.iterator,
        prev_iterator=out.prev_iterator,
        done=out.done,
    )
