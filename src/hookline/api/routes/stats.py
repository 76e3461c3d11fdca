"""GET .../endpoints/{endpoint}/stats: attempts, success rate and latency per hour."""

from __future__ import annotations

from fastapi import APIRouter

from hookline.api.deps import ContextDep, Reader
from hookline.api.schemas.stats import StatsOut
from hookline.api.strict_json import StrictJsonRoute
from hookline.services import stats

router = APIRouter(
    prefix="/v1/tenants/{tenant}/endpoints", route_class=StrictJsonRoute, tags=["endpoints"]
)


@router.get(
    "/{endpoint}/stats",
    response_model=StatsOut,
    summary="Attempts, success rate and latency percentiles per hour, last 24 hours",
)
async def endpoint_stats(tenant: str, endpoint: str, ctx: ContextDep, who: Reader) -> StatsOut:
    return StatsOut.of(await stats.endpoint_stats(ctx, who, tenant=tenant, endpoint=endpoint))
