"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from hookline import __version__
from hookline.api.deps import ContextDep

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@router.get(
    "/readyz",
    summary="Readiness: the database is reachable and, in `serve`, the worker is running",
)
async def readyz(ctx: ContextDep, request: Request) -> Response:
    worker_running = getattr(request.app.state, "worker_running", None)
    body: dict[str, str] = {}
    ready = True
    if await ctx.db.ping():
        body["database"] = "ok"
    else:
        body["database"] = "unreachable"
        ready = False
    if worker_running is not None:
        running = bool(worker_running())
        body["worker"] = "running" if running else "stopped"
        ready = ready and running
    status = 200 if ready else 503
    return JSONResponse({"status": "ready" if ready else "unavailable", **body}, status_code=status)
