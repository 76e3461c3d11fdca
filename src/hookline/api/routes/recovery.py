"""POST .../endpoints/{endpoint}/recover."""

from __future__ import annotations

from fastapi import APIRouter, status

from hookline.api.deps import ContextDep, Operator
from hookline.api.schemas.recovery import RecoverIn, RecoverOut
from hookline.api.strict_json import StrictJsonRoute
from hookline.services import recovery

router = APIRouter(
    prefix="/v1/tenants/{tenant}/endpoints", route_class=StrictJsonRoute, tags=["endpoints"]
)


@router.post(
    "/{endpoint}/recover",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RecoverOut,
    summary="Send again every failed or expired delivery of this endpoint in a window",
)
async def recover(
    tenant: str, endpoint: str, body: RecoverIn, ctx: ContextDep, who: Operator
) -> RecoverOut:
    n = await recovery.recover(
        ctx, who, tenant=tenant, endpoint=endpoint, since=body.since, until=body.until
    )
    return RecoverOut(recovered=n)
