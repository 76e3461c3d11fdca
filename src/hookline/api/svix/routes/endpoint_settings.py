"""/api/v1/app/{app_id}/endpoint/{endpoint_id}/…: the secret, the headers, recover,
send-example and stats."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Path, Response, status

from hookline.api.deps import ContextDep, PrincipalDep
from hookline.api.strict_json import StrictJsonRoute
from hookline.api.svix.routes.endpoints import secret_of
from hookline.api.svix.schemas.endpoints import (
    EndpointHeadersIn,
    EndpointHeadersOut,
    EndpointHeadersPatchIn,
    EndpointSecretOut,
    EndpointSecretRotateIn,
    EndpointStats,
    EventExampleIn,
    RecoverIn,
    RecoverOut,
)
from hookline.api.svix.schemas.messages import MessageOut
from hookline.domain.clock import utcnow
from hookline.domain.errors import NotFound
from hookline.domain.ids import ulid
from hookline.services import destinations, endpoint_tests, event_types, recovery
from hookline.services import endpoints as service
from hookline.services.endpoint_change import EndpointChange, HeaderEdit
from hookline.services.endpoints import DEFAULT_GRACE_S

router = APIRouter(
    prefix="/api/v1/app/{app_id}/endpoint/{endpoint_id}", route_class=StrictJsonRoute
)

AppId = Path(min_length=1, max_length=256, description="The application's id or uid")
EndpointId = Path(min_length=1, max_length=256, description="The endpoint's id or uid")


@router.get("/secret", response_model=EndpointSecretOut)
async def get_secret(
    ctx: ContextDep, who: PrincipalDep, app_id: str = AppId, endpoint_id: str = EndpointId
) -> EndpointSecretOut:
    key = await service.reveal_secret(ctx, who, tenant=app_id, endpoint=endpoint_id)
    return EndpointSecretOut(key=key)


@router.post("/secret/rotate", response_model=EndpointSecretOut)
async def rotate_secret(
    ctx: ContextDep,
    who: PrincipalDep,
    body: EndpointSecretRotateIn | None = None,
    app_id: str = AppId,
    endpoint_id: str = EndpointId,
) -> EndpointSecretOut:
    """The spec Svix published said 204; its SDKs from 2.x on read the new secret from
    the answer, and the older ones ignore any body. So: 200 with the new secret."""
    body = body or EndpointSecretRotateIn()
    grace = body.grace_period_seconds
    rotated = await service.rotate_secret(
        ctx,
        who,
        tenant=app_id,
        endpoint=endpoint_id,
        secret=secret_of(body.key),
        grace_period=DEFAULT_GRACE_S if grace is None else grace,
    )
    assert rotated.secret is not None
    return EndpointSecretOut(key=rotated.secret)


@router.get("/headers", response_model=EndpointHeadersOut)
async def get_headers(
    ctx: ContextDep, who: PrincipalDep, app_id: str = AppId, endpoint_id: str = EndpointId
) -> EndpointHeadersOut:
    found = await service.get(ctx, who, tenant=app_id, endpoint=endpoint_id)
    return EndpointHeadersOut(headers=found.headers)


@router.put("/headers", status_code=status.HTTP_204_NO_CONTENT)
async def set_headers(
    body: EndpointHeadersIn,
    ctx: ContextDep,
    who: PrincipalDep,
    app_id: str = AppId,
    endpoint_id: str = EndpointId,
) -> Response:
    change = EndpointChange(headers=dict(body.headers))
    await service.update(ctx, who, tenant=app_id, endpoint=endpoint_id, change=change)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.patch("/headers", status_code=status.HTTP_204_NO_CONTENT)
async def patch_headers(
    body: EndpointHeadersPatchIn,
    ctx: ContextDep,
    who: PrincipalDep,
    app_id: str = AppId,
    endpoint_id: str = EndpointId,
) -> Response:
    """Header names are compared without regard to case, as HTTP does; the edit applies
    to the headers as stored when the change is written."""
    edit = HeaderEdit(put=dict(body.headers), remove=tuple(body.delete_headers or ()))
    await service.update(
        ctx, who, tenant=app_id, endpoint=endpoint_id, change=EndpointChange(headers=edit)
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/recover", response_model=RecoverOut, status_code=status.HTTP_202_ACCEPTED)
async def recover(
    body: RecoverIn,
    ctx: ContextDep,
    who: PrincipalDep,
    app_id: str = AppId,
    endpoint_id: str = EndpointId,
) -> RecoverOut:
    """Svix recovers in a background task; Hookline has recovered when it answers."""
    await recovery.recover(
        ctx, who, tenant=app_id, endpoint=endpoint_id, since=body.since, until=body.until
    )
    return RecoverOut(id="qtask_" + ulid(), status="finished", updated_at=utcnow())


def _example(schema: dict[str, Any] | None, index: int) -> Any:
    """The event type's JSON Schema `examples[index]`, if it has one."""
    examples = (schema or {}).get("examples")
    if isinstance(examples, list) and 0 <= index < len(examples):
        return examples[index]
    return None


@router.post("/send-example", response_model=MessageOut, status_code=status.HTTP_202_ACCEPTED)
async def send_example(
    body: EventExampleIn,
    ctx: ContextDep,
    who: PrincipalDep,
    app_id: str = AppId,
    endpoint_id: str = EndpointId,
) -> MessageOut:
    """The event type's example (its schema's `examples`), or Hookline's test payload."""
    try:
        known = await event_types.get(ctx, who, body.event_type)
    except NotFound:
        known = None  # the publish explains (422: unknown event type)
    result = await endpoint_tests.send_test(
        ctx,
        who,
        tenant=app_id,
        endpoint=endpoint_id,
        event_type=body.event_type,
        payload=_example(known.schema if known else None, body.example_index),
    )
    return MessageOut.of(result.message)


@router.get("/stats", response_model=EndpointStats)
async def stats(
    ctx: ContextDep,
    who: PrincipalDep,
    app_id: str = AppId,
    endpoint_id: str = EndpointId,
    since: datetime | None = None,
    until: datetime | None = None,
) -> EndpointStats:
    counts = await destinations.status_counts(
        ctx, who, tenant=app_id, endpoint=endpoint_id, since=since, until=until
    )
    return EndpointStats(
        success=counts.delivered,
        pending=counts.waiting,
        sending=counts.retrying,
        fail=counts.failed,
    )
