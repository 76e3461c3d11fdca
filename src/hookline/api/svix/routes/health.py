"""/api/v1/health: Svix's health check (204 while the database answers)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from hookline.api.deps import ContextDep
from hookline.api.problems import problem

router = APIRouter(prefix="/api/v1")


@router.get("/health", status_code=status.HTTP_204_NO_CONTENT)
async def health(ctx: ContextDep) -> Response:
    if await ctx.db.ping():
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return problem(503, "The database is unreachable.", slug="unavailable")
