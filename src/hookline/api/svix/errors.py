"""Svix's error bodies: `HttpErrorOut {code, detail}` for every status but 422, and
`HTTPValidationError {detail: [{loc, msg, type}]}` for 422.

Errors are made where they always are (the services' domain errors, FastAPI's request
validation, the body limit) and rendered as problem+json by `api/problems.py`; the door
(`door.py`) turns those into Svix's bodies on the way out. Two things need more than the
problem shows, so for Svix paths two handlers are wrapped here: a tenant-bound key
asking for another tenant gets Svix's 404 instead of Hookline's 403, and a request that
fails validation keeps pydantic's error types.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.responses import JSONResponse, Response

from hookline.api.problems import TYPE_BASE
from hookline.domain.errors import ForeignTenant, HooklineError, NotFound

PREFIX = "/api/v1"
_SNAKE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)+")

# Svix's own codes where it has one for the status (its server's defaults).
_CODES = {
    400: "generic_error",
    401: "authentication_failed",
    403: "insufficient access",
    404: "not_found",
    409: "conflict",
    413: "payload_too_large",
    429: "rate_limited",
    500: "server_error",
    503: "service_unavailable",
}


def is_svix_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def http_error(status: int, detail: str, *, slug: str | None = None) -> dict[str, str]:
    """`HttpErrorOut`. A 400 says which of Hookline's refusals it is (the network
    policy's, or text the database cannot store); Svix has no word for those."""
    code = _CODES.get(status) or (slug or "error").replace("-", "_")
    if status == 400 and slug:
        code = slug.replace("-", "_")
    return {"code": code, "detail": detail}


def validation_error(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"detail": items}


# Hookline's names for fields that Svix calls otherwise (the rest only change case).
_SVIX_NAMES = {"events": "eventTypes", "rate_limit": "throttleRate", "event_type": "eventType"}


def svix_location(location: str) -> list[str]:
    """A field's location (`body.event_type`) in Svix's names (`["body", "eventType"]`);
    Svix's query parameters are snake_case, as Hookline's."""
    parts = [p for p in location.split(".") if p]
    if not parts or parts[0] != "body":  # query parameters keep their snake_case names
        return parts
    return [parts[0], *(_SVIX_NAMES.get(p) or _camel(p) for p in parts[1:])]


def _camel(name: str) -> str:
    """`grace_period` → `gracePeriod`; anything else (a header's name, an index) stays."""
    if not _SNAKE.fullmatch(name):
        return name
    head, *rest = name.split("_")
    return head + "".join(word.capitalize() for word in rest)


def from_problem(status: int, problem: dict[str, Any]) -> dict[str, Any]:
    """A problem+json body as Svix's error body of the same status."""
    detail = str(problem.get("detail") or problem.get("title") or "Error")
    if status == 422:
        items = [
            {
                "loc": svix_location(str(e.get("location") or "body")),
                "msg": str(e.get("message", "")),
                "type": "value_error",
            }
            for e in problem.get("errors") or []
        ]
        return validation_error(items or [{"loc": ["body"], "msg": detail, "type": "value_error"}])
    kind = str(problem.get("type") or "")
    slug = kind[len(TYPE_BASE) :] if kind.startswith(TYPE_BASE) else None
    return http_error(status, detail, slug=slug)


Handler = Callable[[Request, Any], Awaitable[Response]]


def install(app: FastAPI) -> None:
    """Wrap the application's handlers for what the problem alone cannot tell."""
    handlers: dict[Any, Any] = app.exception_handlers  # Hookline's are all async
    native_domain: Handler = handlers[HooklineError]

    async def domain(request: Request, exc: HooklineError) -> Response:
        if isinstance(exc, ForeignTenant) and is_svix_path(request.url.path):
            # Svix answers another organisation's application as one that is not there.
            exc = NotFound("No such application for this key.")
        return await native_domain(request, exc)

    native_validation: Handler = handlers[RequestValidationError]

    async def validation(request: Request, exc: RequestValidationError) -> Response:
        if not is_svix_path(request.url.path):
            return await native_validation(request, exc)
        items = [
            {
                "loc": [str(p) for p in err.get("loc", ())],
                "msg": str(err.get("msg", "")),
                "type": str(err.get("type", "value_error")),
            }
            for err in exc.errors()
        ]
        return JSONResponse(validation_error(items), status_code=422)

    app.exception_handlers[HooklineError] = domain
    app.exception_handlers[RequestValidationError] = validation
