"""GET /metrics: Prometheus text format."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from hookline import telemetry
from hookline.api.deps import ContextDep
from hookline.services import insights

router = APIRouter(tags=["health"])


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(ctx: ContextDep) -> Response:
    stats = await insights.queue_stats(ctx)
    telemetry.QUEUE_PENDING.set(stats.pending)
    telemetry.QUEUE_DUE.set(stats.due)
    telemetry.QUEUE_OLDEST_DUE_AGE.set(stats.oldest_due_age)
    return Response(telemetry.render(), media_type=telemetry.CONTENT_TYPE)
