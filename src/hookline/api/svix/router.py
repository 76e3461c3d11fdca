"""Puts the door in place: the Svix routers (none of them in the native OpenAPI), the
catch-all for the rest of /api/v1/, and the error handling for Svix paths."""

from __future__ import annotations

from fastapi import FastAPI

from hookline.api.svix import errors
from hookline.api.svix.routes import (
    applications,
    attempts,
    auth,
    endpoint_settings,
    endpoints,
    event_types,
    health,
    messages,
    unsupported,
)

ROUTERS = (
    health,
    applications,
    endpoints,
    endpoint_settings,
    messages,
    attempts,
    event_types,
    auth,
)


def install(app: FastAPI) -> None:
    for module in ROUTERS:
        app.include_router(module.router, include_in_schema=False)
    # Last: whatever none of the routes above took (and nothing outside /api/v1/).
    app.include_router(unsupported.router, include_in_schema=False)
    errors.install(app)
