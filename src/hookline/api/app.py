"""Builds the FastAPI application from a service context."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp

from hookline import __version__
from hookline.api import docs_ui, problems
from hookline.api.json_body import JsonByDefault
from hookline.api.limits import BodyLimit
from hookline.api.publish_fast_path import PublishFastPath
from hookline.api.rate_limit import RateLimitHeaders
from hookline.api.routes import (
    api_keys,
    deliveries,
    endpoints,
    event_types,
    health,
    messages,
    metrics,
    portal_links,
    recovery,
    stats,
    tenants,
)
from hookline.api.svix import router as svix
from hookline.api.svix.door import SvixDoor
from hookline.services.context import Context

DESCRIPTION = (
    "Hookline delivers your product's events to your customers' endpoints: signed "
    "(Standard Webhooks), retried, and recorded. Authenticate with "
    "`Authorization: Bearer <key>` or `X-API-Key: <key>`."
)

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def _no_native_telemetry() -> dict[str, Any]:
    """Recent FastAPI releases trace every request through OpenTelemetry's global
    providers, looking them up (and the environment) per request. Hookline has its own
    /metrics; turn that off where the option exists."""
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters:
        return {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    return {}


def create_app(ctx: Context, *, lifespan: Lifespan | None = None) -> FastAPI:
    app = FastAPI(
        title="Hookline",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # docs_ui serves /docs from files of its own
        openapi_url="/openapi.json",
        redoc_url=None,
        **_no_native_telemetry(),
    )
    app.state.ctx = ctx
    problems.install(app)
    for module in (
        docs_ui,
        health,
        metrics,
        event_types,
        tenants,
        endpoints,
        messages,
        deliveries,
        recovery,
        stats,
        portal_links,
        api_keys,
    ):
        app.include_router(module.router)
    svix.install(app)  # the Svix-compatible API under /api/v1/ (DESIGN §9)
    # The envelope around a payload is small; leave it 64 KiB beyond the payload limit.
    max_body = ctx.policy.max_payload_bytes + 64 * 1024
    app.add_middleware(BodyLimit, max_bytes=max_body)
    app.add_middleware(RateLimitHeaders)
    app.add_middleware(JsonByDefault)
    app.add_middleware(JsonByDefault, prefix="/api/v1/")
    app.state.max_body = max_body
    return app


def served(app: FastAPI) -> ASGIApp:
    """What the server runs: the application behind the publish fast path, which sits
    outside the framework's own middleware so that a publish passes through none of it,
    and behind the Svix door, which gives every answer under /api/v1/ Svix's shape."""
    return SvixDoor(PublishFastPath(app, max_bytes=app.state.max_body))
