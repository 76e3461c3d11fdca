"""GET /metrics: Prometheus text format; behind `Authorization: Bearer
<HOOKLINE_METRICS_TOKEN>` when that is set (open otherwise)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from hookline import telemetry
from hookline.api.deps import ContextDep
from hookline.domain.errors import Unauthorized
from hookline.services import insights

router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    description="Counters, histograms and queue gauges; no tenant data. When "
    "HOOKLINE_METRICS_TOKEN is set, send `Authorization: Bearer <that token>` "
    "(not an API key).",
    response_class=Response,
    responses={401: {"description": "HOOKLINE_METRICS_TOKEN is set and was not given"}},
)
async def metrics(request: Request, ctx: ContextDep) -> Response:
    if not telemetry.metrics_authorized(
        request.headers.get("authorization"), ctx.policy.metrics_token
    ):
        raise Unauthorized("/metrics needs `Authorization: Bearer <HOOKLINE_METRICS_TOKEN>`.")
    stats = await insights.queue_stats(ctx)
    telemetry.QUEUE_PENDING.set(stats.pending)
    telemetry.QUEUE_DUE.set(stats.due)
    telemetry.QUEUE_OLDEST_DUE_AGE.set(stats.oldest_due_age)
    return Response(telemetry.render(), media_type=telemetry.CONTENT_TYPE)
